"""The access matrix: every route that takes an id, for every kind of visitor and every kind of id.

Never the file to someone who may not have it, never a hint of the disk path, ids checked before any
lookup. Disabled accounts have no session left (disabling ends them), so a browser that kept the
cookie is treated as anonymous: sent to log in, where the login is refused with 403.
"""

from __future__ import annotations

import re

import pytest

from tests.forms import form_for
from tests.web.site import FREE, PAID, RETIRED, UNOWNED_PAID, Site, logged_in, login

TRAVERSALS = [
    "..%2f..%2fetc%2fpasswd",
    "%2e%2e",
    "%2e%2e%2f%2e%2e%2fcatalog.json",
    "..%5c..%5ccatalog.json",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "..",
    "...",
    "FIELD-NOTES-ON-CITY-BIRDS",
    "field-notes-on-city-birds%00",
    "field-notes-on-city-birds%0a",
    "field-notes-on-city-birds.pdf",
    "-leading-dash",
    "a" * 65,
]
UNKNOWN = "no-such-item"

# expected status of GET /content/<id>/download
DOWNLOAD = {
    # Visitors who are not logged in are sent to log in for every well-formed id (issue 20, item 10):
    # a 404 for an unknown id next to a redirect for a retired one revealed which ids were retired.
    None: {FREE: 302, PAID: 302, RETIRED: 302, UNOWNED_PAID: 302, UNKNOWN: 302},
    "reader": {FREE: 200, PAID: 403, RETIRED: 404, UNOWNED_PAID: 403, UNKNOWN: 404},
    "owner": {FREE: 200, PAID: 200, RETIRED: 200, UNOWNED_PAID: 403, UNKNOWN: 404},
    "disabled": {FREE: 302, PAID: 302, RETIRED: 302, UNOWNED_PAID: 302, UNKNOWN: 302},
}
# expected status of GET /content/<id>
ITEM_PAGE = {
    None: {FREE: 200, PAID: 200, RETIRED: 404, UNOWNED_PAID: 200, UNKNOWN: 404},
    "reader": {FREE: 200, PAID: 200, RETIRED: 404, UNOWNED_PAID: 200, UNKNOWN: 404},
    "owner": {FREE: 200, PAID: 200, RETIRED: 200, UNOWNED_PAID: 200, UNKNOWN: 404},
    "disabled": {FREE: 200, PAID: 200, RETIRED: 404, UNOWNED_PAID: 200, UNKNOWN: 404},
}
WHO = [None, "reader", "owner", "disabled"]

BOTH_BACKENDS = True  # the access matrix also runs on a shop migrated to PostgreSQL


def _no_leak(site: Site, body: bytes) -> None:
    assert not body.startswith(b"%PDF"), "a file was sent"
    text = body.decode("utf-8", "replace")
    assert str(site.data_dir) not in text
    assert "Traceback" not in text
    assert "root:" not in text


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("target", [FREE, PAID, RETIRED, UNOWNED_PAID, UNKNOWN])
def test_download_matrix(site: Site, who: str | None, target: str) -> None:
    app = logged_in(site, who)
    expected = DOWNLOAD[who][target]
    for method in ("GET", "HEAD"):
        if method == "GET":
            res = app.get(f"/content/{target}/download", status="*")
        else:
            res = app.head(f"/content/{target}/download", status="*")
        assert res.status_int == expected, (method, who, target, res.status)
        if expected == 200:
            assert res.headers["Content-Length"] == str(len(site.content_bytes(target)))
            if method == "GET":
                assert res.body == site.content_bytes(target)
            else:
                assert res.body == b""
        else:
            _no_leak(site, res.body)
        if expected == 302:
            assert res.location.endswith(f"/login?next=/content/{target}/download")


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("target", [FREE, PAID, RETIRED, UNOWNED_PAID, UNKNOWN])
def test_item_page_matrix(site: Site, who: str | None, target: str) -> None:
    app = logged_in(site, who)
    res = app.get(f"/content/{target}", status="*")
    assert res.status_int == ITEM_PAGE[who][target]
    _no_leak(site, res.body)
    if res.status_int != 200:
        return
    link = f'href="/content/{target}/download"'
    may_download = DOWNLOAD[who][target] == 200
    assert (link in res.text) == may_download
    buy_form = f'action="/checkout/{target}"'
    # Anyone may buy a paid item they cannot download yet: readers, and visitors as guests.
    assert (buy_form in res.text) == (target in (PAID, UNOWNED_PAID) and not may_download)


@pytest.mark.parametrize("who", [None, "reader", "owner"])
@pytest.mark.parametrize("raw", TRAVERSALS)
def test_traversal_ids_never_reach_the_disk(site: Site, who: str | None, raw: str) -> None:
    app = logged_in(site, who)
    for path in (f"/content/{raw}/download", f"/content/{raw}", f"/covers/{raw}"):
        res = app.get(path, status="*", expect_errors=True)
        assert res.status_int in (400, 404), (path, res.status)
        _no_leak(site, res.body)
        assert b"<!doctype html>" in res.body  # the styled page, not a server default


