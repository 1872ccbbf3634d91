"""Pages answer conditional requests and are compressed, except pages that carry a secret (BREACH)."""

from __future__ import annotations

import gzip
from typing import Any

from webob import Request, Response

from tests.web.site import FREE, Site, logged_in

GZIP = {"Accept-Encoding": "gzip, deflate, br"}


def raw(site: Site, path: str, headers: dict[str, str], cookies: Any = None) -> Response:
    """The answer as the server sends it (WebTest would undo the compression for us)."""
    request = Request.blank(path, headers=headers, environ={"REMOTE_ADDR": "192.0.2.9"})
    if cookies:
        request.headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return request.get_response(site.app.app)


def test_an_anonymous_page_is_compressed_and_revalidates_with_a_304(site: Site) -> None:
    plain = site.app.get("/")
    packed = raw(site, "/", GZIP)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.body) == plain.body
    assert int(packed.headers["Content-Length"]) == len(packed.body) < len(plain.body)
    etag = plain.headers["ETag"]
    assert packed.headers["ETag"] == etag  # one page, one tag, however it travels
    again = site.app.get("/", headers={"If-None-Match": etag}, status=304)
    assert again.body == b"" and again.headers["ETag"] == etag
    assert "Content-Security-Policy" in again.headers  # security headers on every answer
    item = raw(site, f"/content/{FREE}", {**GZIP, "If-None-Match": '"other", ' + etag})
    assert item.status_int == 200 and item.headers["Content-Encoding"] == "gzip"


def test_pages_with_a_csrf_token_are_never_compressed(site: Site) -> None:
    login = raw(site, "/login", GZIP)
    assert "Content-Encoding" not in login.headers and b"csrf_token" in login.body
    reader = logged_in(site, "reader")
    catalog = raw(site, "/?q=abc", GZIP, reader.cookies)  # the logout form's token beside reflected text
    assert b"Log out" in catalog.body and b"csrf_token" in catalog.body
    assert "Content-Encoding" not in catalog.headers and "ETag" in catalog.headers


def test_files_and_refused_encodings_are_left_alone(site: Site) -> None:
    reader = logged_in(site, "reader")
    download = raw(site, f"/content/{FREE}/download", GZIP, reader.cookies)
    assert "Content-Encoding" not in download.headers and download.body.startswith(b"%PDF")
    refused = raw(site, "/", {"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers
