"""Versions, the download log, download limits and the update-mail switch, through the real site.

Runs on the data folder and on PostgreSQL (`BOTH_BACKENDS`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from paidpdf.content import catalog
from paidpdf.content.item_options import set_options
from paidpdf.ownership import download_log, update_notices
from paidpdf.store import SALES
from tests.catalog.files import pdf_bytes
from tests.forms import form_for
from tests.web.site import PAID, REMOTE, Site, logged_in

BOTH_BACKENDS = True
URL = f"/content/{PAID}/download"


def _new_version(site: Site, tmp_path: Path, notes: str = "Chapter 9 added") -> bytes:
    data = pdf_bytes(pages=5, title="Sourdough, second edition")
    path = tmp_path / "sourdough-v2.pdf"
    path.write_bytes(data)
    catalog.edit_item(site.store, PAID, pdf=path, notes=notes)
    return data


def _downloads(site: Site, email: str) -> list[dict[str, object]]:
    site.app.app.web.download_recorder.drain()
    return download_log.for_user(site.store.view(SALES), site.user(email)["id"], PAID)


def test_owners_get_the_newest_and_every_earlier_version(site: Site, tmp_path: Path) -> None:
    first = site.content_bytes(PAID)
    app = logged_in(site, "owner")
    new = _new_version(site, tmp_path)
    page = app.get("/library")
    assert "Updated" in page.text and "Chapter 9 added" in page.text
    assert f"{URL}?version=1" in page.text
    assert app.get(URL).body == new
    old = app.get(URL + "?version=1")
    assert old.body == first and old.headers["ETag"] != app.get(URL).headers["ETag"]
    assert app.get(URL + "?version=2").body == new
    for bad in ("3", "0", "x", "-1", "1e3", "99999999"):
        app.get(URL + f"?version={bad}", status=404)
    other = logged_in(site, "reader")
    other.get(URL + "?version=1", status=403)


def test_library_badge_clears_after_the_new_version_is_downloaded(site: Site, tmp_path: Path) -> None:
    app = logged_in(site, "owner")
    assert 'badge">Updated' not in app.get("/library").text
    _new_version(site, tmp_path)
    assert 'badge">Updated' in app.get("/library").text
    app.get(URL)
    site.app.app.web.download_recorder.drain()
    assert 'badge">Updated' not in app.get("/library").text


def test_completed_downloads_are_logged_with_bytes_resume_and_hashed_address(site: Site) -> None:
    app = logged_in(site, "owner")
    size = len(site.content_bytes(PAID))
    app.get(URL)
    app.head(URL)  # no body: not a download
    app.get(URL, headers={"Range": f"bytes={size - 100}-"}, status=206)
    app.get(URL, headers={"Range": "bytes=0-99"}, status=206)
    rows = _downloads(site, "owner@example.com")
    assert sorted((r["bytes"], r["resumed"], r["to_end"]) for r in rows) == sorted([
        (size, False, True),
        (100, True, True),
        (100, False, False),
    ])
    assert all(r["version"] == 1 for r in rows)
    client = rows[0]["client"]
    assert isinstance(client, str) and len(client) == 16 and REMOTE not in client


def test_download_limit_refuses_with_a_clear_page_until_reset(site: Site) -> None:
    set_options(site.store, PAID, download_limit=2)
    app = logged_in(site, "owner")
    size = len(site.content_bytes(PAID))
    app.get(URL)
    app.get(URL, headers={"Range": "bytes=0-9"}, status=206)  # a piece that does not reach the end
    app.get(URL)
    site.app.app.web.download_recorder.drain()
    refused = app.get(URL, status=403)
    assert "as many as the shop allows" in refused.text
    app.get(URL, headers={"Range": f"bytes={size - 10}-"}, status=403)
    owner = site.user("owner@example.com")
    download_log.reset(site.store, owner["id"], PAID)
    assert app.get(URL).body == site.content_bytes(PAID)
    set_options(site.store, PAID, download_limit=0)
    assert catalog.get_item(site.store, PAID).get("download_limit") is None


def test_update_mails_switch_and_one_click_unsubscribe(site: Site) -> None:
    app = logged_in(site, "owner")
    owner = site.user("owner@example.com")
    page = app.get("/library")
    assert "Stop update mails" in page.text
    form_for(page, "/account/updates").submit(status=303)
    assert not update_notices.wanted_updates(site.user("owner@example.com"))
    form_for(app.get("/library"), "/account/updates").submit(status=303)
    assert update_notices.wanted_updates(site.user("owner@example.com"))

    link = update_notices.unsubscribe_url(site.store, "http://127.0.0.1:8080", owner["id"])
    path = urlsplit(link).path + "?" + urlsplit(link).query
    anonymous = site.app
    anonymous.reset()
    confirm = anonymous.get(path)
    assert "Stop update mails?" in confirm.text
    assert update_notices.wanted_updates(site.user("owner@example.com"))  # a GET changes nothing
    before = site.written("catalog")
    anonymous.post(path.replace("&t=", "&t=0"), status=403)
    anonymous.post(f"/updates/unsubscribe?u={owner['id']}&t=", status=403)
    assert update_notices.wanted_updates(site.user("owner@example.com"))
    done = anonymous.post(path)  # RFC 8058 one-click: no cookie, no CSRF token, the link's own token
    assert "Update mails are off" in done.text
    assert not update_notices.wanted_updates(site.user("owner@example.com"))
    assert site.written("catalog") == before
