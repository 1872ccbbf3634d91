"""The private library feeds through the real site, read by a real feed parser (feedparser) as reading
and podcast apps read them: the OPDS catalog and the podcast list what the library lists, their links
download through the library's own path (Range, the download log), a reset link and a revoked item stop
working at once, another reader's token never opens this reader's files, and no cookie is set or read.
Runs on both backends."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree
from webtest import TestApp

from paidpdf.accounts import feed_tokens
from paidpdf.content import demo_media, item_file_changes
from paidpdf.limits import Limits
from paidpdf.ownership import download_log, library
from paidpdf.store import SALES
from paidpdf.web.app import create_app
from paidpdf.web.feed_documents import OPDS_ACQUISITION, OPDS_IMAGE
from tests.forms import form_for
from tests.web.site import FREE, PAID, REMOTE, RETIRED, UNOWNED_PAID, Site, logged_in, login

BOTH_BACKENDS = True


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("feed-media")
    return {
        "epub": demo_media.make_epub(folder / "sourdough.epub", "Sourdough", [("One", "Flour and water.")]),
        "m4a": demo_media.make_audio(folder / "sourdough-talk.m4a", 4.0),
        "m4a-2": demo_media.make_audio(folder / "sourdough-talk-2.m4a", 4.0, pitch=330.0),
    }


def _with_files(site: Site, media: dict[str, Path]) -> dict[str, dict[str, Any]]:
    return {kind: item_file_changes.add_file(site.store, PAID, media[kind], sample_seconds=0)[1]
            for kind in ("epub", "m4a")}


def _feed_token(app: TestApp) -> str:
    """Press the library's feed button (make or reset) and read the link the library then shows."""
    form_for(app.get("/library"), "/library/feed-link").submit(status=303)
    shown = app.get("/library").html.find("input", id="feed-opds")["value"]
    return str(shown).split("/feeds/")[1].split("/")[0]


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _app(site: Site) -> TestApp:
    """An app without cookies, as a reading or podcast app is."""
    return TestApp(site.app.app, extra_environ={"REMOTE_ADDR": REMOTE})


def _feed(app: TestApp, token: str, name: str, status: int = 200) -> Any:
    answer = app.get(f"/feeds/{token}/{name}", status=status)
    assert "Set-Cookie" not in answer.headers
    return answer


def _private(answer: Any) -> None:
    assert answer.headers["Cache-Control"].startswith("private")
    assert answer.headers["X-Robots-Tag"].startswith("noindex")
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert "Set-Cookie" not in answer.headers


