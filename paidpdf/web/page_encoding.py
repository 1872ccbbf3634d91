"""HTML pages answer conditional requests (ETag → 304) and travel gzip-compressed when they can.

Only whole HTML pages are touched (files keep their own ETags and are never compressed: PDFs do not
shrink and Range requests need the real bytes). A page is compressed only when it carries no secret:
a page that rendered a CSRF token is sent as it is, because compressing a secret beside text an
attacker can put in the same page (a search, a `next=` link) lets him guess the secret from the
compressed length (BREACH). The catalog and item pages of readers who are not logged in, the bulk of
the traffic, carry none.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from typing import Any

#: Set in the request's environ when the page rendered a CSRF token (see `Visitor.csrf_token`).
HAS_SECRET = "paidpdf.page_has_secret"  # noqa: S105 - an environ key, not a secret
MIN_COMPRESS = 1024

Headers = list[tuple[str, str]]


def finish(
    environ: dict[str, Any], status: str, headers: Headers, body: Iterable[bytes]
) -> tuple[str, Headers, Iterable[bytes]]:
    """The response to send for a page: 304 when the browser has it, compressed when it may be."""
    kind = _header(headers, "Content-Type") or ""
    if not status.startswith("200") or not kind.startswith("text/html") or not isinstance(body, list):
        return status, headers, body
    payload = b"".join(body)
    etag = f'W/"{hashlib.blake2b(payload, digest_size=12).hexdigest()}"'
    headers = _set(headers, "ETag", etag)
    headers = _set(headers, "Vary", ", ".join(filter(None, [_header(headers, "Vary"), "Accept-Encoding"])))
    wanted = str(environ.get("HTTP_IF_NONE_MATCH") or "")
    if etag in [tag.strip() for tag in wanted.split(",")]:
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
        return "304 Not Modified", kept, []
    if len(payload) >= MIN_COMPRESS and not environ.get(HAS_SECRET) and _accepts_gzip(environ):
        payload = gzip.compress(payload, compresslevel=5, mtime=0)
        headers = _set(headers, "Content-Encoding", "gzip")
    return status, _set(headers, "Content-Length", str(len(payload))), [payload]


def _accepts_gzip(environ: dict[str, Any]) -> bool:
    for part in str(environ.get("HTTP_ACCEPT_ENCODING") or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _header(headers: Headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def _set(headers: Headers, name: str, value: str) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]
