"""Whole answers to catalog and item page views, kept and sent without running a route.

The pages are already kept (`page_cache`, `reader_pages`), yet serving one still went through Bottle,
the currency and language choices, the session lookup and the page's encoding: about 80-150 µs of
Python per view, most of a request's own cost. So the answer itself (status, every header, the body as
sent, gzip or not) is kept too, under everything of the request it depends on, and the next identical
view is answered from it after one check: that the files it was made from are at the versions it was
made from. That is the catalog for an anonymous page; for a logged-in reader's page also the accounts
(their session, address, a disabled flag) and the sales (what they own, their memberships), read
together (`DataStore.versions`: six `stat` calls on the data folder, one query on PostgreSQL). Any
write to one of them, by any process, is a new version. A reader's answer is also sent only before
the first moment what it shows of them can change with nothing written, their session's end or a
membership's end (`reader_pages.fresh_until`, `KEEP_READER`).

What a kept answer may depend on, and so the key: the path and query, the `Accept-Language` header, the
cookies (the session, the language and currency choices), whether gzip is accepted, the proxy's country
header (only believed with `X-Forwarded-For`, as `currency_choice` does), the scheme and host. Never
kept:

- an answer to a browser with a flash message (shown once);
- anything a route did not mark with `KEEP` (anonymous pages) or `KEEP_READER` (a reader's): searches,
  `?code=` pages and HEAD requests are not;
- an answer that sets a cookie, but for the anti-forgery binding a page with a token gives a browser
  that has none.

The anonymous item page carries the visitor's CSRF token (its Buy form): it is kept with
`page_cache.PLACEHOLDER` where the token goes (the route hands over the kept page in `KEEP`), and each
answer puts in this browser's token (`Visitor.anonymous_token`: their signed binding cookie, or a new
one with its `Set-Cookie`), then its own ETag and length; such a page is never compressed (BREACH, see
`page_encoding`). So the anti-forgery cookie is left out of the key. A reader's page holds their
session-bound token and goes only to the browser holding that session cookie (part of the key). An
`If-None-Match` matching the answer's ETag gets its 304 here as well.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from paidpdf import clock
from paidpdf.errors import StorageError
from paidpdf.store import ACCOUNTS, CATALOG, SALES, DataStore
from paidpdf.web import catalog_cache, page_encoding, security
from paidpdf.web.byte_lru import ByteLRU
from paidpdf.web.page_cache import PLACEHOLDER

#: Set in the environ by a route whose anonymous answer may be kept: None (keep it as sent), or the
#: page as kept with `PLACEHOLDER` where the visitor's token goes.
KEEP = "paidpdf.front_keep"
#: Set by a route whose logged-in answer may be kept: until when (ISO time) it may be sent, at the latest.
KEEP_READER = "paidpdf.front_keep_reader"
#: Set by `answer` on a miss: the versions read before the route ran (what `keep` keeps it under).
VERSIONS = "paidpdf.front_versions"
_UNMARKED = object()
#: In waitress's I/O thread: the (key, answer) `ready` found, for `answer` to send.
_loop = threading.local()
#: Bytes of answers kept (bodies); the least recently used go first.
MAX_BYTES = 4 * 1024 * 1024

Headers = list[tuple[str, str]]
_SESSION = security.SESSION_COOKIE
_FLASH = security.FLASH_COOKIE
#: Made per answer for a page with a token: its binding cookie, ETag and length.
_PER_ANSWER = ("set-cookie", "etag", "content-length")
_SLOT = PLACEHOLDER.encode()
#: What a 304 leaves out (it has no body): as `page_encoding.finish` does.
_BODY_HEADERS = ("content-length", "content-type", "content-encoding")


class Answer:
    """A kept answer; `slot`: its body holds `PLACEHOLDER`, and its headers no ETag or length yet;
    `until`: a logged-in reader's answer is sent only before then (`KEEP_READER`)."""

    __slots__ = ("body", "etag", "headers", "not_modified", "slot", "status", "until", "version")
    until: float | None  # seconds since the epoch (`time.time()`), read once when kept

    def __init__(
        self, version: Any, status: str, headers: Headers, body: bytes, slot: bool, until: float | None = None
    ) -> None:
        self.version = version
        self.status = status
        self.headers = headers
        self.body = body
        self.slot = slot
        self.until = until
        self.etag = next((v for k, v in headers if k == "ETag"), "")
        self.not_modified = _without_body(headers)


