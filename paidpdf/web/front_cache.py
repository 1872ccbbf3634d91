"""Whole answers to anonymous catalog views, kept per catalog version and sent without running a route.

The anonymous catalog page is already kept per catalog version (`page_cache`), yet serving it still
went through Bottle, the currency and language choices, the session lookup and the page's encoding:
about 80 µs of Python per view, most of a request's own cost. So the answer itself (status, every
header, the body as sent, gzip or not) is kept too, under everything of the request it depends on,
and the next identical view is answered from it after one check, that the catalog's version is still
the one the answer was made from (on the data folder two `stat` calls, the test every view makes).

What a kept answer may depend on, and so the key: the path and query, the `Accept-Language` header, the
cookies (the language and currency choices), whether gzip is accepted, the proxy's country header (only
believed with `X-Forwarded-For`, as `currency_choice` does), the scheme and host. Never kept:

- an answer to a browser with a session or a flash message (a logged-in reader's page shows them;
  `reader_pages` keeps those under what they show of the reader, read per request);
- anything a route did not mark with `KEEP` (the anonymous catalog and item pages are: their bytes
  depend on the catalog version and the parsed request alone, but for the visitor's CSRF token);
- an answer that sets a cookie, but for the anti-forgery binding a page with a token gives a browser
  that has none.

The anonymous item page carries the visitor's CSRF token (its Buy form): it is kept with
`page_cache.PLACEHOLDER` where the token goes (the route hands over the kept page in `KEEP`), and each
answer puts in this browser's token (`Visitor.anonymous_token`: their signed binding cookie, or a new
one with its `Set-Cookie`), then its own ETag and length; such a page is never compressed (BREACH, see
`page_encoding`). So the anti-forgery cookie is left out of the key. An `If-None-Match` matching the
answer's ETag gets its 304 here as well.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from paidpdf.errors import StorageError
from paidpdf.web import page_encoding, security
from paidpdf.web.page_cache import PLACEHOLDER

#: Set in the environ by a route whose answer may be kept: the catalog version it was made from.
KEEP = "paidpdf.front_keep"
#: Bytes of answers kept (bodies); the least recently used go first.
MAX_BYTES = 4 * 1024 * 1024

Headers = list[tuple[str, str]]
_REFUSED = (security.SESSION_COOKIE, security.FLASH_COOKIE)
#: Made per answer for a page with a token: its binding cookie, ETag and length.
_PER_ANSWER = ("set-cookie", "etag", "content-length")
_SLOT = PLACEHOLDER.encode()
#: What a 304 leaves out (it has no body): as `page_encoding.finish` does.
_BODY_HEADERS = ("content-length", "content-type", "content-encoding")


class Answer:
    """A kept answer; `slot`: its body holds `PLACEHOLDER`, and its headers no ETag or length yet."""

    __slots__ = ("body", "etag", "headers", "not_modified", "slot", "status", "version")

    def __init__(self, version: Any, status: str, headers: Headers, body: bytes, slot: bool) -> None:
        self.version = version
        self.status = status
        self.headers = headers
        self.body = body
        self.slot = slot
        self.etag = next((v for k, v in headers if k == "ETag"), "")
        self.not_modified = _without_body(headers)


class FrontCache:
    """Kept answers, `key(environ)` → `Answer`, checked against `version()` on every use."""

    def __init__(
        self,
        version: Callable[[], Any],
        token: Callable[[dict[str, Any]], tuple[str, str | None]],
        country_header: str | None = None,
        limit: int = MAX_BYTES,
    ) -> None:
        self._version = version
        self._token = token
        self._country = "HTTP_" + country_header.upper().replace("-", "_") if country_header else None
        self._limit = limit
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, Answer] = OrderedDict()
        self._bytes = 0

    def key(self, environ: dict[str, Any]) -> Hashable | None:
        """What the answer to this GET depends on; None when it may not come from here at all."""
        cookie = str(environ.get("HTTP_COOKIE") or "")
        if cookie:
            if any(name in cookie for name in _REFUSED):
                return None
            cookie = ";".join(
                part for part in cookie.split(";") if not part.strip().startswith(_BINDING_NAMES)
            )
        header = self._country
        country = environ.get(header) if header and environ.get("HTTP_X_FORWARDED_FOR") else None
        return (
            environ.get("PATH_INFO"),
            environ.get("QUERY_STRING", ""),
            cookie,
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            page_encoding.accepts_gzip(environ),
            country,
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
        )

    def ready(self, environ: dict[str, Any]) -> bool:
        """An answer to this request is kept, made from the catalog as it is now (`admin/loop_answers`
        serves such requests in waitress's I/O thread)."""
        key = self.key(environ)
        if key is None:
            return False
        with self._lock:
            found = self._answers.get(key)
        if found is None:
            return False
        try:
            return bool(found.version == self._version())
        except StorageError:
            return False

    def answer(self, environ: dict[str, Any], key: Hashable) -> tuple[str, Headers, list[bytes]] | None:
        """The kept answer to this request, if one was made from the catalog as it is now."""
        with self._lock:
            found = self._answers.get(key)
        if found is None:
            return None
        try:
            version = self._version()
        except StorageError:  # a damaged catalog: the route's own path answers (its 500 page)
            return None
        if found.version != version:
            with self._lock:  # made from an older catalog: never sent again
                if self._answers.get(key) is found:
                    del self._answers[key]
                    self._bytes -= len(found.body)
            return None
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
        if found.slot:
            return _with_token(environ, found, *self._token(environ))
        if found.etag and page_encoding.etag_matches(environ, found.etag):
            return "304 Not Modified", found.not_modified, []
        return found.status, found.headers, [found.body]

    def keep(self, environ: dict[str, Any], key: Hashable, status: str, headers: Headers, body: Any) -> None:
        """Keep this answer if its route marked it (`KEEP`: the catalog version, and the page as kept
        when it carries a token) and it is the same for every request with this key."""
        marked = environ.get(KEEP)
        if marked is None or not status.startswith("200"):
            return
        version, page = marked
        slot = isinstance(page, str) and PLACEHOLDER in page  # else kept as bytes: no token on it
        if slot:
            sent = page.encode()
            if any(k.lower() == "set-cookie" and not v.startswith(_BINDING_NAMES) for k, v in headers):
                return
            headers = [(k, v) for k, v in headers if k.lower() not in _PER_ANSWER]
        else:
            if environ.get(page_encoding.HAS_SECRET) or any(k.lower() == "set-cookie" for k, _ in headers):
                return
            if not isinstance(body, list) or len(body) != 1 or not isinstance(body[0], bytes):
                return
            sent = body[0]
        kept = Answer(version, status, list(headers), sent, slot)
        with self._lock:
            old = self._answers.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._answers[key] = kept
            self._bytes += len(kept.body)
            while self._bytes > self._limit and len(self._answers) > 1:
                self._bytes -= len(self._answers.popitem(last=False)[1].body)

    def size(self) -> tuple[int, int]:
        """(answers, bytes) kept now."""
        with self._lock:
            return len(self._answers), self._bytes


#: The anti-forgery cookie under both of its names (`__Host-` behind https).
_BINDING_NAMES = (security.ANON_COOKIE + "=", "__Host-" + security.ANON_COOKIE + "=")


def _without_body(headers: Headers) -> Headers:
    """A 304's headers: the 200's without those that describe a body."""
    return [(k, v) for k, v in headers if k.lower() not in _BODY_HEADERS]


def _with_token(
    environ: dict[str, Any], kept: Answer, token: str, set_cookie: str | None
) -> tuple[str, Headers, list[bytes]]:
    """A kept page with a token slot, as this browser gets it (`page_encoding.finish` does the same
    for a page a route made: a weak ETag of the bytes sent, 304 when the browser has them)."""
    body = kept.body.replace(_SLOT, token.encode())
    etag = page_encoding.page_etag(body)
    cookie = [("Set-Cookie", set_cookie)] if set_cookie is not None else []
    if set_cookie is None and page_encoding.etag_matches(environ, etag):
        return "304 Not Modified", [*_without_body(kept.headers), ("ETag", etag)], []
    return kept.status, [*kept.headers, *cookie, ("ETag", etag), ("Content-Length", str(len(body)))], [body]
