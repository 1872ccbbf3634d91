"""The memory the serving caches may hold (`FrontCache`, `page_cache.PageCache`, `page_encoding._Encoded`
each stop at their byte limit, dropping the least recently used first: a crawler cycling through pages
must not grow the process), and `Cookies.header`, the `Set-Cookie` of an answer made without a route,
which must be what Bottle sends for the same cookie. No store involved: no backend to run on."""

from __future__ import annotations

import gzip
import os
import string
from collections.abc import Hashable
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from paidpdf.web import page_encoding
from paidpdf.web.cookies import Cookies
from paidpdf.web.front_cache import KEEP, VERSIONS, FrontCache
from paidpdf.web.page_cache import PLACEHOLDER, PageCache

LIMIT = 1000
PIECE = 300  # three fit in LIMIT, a fourth does not


def _front_keep(cache: FrontCache, key: Hashable, body: bytes) -> None:
    """What `ReaderApp.wsgi` does: ask for a kept answer (a miss notes the versions read now), run the
    route (which marks its answer with `KEEP`), keep the answer."""
    environ: dict[str, Any] = {}
    if cache.answer(environ, (False, key)) is not None:  # kept already: as if its version had changed
        environ[VERSIONS] = (1,)
    environ[KEEP] = None
    cache.keep(environ, (False, key), "200 OK", [("Content-Type", "text/html; charset=utf-8")], [body])


def _kept(cache: FrontCache, key: Hashable) -> bytes | None:
    answer = cache.answer({}, (False, key))
    return None if answer is None else b"".join(answer[2])


def test_the_front_cache_holds_at_most_its_limit_dropping_the_least_recently_used() -> None:
    """Answers are counted in bytes of bodies; the one used last survives a newcomer, the oldest goes."""
    cache = FrontCache(lambda reader, without_waiting: (1,), lambda environ: ("token", None), limit=LIMIT)
    bodies = {key: bytes([65 + key]) * PIECE for key in range(12)}
    for key in range(3):
        _front_keep(cache, key, bodies[key])
    assert cache.size() == (3, 3 * PIECE)
    assert _kept(cache, 0) == bodies[0]  # used: now the most recent
    _front_keep(cache, 3, bodies[3])
    assert cache.size() == (3, 3 * PIECE)
    assert _kept(cache, 1) is None  # the least recently used went first
    assert [_kept(cache, key) for key in (0, 2, 3)] == [bodies[0], bodies[2], bodies[3]]
    for key in range(4, 12):
        _front_keep(cache, key, bodies[key])
        answers, kept = cache.size()
        assert kept <= LIMIT and kept == answers * PIECE
    _front_keep(cache, 11, b"x" * 10)  # kept again under the same key: its old bytes are not counted
    assert cache.size() == (3, 2 * PIECE + 10)


def test_a_front_answer_from_an_older_catalog_is_dropped_and_its_bytes_freed() -> None:
    version = [1]
    cache = FrontCache(lambda *_: (version[0],), lambda environ: ("token", None), limit=LIMIT)
    _front_keep(cache, "page", b"p" * PIECE)
    assert _kept(cache, "page") == b"p" * PIECE
    version[0] = 2
    assert _kept(cache, "page") is None
    assert cache.size() == (0, 0)


def test_the_page_cache_holds_at_most_its_limit_dropping_the_least_recently_used() -> None:
    """Pages are counted in bytes as kept (UTF-8 for pages without a token, text with the slot)."""
    cache = PageCache(limit=LIMIT)
    renders: list[Hashable] = []

    def render(key: int, slot: bool = False) -> Any:
        def made() -> str:
            renders.append(key)
            tail = PLACEHOLDER if slot else ""
            return chr(65 + key) * (PIECE - len(tail)) + tail
        return made

    for key in range(3):
        cache.page(1, key, render(key), lambda: "tok")
    assert cache.size() == (3, 3 * PIECE)
    cache.page(1, 0, render(0), lambda: "tok")  # used: kept, now the most recent
    cache.page(1, 3, render(3, slot=True), lambda: "tok")
    assert cache.size() == (3, 3 * PIECE) and renders == [0, 1, 2, 3]
    for key in (0, 2, 3):
        cache.page(1, key, render(key), lambda: "tok")
    assert renders == [0, 1, 2, 3]  # none rendered again
    assert cache.page(1, 1, render(1), lambda: "tok") == b"B" * PIECE and renders[-1] == 1  # it had gone
    for key in range(4, 20):
        cache.page(1, key, render(key), lambda: "tok")
        pages, kept = cache.size()
        assert kept <= LIMIT and kept == pages * PIECE
    assert cache.page(1, 3, render(3, slot=True), lambda: "tok").endswith(b"tok")
    cache.page(2, "other", render(5), lambda: "tok")  # a new catalog version: the old pages go
    assert cache.size() == (1, PIECE)


def _encoded_bytes(encoded: page_encoding._Encoded) -> int:
    """What `_Encoded` really holds: each page and its gzip form."""
    return sum(len(page) + len(packed or b"") for page, (_, _, packed) in encoded.kept.items())


def test_encodings_kept_beside_pages_hold_at_most_their_limit() -> None:
    """`_Encoded` counts each page and its gzip form, the least recently used going first;
    incompressible pages (their gzip is larger) fill it fastest."""
    encoded = page_encoding._Encoded(limit=LIMIT)
    pages = [os.urandom(PIECE) for _ in range(12)]
    for page in pages[:3]:
        assert encoded.etag(page) == page_encoding.page_etag(page)
    encoded.etag(pages[0])  # used: now the most recent
    encoded.etag(pages[3])
    assert encoded.kept.in_order() == [pages[2], pages[0], pages[3]]
    assert encoded.kept.size()[1] == _encoded_bytes(encoded) == 3 * PIECE
    assert gzip.decompress(encoded.gzip(pages[2])) == pages[2]  # its gzip form joins it: pages[0] goes
    assert encoded.kept.in_order() == [pages[3], pages[2]]
    assert encoded.kept.size()[1] == _encoded_bytes(encoded) <= LIMIT
    for page in pages[4:]:
        encoded.gzip(page)
        assert encoded.kept.size()[1] == _encoded_bytes(encoded) <= LIMIT
        assert page in encoded.kept.in_order()


PLAIN = st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=60)
SECURE = Cookies(secure=True)
INSECURE = Cookies(secure=False)


@given(value=PLAIN | st.text(max_size=60), secure=st.booleans(),
       max_age=st.none() | st.integers(min_value=0, max_value=10**9),
       name=st.sampled_from(["paidpdf_csrf", "currency", "paidpdf_lang"]))
def test_cookie_header_is_what_bottle_sends(value: str, secure: bool, max_age: int | None, name: str) -> None:
    """`Cookies.header` formats the attributes once per name and puts the value in front: for every
    value it must equal Bottle's own `Set-Cookie` (quoted values fall back to Bottle)."""
    cookies = SECURE if secure else INSECURE  # shared: the formatted attributes are reused
    assert cookies.header(name, value, max_age) == cookies._formatted(name, value, max_age)
    if secure:
        assert cookies.header(name, value, max_age).startswith(f"__Host-{name}=")
