"""Items with several files through the real site: each file's owner-only download with Range and
ETag and the download log, the old link serving the main file, files removed from sale kept for their
owners, and public samples that are never the full file. Runs on both backends."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.clock import iso, parse_iso
from paidpdf.content import demo_media, item_file_changes, item_files
from paidpdf.ownership import download_log, library
from paidpdf.store import SALES
from tests.web.site import PAID, REMOTE, Site, logged_in, login

BOTH_BACKENDS = True


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files of each kind, made once per session (`content.demo_media`)."""
    folder = tmp_path_factory.mktemp("media")
    # the second chapter is longer than the first: a sample is at most half of a book's text
    chapters = [("One", "The first chapter starts here.\n\nA second paragraph."), ("Two", "More. " * 20)]
    return {
        "epub": demo_media.make_epub(folder / "sourdough.epub", "Sourdough", chapters),
        "m4a": demo_media.make_audio(folder / "sourdough-talk.m4a", 6.0),
        "mp4": demo_media.make_video(folder / "shaping.mp4", 4.0),
    }


def _with_files(site: Site, media: dict[str, Path], *kinds: str) -> dict[str, dict[str, object]]:
    added = {}
    for kind in kinds:
        _item, row = item_file_changes.add_file(site.store, PAID, media[kind], sample_seconds=2)
        added[kind] = row
    return added


def _other_app(site: Site) -> TestApp:
    return TestApp(site.app.app, extra_environ={"REMOTE_ADDR": REMOTE})


def test_each_file_downloads_for_its_owner_with_range_etag_and_the_log(
    site: Site, media: dict[str, Path]
) -> None:
    added = _with_files(site, media, "epub", "m4a")
    app = logged_in(site, "owner")
    page = app.get("/library")
    for kind, media_type in (("epub", "application/epub+zip"), ("m4a", "audio/mp4")):
        url = f"/content/{PAID}/files/{added[kind]['key']}"
        assert f'href="{url}"' in page.text
        whole = app.get(url)
        assert whole.body == media[kind].read_bytes()
        assert whole.headers["Content-Type"].startswith(media_type)
        assert whole.headers["Content-Disposition"].startswith("attachment")
        etag = whole.headers["ETag"]
        part = app.get(url, headers={"Range": "bytes=100-", "If-Range": etag}, status=206)
        assert part.body == media[kind].read_bytes()[100:]
        assert part.headers["Content-Range"] == f"bytes 100-{len(whole.body) - 1}/{len(whole.body)}"
        app.get(url, headers={"If-None-Match": etag}, status=304)
    assert "EPUB" in page.text and "M4A" in page.text  # each file with its format and size
    assert app.get(f"/content/{PAID}/download").body == site.content_bytes(PAID)  # the old link: main file
    epub_etag = app.get(f"/content/{PAID}/files/{added['epub']['key']}").headers["ETag"]
    assert epub_etag != app.get(f"/content/{PAID}/download").headers["ETag"]
    # the old link's ?version=N finds any file's version (numbers are unique in the item)
    by_number = app.get(f"/content/{PAID}/download?version={added['m4a']['version']}")
    assert by_number.body == media["m4a"].read_bytes()
    site.app.app.web.download_recorder.drain()
    logged = download_log.for_user(site.store.view(SALES), site.user("owner@example.com")["id"], PAID)
    assert {r["file"] for r in logged} >= {added["epub"]["key"], added["m4a"]["key"]}
    assert any(r["resumed"] and r["file"] == added["m4a"]["key"] for r in logged)


def test_a_file_is_refused_to_everyone_but_its_owners(site: Site, media: dict[str, Path]) -> None:
    added = _with_files(site, media, "m4a")
    url = f"/content/{PAID}/files/{added['m4a']['key']}"
    anonymous = _other_app(site)
    assert "/login" in anonymous.get(url, status=302).headers["Location"]
    reader = _other_app(site)
    login(reader, "reader@example.com")
    reader.get(url, status=403)
    reader.get(url, headers={"Range": "bytes=0-10"}, status=403)
    owner = logged_in(site, "owner")
    owner.get(f"/content/{PAID}/files/no-such-file", status=404)
    owner.get(f"/content/{PAID}/files/..%2Fcontent", status=404)
    owner.get(url + "?version=999", status=404)