@pytest.mark.parametrize(
    "name", ["../catalog.json", "%2e%2e%2fcatalog.json", "x.png", "0" * 64, "0" * 64 + ".pdf"]
)
def test_cover_names_are_checked(site: Site, name: str) -> None:
    res = site.app.get(f"/covers/{name}", status=404)
    _no_leak(site, res.body)


def test_covers_are_public_and_cacheable(site: Site) -> None:
    item = site.item(PAID)
    res = site.app.get(f"/covers/{item['cover']}")
    assert res.content_type == "image/png"
    assert res.body == (site.data_dir / "covers" / item["cover"]).read_bytes()
    assert "immutable" in res.headers["Cache-Control"] and "public" in res.headers["Cache-Control"]
    again = site.app.get(
        f"/covers/{item['cover']}", headers={"If-None-Match": res.headers["ETag"]}, status=304
    )
    assert again.body == b""


@pytest.mark.parametrize("who", [None, "reader", "owner"])
@pytest.mark.parametrize("target", [PAID, RETIRED, UNKNOWN, "..%2fx"])
def test_checkout_access(site: Site, who: str | None, target: str) -> None:
    """Who reaches the checkout route (what it does for a buyer is the payments area's tests). Visitors
    who are not logged in may buy as guests, so for them too only the CSRF token stands in the way."""
    app = logged_in(site, who)
    sales_before = site.written("sales")
    forged = app.post(f"/checkout/{target}", {"csrf_token": "0" * 64}, status="*")
    assert forged.status_int in (403, 404)
    assert site.written("sales") == sales_before  # nothing created
    _no_leak(site, forged.body)
    if target == PAID or (target == RETIRED and who == "owner"):
        return
    # a form of this browser's: the logout form when logged in, a guest's Buy form otherwise
    page = app.get("/" if who else f"/content/{UNOWNED_PAID}")
    token = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    res = app.post(f"/checkout/{target}", {"csrf_token": token}, status="*")
    assert res.status_int == 404  # unknown, traversal, or retired and not owned
    assert site.written("sales") == sales_before
    _no_leak(site, res.body)


def _same_shape(site: Site, path: str, method: str) -> tuple[int, str, bytes]:
    """An anonymous answer with the id written as a placeholder: what a visitor can compare."""
    app = site.app
    res = app.head(path, status="*") if method == "HEAD" else app.get(path, status="*")

    def plain(text: str) -> str:
        return text.replace(RETIRED, "ID").replace(UNKNOWN, "ID")
    body = re.sub(rb'name="csrf_token" value="[^"]*"', b"", res.body)
    text = plain(body.decode("utf-8", "replace"))
    return res.status_int, plain(res.headers.get("Location", "")), text.encode()


@pytest.mark.parametrize(
    ("method", "route"),
    [(m, r) for m in ("GET", "HEAD")
     for r in ("/content/{}/download", "/content/{}/download?version=1", "/content/{}/download?version=7")]
    + [("GET", "/content/{}")],
)
def test_anonymous_answers_do_not_tell_retired_ids_from_unknown_ones(
    site: Site, method: str, route: str
) -> None:
    """Issue 20, item 10: a retired item's download, read and page routes answer a visitor who is not
    logged in exactly like an id that never existed (same status, same location, same body)."""
    retired = _same_shape(site, route.format(RETIRED), method)
    unknown = _same_shape(site, route.format(UNKNOWN), method)
    assert retired == unknown
    assert retired[0] in (302, 404)


def test_anonymous_bundle_answers_do_not_tell_retired_ids_from_unknown_ones(site: Site) -> None:
    """The same for bundles: the page and the guest's Buy of a retired bundle answer like an unknown id."""
    from paidpdf.content import bundles

    bundles.add(site.store, "old-set", title="Old set", price_text="5", currency="usd", items=[PAID, FREE])
    bundles.set_status(site.store, "old-set", "retired")
    app = site.app
    token = app.get(f"/content/{UNOWNED_PAID}").html.find("input", attrs={"name": "csrf_token"})["value"]
    answers = []
    for bundle_id in ("old-set", "no-such-set"):
        page = app.get(f"/bundles/{bundle_id}", status="*")
        buy = app.post(f"/checkout/bundle/{bundle_id}", {"csrf_token": token}, status="*")
        plain = [re.sub(rb'value="[^"]*"', b"", r.body).replace(bundle_id.encode(), b"ID")
                 for r in (page, buy)]
        answers.append([(page.status_int, plain[0]), (buy.status_int, plain[1])])
    assert answers[0] == answers[1]
    assert [status for status, _ in answers[0]] == [404, 404]


def test_disabled_account_cannot_log_in(site: Site) -> None:
    res = login(site.app, "disabled@example.com", status=403)
    assert "this account is disabled" in res.text
    assert "paidpdf_session" not in site.app.cookies


def test_library_needs_login_and_shows_retired_owned(site: Site) -> None:
    res = site.app.get("/library", status=302)
    assert res.location.endswith("/login?next=/library")
    app = logged_in(site, "owner")
    page = app.get("/library")
    assert "Git for Writers" in page.text or RETIRED in page.text
    assert f'href="/content/{RETIRED}/download"' in page.text
    assert f'href="/content/{PAID}/download"' in page.text
    assert "no longer sold" in page.text
    assert form_for(page, "/logout")