class FrontCache:
    """Kept answers, `key(environ)` → `Answer`, checked against `versions(reader)` on every use: the
    catalog's version, and for a browser with a session the accounts' and sales' too."""

    def __init__(
        self,
        versions: Callable[[bool, bool], Any],
        token: Callable[[dict[str, Any]], tuple[str, str | None]],
        country_header: str | None = None,
        limit: int = MAX_BYTES,
    ) -> None:
        self._versions = versions
        self._token = token
        self._country = "HTTP_" + country_header.upper().replace("-", "_") if country_header else None
        self._answers: ByteLRU[Answer] = ByteLRU(limit, lambda answer: len(answer.body))

    def key(self, environ: dict[str, Any]) -> Hashable | None:
        """What the answer to this GET depends on; None when it may not come from here at all."""
        path = str(environ.get("PATH_INFO") or "")
        if path != "/" and not (path.startswith("/content/") and path.count("/") == 2):
            return None  # only the catalog and item pages are ever kept
        cookie = str(environ.get("HTTP_COOKIE") or "")
        if cookie:
            if _FLASH in cookie:
                return None
            cookie = ";".join(
                part for part in cookie.split(";") if not part.strip().startswith(_BINDING_NAMES)
            )
        header = self._country
        country = environ.get(header) if header and environ.get("HTTP_X_FORWARDED_FOR") else None
        return (
            _SESSION in cookie,  # a reader's answer: checked against their state's files too
            path,
            environ.get("QUERY_STRING", ""),
            cookie,
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            page_encoding.accepts_gzip(environ),
            country,
            environ.get("wsgi.url_scheme"),
            environ.get("HTTP_HOST"),
        )

    def ready(self, environ: dict[str, Any]) -> bool:
        """An answer to this request is kept, made from the files as they are now, and that could be
        told without waiting for anything (`Store.versions_if_read`: no lock, no query). Asked by
        waitress's I/O thread (`admin/loop_answers`), which then serves the request at once: the
        answer found here is the one `answer` sends (`_loop`), so nothing is read twice and no page
        is ever rendered in that thread."""
        key = self.key(environ)
        found = self._answers.get(key) if key is not None else None
        if found is None or (found.until is not None and time.time() >= found.until):
            return False
        try:
            if found.version != self._versions(bool(key[0]), True):  # type: ignore[index]
                return False
        except StorageError:
            return False
        _loop.found = (key, found)
        return True

    def answer(self, environ: dict[str, Any], key: Hashable) -> tuple[str, Headers, list[bytes]] | None:
        """The kept answer to this request, if one was made from the files as they are now. On a miss,
        the versions are kept in the environ for `keep` (read before the route reads anything, so a
        change made meanwhile can only make the kept answer look older than it is, never newer)."""
        stashed, _loop.found = getattr(_loop, "found", None), None
        if stashed is not None and stashed[0] == key:  # checked by `ready` just now, in this thread
            return self._send(environ, stashed[1])
        found = self._answers.get(key)
        expired = found is not None and found.until is not None and time.time() >= found.until
        try:
            versions = self._versions(bool(key[0]), False)  # type: ignore[index]
        except StorageError:  # a damaged file: the route's own path answers (its 500 page)
            return None
        if found is None or expired or found.version != versions:
            environ[VERSIONS] = versions
            catalog_cache.seed_version(environ, versions[0])  # the route makes its page from it
            if found is not None:  # made from older files, or past its end: never sent again
                self._answers.discard(key, found)
            return None
        return self._send(environ, found)

    def _send(self, environ: dict[str, Any], found: Answer) -> tuple[str, Headers, list[bytes]]:
        if found.slot:
            return _with_token(environ, found, *self._token(environ))
        if found.etag and page_encoding.etag_matches(environ, found.etag):
            return "304 Not Modified", list(found.not_modified), []
        return found.status, list(found.headers), [found.body]

    def keep(self, environ: dict[str, Any], key: Hashable, status: str, headers: Headers, body: Any) -> None:
        """Keep this answer if its route marked it (`KEEP`, `KEEP_READER`) and it is the same for every
        request with this key."""
        version = environ.get(VERSIONS)
        if version is None or not status.startswith("200"):
            return
        until_text = environ.get(KEEP_READER)
        until = _moment(until_text) if until_text is not None else None
        marked = environ.get(KEEP, _UNMARKED)
        if until_text is not None:  # a logged-in reader's page: this session's own bytes, its token in
            if not key[0] or until is None or marked is not _UNMARKED:  # type: ignore[index]
                return
            page: Any = None
        elif marked is _UNMARKED:
            return
        else:
            page = marked
        slot = isinstance(page, str)  # `PageCache.kept`: text only with PLACEHOLDER; else bytes as sent
        if slot:
            sent = page.encode()
            if any(k.lower() == "set-cookie" and not v.startswith(_BINDING_NAMES) for k, v in headers):
                return
            headers = [(k, v) for k, v in headers if k.lower() not in _PER_ANSWER]
        else:
            secret_allowed = until is not None
            if environ.get(page_encoding.HAS_SECRET) and not secret_allowed:
                return
            if any(k.lower() == "set-cookie" for k, _ in headers):
                return
            if not isinstance(body, list) or len(body) != 1 or not isinstance(body[0], bytes):
                return
            sent = body[0]
        self._answers.put(key, Answer(version, status, list(headers), sent, slot, until))

    def size(self) -> tuple[int, int]:
        """(answers, bytes) kept now."""
        return self._answers.size()


#: The anti-forgery cookie under both of its names (`__Host-` behind https).
_BINDING_NAMES = (security.ANON_COOKIE + "=", "__Host-" + security.ANON_COOKIE + "=")


def _moment(text: str) -> float | None:
    """An ISO time as seconds since the epoch; None for "" or a time written any other way (then the
    answer is not kept: better made again than sent past its end)."""
    try:
        return clock.parse_iso(text).timestamp()
    except ValueError:
        return None


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
        return "304 Not Modified", [*kept.not_modified, ("ETag", etag)], []
    return kept.status, [*kept.headers, *cookie, ("ETag", etag), ("Content-Length", str(len(body)))], [body]


_READER_FILES = (CATALOG, ACCOUNTS, SALES)  # the catalog first: the route's version (`answer`)
_CATALOG_ONLY = (CATALOG,)


def front_versions(store: DataStore) -> Callable[[bool, bool], Any]:
    """What a kept answer is made from: the catalog (items, prices, the shop), and for a logged-in
    reader also the accounts (their session, address, a disabled flag) and sales (what they own, their
    memberships). Any write to one of these files, by any process, is a new version."""

    def versions(reader: bool, without_waiting: bool) -> Any:
        names = _READER_FILES if reader else _CATALOG_ONLY
        return store.versions_if_read(names) if without_waiting else store.versions(names)

    return versions