def test_the_opds_catalog_lists_what_the_library_lists_with_working_links(
    site: Site, media: dict[str, Path]
) -> None:
    added = _with_files(site, media)
    token = _feed_token(logged_in(site, "owner"))
    app = _app(site)
    answer = _feed(app, token, "opds")
    _private(answer)
    assert answer.headers["Content-Type"].startswith("application/atom+xml;profile=opds-catalog")
    root = etree.fromstring(answer.body)
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    parsed = feedparser.parse(answer.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    entries = {e.id: e for e in parsed.entries}
    assert f"urn:paidpdf:item:{PAID}" in entries and f"urn:paidpdf:item:{RETIRED}" in entries  # owned
    assert f"urn:paidpdf:item:{UNOWNED_PAID}" not in entries and f"urn:paidpdf:item:{FREE}" not in entries
    entry = entries[f"urn:paidpdf:item:{PAID}"]
    assert entry.updated_parsed is not None
    acquisitions = {link.type: link for link in entry.links if link.rel == OPDS_ACQUISITION}
    assert set(acquisitions) == {"application/pdf", "application/epub+zip"}  # no audio in the OPDS feed
    assert any(link.rel == OPDS_IMAGE for link in entry.links)
    pdf = app.get(_path(acquisitions["application/pdf"].href))
    assert pdf.body == site.content_bytes(PAID)
    _private(pdf)
    epub = app.get(_path(acquisitions["application/epub+zip"].href))
    assert epub.body == media["epub"].read_bytes()
    assert epub.headers["Content-Type"].startswith("application/epub+zip")
    assert int(acquisitions["application/epub+zip"].length) == len(epub.body)
    site.app.app.web.download_recorder.drain()  # feed downloads are in the download log
    logged = download_log.for_user(site.store.view(SALES), site.user("owner@example.com")["id"], PAID)
    assert added["epub"]["key"] in {r["file"] for r in logged}


def test_a_new_version_updates_the_opds_entry_and_is_a_new_podcast_episode(
    site: Site, media: dict[str, Path]
) -> None:
    _with_files(site, media)
    token = _feed_token(logged_in(site, "owner"))
    app = _app(site)
    before = feedparser.parse(_feed(app, token, "podcast.xml").body)
    item_file_changes.update_file(
        site.store, PAID, media["m4a-2"], name="sourdough-talk.m4a", sample_seconds=0
    )
    after = feedparser.parse(_feed(app, token, "podcast.xml").body)
    assert len(before.entries) == len(after.entries) == 1
    assert before.entries[0].id != after.entries[0].id  # a new guid: apps fetch it as a new episode
    whole = app.get(_path(after.entries[0].enclosures[0].href)).body
    assert whole == media["m4a-2"].read_bytes()


def test_the_podcast_feed_has_each_audio_file_as_an_episode_that_resumes(
    site: Site, media: dict[str, Path]
) -> None:
    added = _with_files(site, media)
    token = _feed_token(logged_in(site, "owner"))
    app = _app(site)
    answer = _feed(app, token, "podcast.xml")
    _private(answer)
    assert answer.headers["Content-Type"].startswith("application/rss+xml")
    parsed = feedparser.parse(answer.body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20" and "itunes" in parsed.namespaces
    assert len(parsed.entries) == 1  # the audio file only: PDFs and EPUBs are in the OPDS feed
    episode = parsed.entries[0]
    assert episode.id == f"urn:paidpdf:file:{PAID}:{added['m4a']['key']}:v{added['m4a']['version']}:" + \
        added["m4a"]["sha256"][:16]
    enclosure = episode.enclosures[0]
    audio = media["m4a"].read_bytes()
    assert enclosure.type == "audio/mp4" and int(enclosure.length) == len(audio)
    url = _path(enclosure.href)
    whole = app.get(url)
    assert whole.body == audio and whole.headers["Accept-Ranges"] == "bytes"
    part = app.get(url, headers={"Range": "bytes=1000-", "If-Range": whole.headers["ETag"]}, status=206)
    assert whole.body[:1000] + part.body == audio  # a podcast app resumes where it stopped
    assert app.head(url).headers["Content-Length"] == str(len(audio))


def test_a_reset_link_is_a_404_for_the_feeds_and_their_file_links(site: Site, media: dict[str, Path]) -> None:
    _with_files(site, media)
    owner = logged_in(site, "owner")
    old = _feed_token(owner)
    app = _app(site)
    files = [_path(link.href) for e in feedparser.parse(_feed(app, old, "opds").body).entries
             for link in e.links if link.rel == OPDS_ACQUISITION]
    episodes = feedparser.parse(_feed(app, old, "podcast.xml").body).entries
    files += [_path(e.enclosures[0].href) for e in episodes]
    assert files and all(app.get(url).status_int == 200 for url in files)
    new = _feed_token(owner)  # "Reset my feed link"
    assert new != old
    _private(_feed(app, old, "opds", status=404))
    _feed(app, old, "podcast.xml", status=404)
    for url in files:
        app.get(url, status=404)
        app.get(url, headers={"Range": "bytes=10-"}, status=404)
        assert app.get(url.replace(old, new)).status_int == 200
    assert f"/feeds/{old}/" not in owner.get("/library").text
    stored = site.store.view("accounts").all(feed_tokens.FEED_TOKENS)
    assert len(stored) == 1 and new not in str(stored) and old not in str(stored)  # only a keyed hash


def test_a_revoked_item_leaves_the_feeds_and_its_links_stop(site: Site, media: dict[str, Path]) -> None:
    _with_files(site, media)
    token = _feed_token(logged_in(site, "owner"))
    app = _app(site)
    links = [_path(link.href) for e in feedparser.parse(_feed(app, token, "opds").body).entries
             if e.id == f"urn:paidpdf:item:{PAID}" for link in e.links if link.rel == OPDS_ACQUISITION]
    links.append(_path(feedparser.parse(_feed(app, token, "podcast.xml").body).entries[0].enclosures[0].href))
    assert len(links) == 3
    library.revoke(site.store, site.user("owner@example.com")["id"], PAID)
    ids = {e.id for e in feedparser.parse(_feed(app, token, "opds").body).entries}
    assert f"urn:paidpdf:item:{PAID}" not in ids and f"urn:paidpdf:item:{RETIRED}" in ids
    assert feedparser.parse(_feed(app, token, "podcast.xml").body).entries == []
    for url in links:
        assert app.get(url, status="*").status_int in (403, 404)
        assert app.get(url, headers={"Range": "bytes=0-99"}, status="*").status_int in (403, 404)


def test_another_readers_token_never_opens_this_readers_files_and_cookies_are_ignored(
    site: Site, media: dict[str, Path]
) -> None:
    added = _with_files(site, media)
    reader = _app(site)
    login(reader, "reader@example.com")
    reader_token = _feed_token(reader)
    owner = logged_in(site, "owner")
    owner_token = _feed_token(owner)
    ids = {e.id for e in feedparser.parse(_feed(reader, reader_token, "opds").body).entries}
    assert f"urn:paidpdf:item:{PAID}" not in ids
    own_file = f"/files/{PAID}/{added['epub']['key']}"
    # the owner's browser, session cookie and all, with the reader's token: the reader's rights only
    owner.get(f"/feeds/{reader_token}{own_file}", status=403)
    assert {e.id for e in feedparser.parse(_feed(owner, reader_token, "opds").body).entries} == ids
    # a session cookie without a token, or with a made-up one, opens nothing
    for bad in ("x" * 43, owner_token[:-1] + ("A" if owner_token[-1] != "A" else "B"), "short"):
        _feed(owner, bad, "opds", status=404)
        owner.get(f"/feeds/{bad}{own_file}", status=404)
    assert reader.get(f"/feeds/{owner_token}{own_file}").body == media["epub"].read_bytes()


def test_a_disabled_account_has_no_feed_and_the_button_needs_csrf(site: Site) -> None:
    owner = logged_in(site, "owner")
    token = _feed_token(owner)
    owner.post("/library/feed-link", {"csrf_token": "forged"}, status=403)
    _feed(_app(site), token, "opds")  # the forged post changed nothing
    site.cli("users", "disable", "owner@example.com")
    _feed(_app(site), token, "opds", status=404)


def test_feed_requests_are_limited_per_address(site: Site) -> None:
    token = _feed_token(logged_in(site, "owner"))
    tight = dataclasses.replace(site.settings, limits=Limits(feed_requests_per_address=3))
    app = TestApp(create_app(tight, store=site.store), extra_environ={"REMOTE_ADDR": "198.51.100.9"})
    for _ in range(3):
        _feed(app, token, "opds")
    refused = _feed(app, token, "opds", status=429)
    assert int(refused.headers["Retry-After"]) > 0
    _private(refused)
    _feed(_app(site), token, "opds")  # another address is not affected


def test_a_feed_link_made_by_whoever_paid_with_your_address_ends_when_you_take_the_account_back(
    site: Site,
) -> None:
    """A guest account whose password was set by the payer (the previous release allowed it): the payer
    logs in and makes a feed link; when the address's owner signs in by a link mailed there (which takes
    the account back: `sign_in_links`), the payer's feed link is a 404 like their password and sessions."""
    from paidpdf.accounts import guest_accounts, mailed_links, passwords, records, sign_in_links

    account = guest_accounts.account_for_checkout(site.store, "guest.buyer@example.com", "ord_feed")
    with site.store.unit(records.ACCOUNTS) as unit:
        current = unit.get(records.USERS, str(account["id"]))
        assert current is not None
        unit.put(records.USERS, {**current, "password_hash": passwords.hash_password("the payer's password")})
    payer = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "198.51.100.40"})
    login(payer, "guest.buyer@example.com", "the payer's password")
    token = _feed_token(payer)
    _feed(_app(site), token, "opds")
    issued = mailed_links.issue(
        site.store, sign_in_links.KIND, "guest.buyer@example.com", "http://x", remote_addr=None,
        now=records.moment_or_now(None),
    )  # the link the owner asked for, as mailed to the address
    assert issued is not None
    raw = issued[1].rsplit("/", 1)[1]
    sign_in_links.enter(site.store, raw)
    _feed(_app(site), token, "opds", status=404)


def test_feed_links_spend_the_same_download_budget_as_the_library(site: Site) -> None:
    """A limit of 2 copies: one through the library, one through the feed, and then neither gets more
    (the feed's link is the library's download, not a path around its limit)."""
    from paidpdf.content.item_options import set_options

    set_options(site.store, PAID, download_limit=2)
    owner = logged_in(site, "owner")
    token = _feed_token(owner)
    app = _app(site)
    entry = next(e for e in feedparser.parse(_feed(app, token, "opds").body).entries
                 if e.id == f"urn:paidpdf:item:{PAID}")
    url = _path(next(link.href for link in entry.links if link.rel == OPDS_ACQUISITION))
    content = site.content_bytes(PAID)
    assert owner.get(f"/content/{PAID}/download").body == content
    assert app.get(url).body == content
    refused = app.get(url, status=403)
    assert "as many as the shop allows" in refused.text and "Set-Cookie" not in refused.headers
    _private(refused)
    owner.get(f"/content/{PAID}/download", status=403)
