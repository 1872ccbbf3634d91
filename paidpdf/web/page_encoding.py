"""HTML pages answer conditional requests (ETag → 304) and travel gzip-compressed when they can.

Only whole HTML pages are touched (files keep their own ETags and are never compressed: PDFs do not
shrink and Range requests need the real bytes). A page is compressed only when it carries no secret:
a page that rendered a CSRF token is sent as it is, because compressing a secret beside text an
attacker can put in the same page (a search, a `next=` link) lets him guess the secret from the
compressed length (BREACH). The catalog and item pages of readers who are not logged in, the bulk of
the traffic, carry none.

Such a page is mostly the very bytes object the page cache keeps (`page_cache`), so its ETag and its
compressed form are kept beside it (`_Encoded`, keyed by the bytes: their hash is computed once per
object); compressing an 11 KB page costs about ten times the rest of the request.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Iterable
from typing import Any

from paidpdf.web.byte_lru import ByteLRU

#: Set in the request's environ when the page rendered a CSRF token (see `Visitor.csrf_token`).
HAS_SECRET = "paidpdf.page_has_secret"  # noqa: S105 - an environ key, not a secret
MIN_COMPRESS = 1024

Headers = list[tuple[str, str]]


class _Encoded:
    """The ETag and gzip form of recently sent pages without a secret, at most `limit` bytes of
    pages and their compressed forms (least recently used first)."""

    def __init__(self, limit: int = 4 * 1024 * 1024) -> None:
        self.kept: ByteLRU[tuple[bytes, str, bytes | None]] = ByteLRU(limit, _weight)

    def etag(self, payload: bytes) -> str:
        found = self.kept.get(payload)
        if found is not None:
            return found[1]
        etag = page_etag(payload)
        self.kept.put(payload, (payload, etag, None))
        return etag

    def gzip(self, payload: bytes) -> bytes:
        found = self.kept.get(payload)
        if found is not None and found[2] is not None:
            return found[2]
        packed = gzip.compress(payload, compresslevel=5, mtime=0)
        self.kept.put(payload, (payload, found[1] if found else page_etag(payload), packed))
        return packed


def _weight(kept: tuple[bytes, str, bytes | None]) -> int:
    """A page's bytes and its compressed form's."""
    return len(kept[0]) + len(kept[2] or b"")


_encoded = _Encoded()


def page_etag(payload: bytes) -> str:
    """A page's weak ETag: a hash of the bytes sent."""
    return f'W/"{hashlib.blake2b(payload, digest_size=12).hexdigest()}"'


def finish(
    environ: dict[str, Any], status: str, headers: Headers, body: Iterable[bytes]
) -> tuple[str, Headers, Iterable[bytes]]:
    """The response to send for a page: 304 when the browser has it, compressed when it may be."""
    kind = _header(headers, "Content-Type") or ""
    if not status.startswith("200") or not kind.startswith("text/html") or not isinstance(body, list):
        return status, headers, body
    payload = body[0] if len(body) == 1 else b"".join(body)
    secret = bool(environ.get(HAS_SECRET))  # a page of one visitor's own: nothing to keep
    etag = page_etag(payload) if secret else _encoded.etag(payload)
    headers = _set(headers, "ETag", etag)
    headers = _set(headers, "Vary", ", ".join(filter(None, [_header(headers, "Vary"), "Accept-Encoding"])))
    if etag_matches(environ, etag):
        kept = [(k, v) for k, v in headers if k.lower() not in ("content-length", "content-type")]
        return "304 Not Modified", kept, []
    if len(payload) >= MIN_COMPRESS and not secret and accepts_gzip(environ):
        payload = _encoded.gzip(payload)
        headers = _set(headers, "Content-Encoding", "gzip")
    return status, _set(headers, "Content-Length", str(len(payload))), [payload]


def etag_matches(environ: dict[str, Any], etag: str) -> bool:
    """The browser sent `If-None-Match` with this ETag (it has the page)."""
    wanted = environ.get("HTTP_IF_NONE_MATCH")
    return bool(wanted) and etag in [tag.strip() for tag in str(wanted).split(",")]


def accepts_gzip(environ: dict[str, Any]) -> bool:
    for part in str(environ.get("HTTP_ACCEPT_ENCODING") or "").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _header(headers: Headers, name: str) -> str | None:
    return next((v for k, v in headers if k.lower() == name.lower()), None)


def _set(headers: Headers, name: str, value: str) -> Headers:
    return [(k, v) for k, v in headers if k.lower() != name.lower()] + [(name, value)]
