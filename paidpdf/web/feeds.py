"""The private library feeds: `/feeds/<token>/opds`, `/feeds/<token>/podcast.xml` and their file links
`/feeds/<token>/files/<item>/<key>`, and the library's "Reset my feed link" button.

Why these rules (see docs/feeds.md):

- the token is the only credential (apps cannot log in): the feeds never read or set a cookie, so a
  browser's session adds nothing and a feed link cannot be used for CSRF; answers say
  `Cache-Control: private` (a shared cache must not keep one reader's library), `X-Robots-Tag:
  noindex` and `Referrer-Policy: no-referrer` (the token must not leak in a Referer);
- a file link is the library's download (`downloads.send_download`) for the token's reader: the same
  entitlement check, stamping, Range/ETag, download limit and download log; there is no second path;
- an unknown, reset or disabled token is a plain 404 whatever else is asked, and every request counts
  against the per-address limit (`PAIDPDF_FEED_REQUESTS_PER_ADDRESS`) before the token is looked at;
- errors are short plain text, never the site's HTML error page (which reads the session cookie).
"""

from __future__ import annotations

import hashlib
from typing import Any

import bottle
from bottle import request, response

from paidpdf.accounts import feed_tokens, throttle
from paidpdf.accounts.records import ACCOUNTS
from paidpdf.clock import now
from paidpdf.content import shop
from paidpdf.errors import PaidPdfError
from paidpdf.ownership import access
from paidpdf.store import Doc
from paidpdf.web import downloads, page_encoding
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.request_fields import remote_addr

FEED_CACHE = "private, no-cache"
#: Headers on every feed answer, the errors included.
FEED_HEADERS = (("X-Robots-Tag", "noindex, nofollow"), ("Referrer-Policy", "no-referrer"))
OPDS_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition;charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"


def _plain(status: int, text: str, extra: dict[str, str] | None = None) -> bottle.HTTPResponse:
    headers = {"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "private, no-store",
               **dict(FEED_HEADERS), **(extra or {})}
    return bottle.HTTPResponse(text + "\n", status=status, headers=headers)


def _reader(web: WebContext, token: str) -> Doc:
    """The token's reader, after the request was counted against its address's limit; else a 404
    (or 429) answer is raised."""
    try:
        rules = throttle.feed_rules(remote_addr())
        moment = now()
        with web.store.unit(ACCOUNTS) as unit:
            throttle.check(unit, rules, moment, "feed requests")
            throttle.record(unit, rules, moment)
    except throttle.Throttled as exc:
        raise _plain(429, exc.message, {"Retry-After": str(exc.retry_after)}) from None
    user = feed_tokens.feed_user(web.store, web.secret_key, token)
    if user is None:
        raise _plain(404, "no such feed; the feed link may have been reset (see your library page)")
    for name, value in FEED_HEADERS:
        response.set_header(name, value)
    return user


def _document(web: WebContext, token: str, kind: str) -> bytes:
    from paidpdf.web import feed_documents  # feedgen and lxml (~8 MB) load with the first feed served

    user = _reader(web, token)
    where = feed_documents.FeedContext(
        web.settings.base_url, token, hashlib.sha256(str(user["id"]).encode()).hexdigest()[:16],
        str(shop.identity_or_defaults(web.store)["name"]), now(),
    )
    # what the library shows: what the reader owns, then what a membership lets them read
    rows = access.library_items(web.store, user)
    rows += [row for _, group in access.included_items(web.store, user) for row in group]
    response.set_header("Cache-Control", FEED_CACHE)
    if kind == "opds":
        response.content_type = OPDS_TYPE
        return feed_documents.opds(rows, where)
    response.content_type = RSS_TYPE
    return feed_documents.podcast(rows, where)


def opds(web: WebContext, token: str) -> bytes:
    """The reader's ebooks and PDFs, for KOReader, Calibre and other OPDS apps."""
    return _document(web, token, "opds")


def podcast(web: WebContext, token: str) -> bytes:
    """The reader's audio, for podcast apps."""
    return _document(web, token, "podcast")


def file(web: WebContext, token: str, item_id: str, key: str) -> Any:
    """A file of the token reader's item, exactly as their library's download link answers it."""
    user = _reader(web, token)
    try:
        return downloads.send_download(web, user, item_id, key)
    except bottle.HTTPResponse:
        raise  # a redirect to the object store (already carries the headers set so far)
    except PaidPdfError as exc:  # plain text: the HTML error page would read the session cookie
        status = 404 if exc.http_status == 401 else exc.http_status
        raise _plain(status, exc.message if status < 500 else "the file could not be sent") from None


@login_required
def reset_link(web: WebContext, user: Doc) -> None:
    """"Reset my feed link" (and "Make my feed link"): a new token; the old one is a 404 from now on."""
    web.visitor.check_csrf()
    feed_tokens.reset(web.store, web.secret_key, user["id"])
    web.redirect("/library#feed", 303)


def library_links(web: WebContext, user: Doc) -> dict[str, str] | None:
    """The reader's feed addresses for the library page, or None before they made one."""
    token = feed_tokens.current_token(web.store.view(ACCOUNTS), web.secret_key, user["id"])
    if token is None:
        return None
    request.environ[page_encoding.HAS_SECRET] = True  # the page holds a secret: never compressed (BREACH)
    base = f"{web.settings.base_url}/feeds/{token}"
    return {"opds": f"{base}/opds", "podcast": f"{base}/podcast.xml"}