def test_a_removed_file_stays_with_its_owners_and_new_owners_do_not_get_it(
    site: Site, media: dict[str, Path]
) -> None:
    added = _with_files(site, media, "epub")
    url = f"/content/{PAID}/files/{added['epub']['key']}"
    _item, gone = item_file_changes.remove_file(site.store, PAID, "sourdough.epub")
    owner = logged_in(site, "owner")
    assert owner.get(url).body == media["epub"].read_bytes()  # had it before: keeps it
    assert "no longer sold" in owner.get("/library").text
    later = site.user("reader@example.com")
    library.grant(site.store, later["id"], PAID)
    with site.store.unit(SALES) as unit:  # got the item an hour after the removal
        entry = library.entry(unit, later["id"], PAID)
        assert entry is not None
        hour_later = iso(parse_iso(str(gone["removed_at"])) + timedelta(hours=1))
        unit.put(library.LIBRARY, {**entry, "acquired_at": hour_later})
    reader = _other_app(site)
    login(reader, "reader@example.com")
    reader.get(url, status=404)
    assert url not in reader.get("/library").text
    assert reader.get(f"/content/{PAID}/download").status_int == 200  # the item's other file


def test_samples_are_public_and_never_the_full_file(site: Site, media: dict[str, Path]) -> None:
    added = _with_files(site, media, "m4a", "epub")
    visitor = _other_app(site)
    page = visitor.get(f"/content/{PAID}")
    sample_url = f"/content/{PAID}/files/{added['m4a']['key']}/sample"
    assert f'<audio class="player" controls preload="none" src="{sample_url}"' in page.text
    assert "The first chapter starts here." in page.text  # the EPUB's first chapter, as text
    sample = visitor.get(sample_url)
    assert sample.headers["Content-Type"].startswith("audio/mp4")
    assert sample.headers["Cache-Control"].startswith("public")
    assert 0 < len(sample.body) < media["m4a"].stat().st_size
    assert sample.body != media["m4a"].read_bytes()
    ranged = visitor.get(sample_url, headers={"Range": "bytes=0-99"}, status=206)
    assert ranged.body == sample.body[:100]
    visitor.get(f"/content/{PAID}/files/{added['m4a']['key']}", status=302)  # the full file: log in first
    item_file_changes.remove_file(site.store, PAID, added["m4a"]["key"])
    visitor.get(sample_url, status=404)  # a removed file's sample goes with it


def test_the_library_plays_audio_and_video_and_stream_only_hides_the_video_download(
    site: Site, media: dict[str, Path]
) -> None:
    from paidpdf.content import item_options

    added = _with_files(site, media, "m4a", "mp4")
    owner = logged_in(site, "owner")
    page = owner.get("/library")
    audio_url = f"/content/{PAID}/files/{added['m4a']['key']}"
    video_url = f"/content/{PAID}/files/{added['mp4']['key']}"
    assert f'<audio class="player" controls preload="metadata" src="{audio_url}"' in page.text
    assert f'src="{video_url}"' in page.text and f'href="{video_url}" download' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]  # the resume script
    assert '/static/player.js' in page.text
    item_options.set_options(site.store, PAID, stream_only=True)
    page = owner.get("/library")
    assert f'src="{video_url}"' in page.text and f'href="{video_url}" download' not in page.text
    assert f'href="{audio_url}" download' in page.text  # audio keeps its download
    streamed = owner.get(video_url, headers={"Range": "bytes=0-99"}, status=206)
    assert streamed.body == media["mp4"].read_bytes()[:100]
    assert "script-src 'none'" in owner.get("/").headers["Content-Security-Policy"]  # other pages: none


def test_files_listed_for_an_owner_are_the_catalogs(site: Site, media: dict[str, Path]) -> None:
    _with_files(site, media, "epub")
    rows = item_files.files_of(site.item(PAID))
    assert [r["format"] for r in rows] == ["pdf", "epub"] and rows[0]["primary"]
    assert rows[1]["media_type"] == "application/epub+zip" and rows[1]["chapters"] == 2


def test_a_video_sample_plays_with_its_poster_and_the_poster_is_published(
    site: Site, media: dict[str, Path]
) -> None:
    added = _with_files(site, media, "mp4")
    poster = added["mp4"]["poster"]
    assert poster
    visitor = _other_app(site)
    page = visitor.get(f"/content/{PAID}")
    sample_url = f"/content/{PAID}/files/{added['mp4']['key']}/sample"
    assert f'src="{sample_url}" poster="/covers/{poster}"' in page.text
    assert visitor.get(sample_url).headers["Content-Type"].startswith("video/mp4")
    assert visitor.get(f"/covers/{poster}").headers["Content-Type"].startswith("image/")


def test_the_download_limit_counts_each_file_on_its_own(site: Site, media: dict[str, Path]) -> None:
    from paidpdf.content import item_options

    added = _with_files(site, media, "epub")
    item_options.set_options(site.store, PAID, download_limit=1)
    owner = logged_in(site, "owner")
    epub_url = f"/content/{PAID}/files/{added['epub']['key']}"
    assert owner.get(epub_url).body == media["epub"].read_bytes()
    site.app.app.web.download_recorder.drain()
    refused = owner.get(epub_url, status=403)
    assert "as many as the shop allows" in refused.text
    assert owner.get(f"/content/{PAID}/download").body == site.content_bytes(PAID)  # its own budget
