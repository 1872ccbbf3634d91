"""The cache keys of a logged-in reader's item and catalog pages: everything the page shows of them.

A logged-in reader's page differs from a visitor's in what it shows of the reader: the header (their
e-mail address, "My library", the Log out form), and, per item, whether they own it, may download it
(owned, free, or covered by a membership, and not disabled: a disabled account has no session) and
under which membership it is included. Each of these is read afresh from the store on every request
(the same reads an uncached page makes: the session, the reader's library entries, their membership
record checked against the clock), and the key is made *of their values*, never of a counter that
writers must remember to bump. So any change that alters what the page shows, however it was made (a
purchase's webhook, a refund, a dispute, a membership starting or ending, even by its period running
out, an admin's grant or revoke, a CSV import, in this process, another worker or the CLI, on either
backend), changes the key on the very next request, and the page is rendered again. What the page
shows of the catalog (items, prices, the shop's identity, plans) is covered by the catalog version the
cache is kept for (`page_cache.PageCache`). The per-session CSRF token is never part of the kept page
(`page_cache.PLACEHOLDER`): each request puts its own in.

In front of this cache, `front_cache` keeps the whole answer per session; it reads none of the above
on a hit, and is instead checked against the versions of the files they come from (any write is a new
version) and sent only until `fresh_until` (the one change that needs no write: time passing).
"""

from __future__ import annotations

from collections.abc import Hashable

from paidpdf.accounts import sessions
from paidpdf.accounts.sessions import SESSIONS
from paidpdf.memberships import records
from paidpdf.ownership.access import ShelfItem
from paidpdf.store import ACCOUNTS, SALES, DataStore, Doc
from paidpdf.web.visitor import Visitor

#: Bytes of logged-in pages kept per catalog version (per worker): about 1,400 catalog pages of 11 KB,
#: or a few pages each of several hundred readers active at once; the least recently used go first.
READER_PAGES = 16 * 1024 * 1024


def header(user: Doc) -> tuple[str, str]:
    """What every page shows of the reader: who they are (the header's address and library link)."""
    return str(user["id"]), str(user.get("email") or "")


def item_key(path: str, user: Doc, shelf: ShelfItem) -> Hashable:
    """The item page at `path` as `user` sees it (`shelf`, read for this request)."""
    return path, header(user), shelf.owned, shelf.can_download, shelf.included_in


def catalog_key(page: str, user: Doc, owned: frozenset[str]) -> Hashable:
    """The catalog page `page` (its parsed query) for a reader who owns `owned` (the cards' marks)."""
    return page, header(user), owned


def fresh_until(store: DataStore, visitor: Visitor, user: Doc) -> str:
    """Until when a logged-in reader's whole answer may be kept (`front_cache.KEEP_READER`): the
    first moment what it shows of them can change with nothing written, that is their session's end
    or the end of a membership's access; "" (keep nothing) without a live session."""
    token = visitor.session_token()
    session = store.view(ACCOUNTS).get(SESSIONS, sessions.token_digest(token)) if token else None
    if session is None:
        return ""
    ends = [str(session["expires_at"])]
    ends += [grant.access_until for grant in records.grants(store.view(SALES), str(user["id"]))]
    return min(ends)
