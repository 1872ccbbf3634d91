"""The front cache (`web/front_cache.py`): whole anonymous answers sent without running a route. Each
test here checks one of its promises through the real app: a kept answer is what the route sends,
it is never stale after another writer's change, each browser gets its own CSRF token that a real POST
accepts, and it never answers readers, flash messages, discount codes, searches, HEAD or a damaged
catalog. Keys (language, currency) are in test_front_cache_keys.py, byte bounds and
`Cookies.header` in test_front_cache_bounds.py."""

from __future__ import annotations

import gzip
import os
from pathlib import Path
from typing import Any

import pytest
from webob import Request, Response
from webtest import TestApp, TestResponse

from paidpdf.config import Secret
from paidpdf.content import demo
from paidpdf.web import security
from paidpdf.web.front_cache import FrontCache
from tests.web.site import PAID, PASSWORD, UNOWNED_PAID, Site, logged_in, login, make_site

BOTH_BACKENDS = True  # tests/conftest.py: each test runs on the data folder and on PostgreSQL

ITEM = f"/content/{PAID}"


def browser(site: Site, **environ: str) -> TestApp:
    """A browser of its own: no cookies shared with any other."""
    return TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1", **environ})


def front(site: Site) -> FrontCache:
    found = site.app.app.front
    assert isinstance(found, FrontCache)
    return found


def token_of(page: TestResponse) -> str:
    found = page.html.find("input", attrs={"name": "csrf_token"})
    assert found is not None, "no CSRF field on the page"
    return str(found["value"])


def binding_set(page: TestResponse) -> str | None:
    """The value of the anti-forgery cookie this answer gives, None when it gives none."""
    name = security.ANON_COOKIE + "="
    cookies = [v for k, v in page.headerlist if k == "Set-Cookie" and v.startswith(name)]
    assert len(cookies) <= 1
    return cookies[0].split(";", 1)[0].split("=", 1)[1] if cookies else None


def raw(site: Site, path: str, headers: dict[str, str]) -> Response:
    """The answer as the server sends it (WebTest would undo the compression)."""
    request = Request.blank(path, headers=headers, environ={"REMOTE_ADDR": "127.0.0.1"})
    return request.get_response(site.app.app)


def test_a_second_anonymous_catalog_view_is_the_kept_answer(site: Site) -> None:
    """The point of the front cache: the first view keeps its whole answer, the second is that answer
    (same bytes, same ETag), and the cache itself holds exactly what was sent for that request."""
    visitor = browser(site)
    before = front(site).size()
    first = visitor.get("/")
    kept = front(site).size()
    assert kept[0] == before[0] + 1 and kept[1] >= before[1] + len(first.body)
    second = visitor.get("/")
    assert second.body == first.body and second.headers["ETag"] == first.headers["ETag"]
    assert front(site).size() == kept  # answered, not kept again
    environ = Request.blank("/", environ={"REMOTE_ADDR": "127.0.0.1"}).environ
    key = front(site).key(environ)
    assert key is not None
    answer = front(site).answer(environ, key)
    assert answer is not None and answer[0] == "200 OK" and b"".join(answer[2]) == first.body


def _pdf(tmp_path: Path) -> str:
    return str(demo.make_sample_pdfs(tmp_path / "samples")[0])


def _css(tmp_path: Path) -> str:
    path = tmp_path / "mine.css"
    path.write_text("body { letter-spacing: 0.01em; }\n")
    return str(path)


CHANGES: dict[str, tuple[Any, tuple[str, ...], str]] = {
    "price": (lambda tmp: ["content", "price", PAID, "77.00"], ("/", ITEM), "$77.00"),
    "new item": (lambda tmp: ["content", "add", _pdf(tmp), "--title", "Freshly Added Booklet", "--price",
                              "3.00"], ("/",), "Freshly Added Booklet"),
    "name": (lambda tmp: ["shop", "set", "--name", "Kestrel Press"], ("/", ITEM), "Kestrel Press"),
    "locale": (lambda tmp: ["shop", "set", "--locale", "de"], ("/", ITEM), '<html lang="de">'),
    "css": (lambda tmp: ["shop", "set", "--css", _css(tmp)], ("/", ITEM), 'href="/shop/custom-'),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_by_another_writer_shows_on_the_very_next_view(
    site: Site, tmp_path: Path, change: str
) -> None:
    """Kept answers are checked against the catalog's version on every view: a change the CLI makes
    (another process on the data folder, another connection on PostgreSQL) shows at once."""
    args, paths, shown = CHANGES[change]
    visitor = browser(site)
    for path in paths:
        visitor.get(path)
        assert shown not in visitor.get(path).text  # kept now
    assert front(site).size()[0] == len(paths)
    result = site.cli(*args(tmp_path))
    assert result.exit_code == 0, result.output
    for path in paths:
        assert shown in visitor.get(path).text, path


def test_each_browser_gets_its_own_token_and_a_real_post_accepts_it(site: Site) -> None:
    """The anonymous item page is kept with a slot for the token: a new browser gets a new binding
    (Set-Cookie formatted as a route's) and its token; one that comes back keeps its token; the token
    is the one the route itself would give that cookie, and the login form's CSRF check accepts it."""
    one, two = browser(site), browser(site)
    first = one.get(ITEM)  # made by the route, then kept
    assert front(site).size()[0] == 1
    second = two.get(ITEM)  # from the front cache
    assert front(site).size()[0] == 1
    cookie_one, cookie_two = binding_set(first), binding_set(second)
    assert cookie_one and cookie_two and cookie_one != cookie_two
    assert token_of(first) != token_of(second)
    route_cookie, front_cookie = first.headers["Set-Cookie"], second.headers["Set-Cookie"]
    assert route_cookie.replace(cookie_one, "V") == front_cookie.replace(cookie_two, "V")
    key = site.app.app.web.secret_key
    assert token_of(second) == security.csrf_token(key, cookie_two)
    again = two.get(ITEM)
    assert binding_set(again) is None and token_of(again) == token_of(second)
    assert again.body == second.body and again.headers["ETag"] == second.headers["ETag"]
    uncached = make_site(site.data_dir, site.settings, page_caches=False)
    try:  # the route path, given the same cookie, sends the same page
        uncached.app.set_cookie(security.ANON_COOKIE, cookie_two)
        routed = uncached.app.get(ITEM)
        assert binding_set(routed) is None and routed.body == second.body
    finally:
        if uncached.settings.database_url:
            uncached.store.close()
    fields = {"email": "reader@example.com", "password": PASSWORD}
    two.post("/login", {**fields, "csrf_token": token_of(first)}, status=403)  # another browser's
    two.post("/login", {**fields, "csrf_token": "0" * 43}, status=403)  # forged
    assert security.SESSION_COOKIE not in two.cookies
    two.post("/login", {**fields, "csrf_token": token_of(second)}, status=303)
    assert two.cookies.get(security.SESSION_COOKIE)


def test_a_planted_binding_cookie_is_never_honoured(site: Site) -> None:
    """Login CSRF through the kept page: an attacker who plants a binding of their choosing must not get
    a page whose token matches it; the answer replaces it with a new, signed one."""
    browser(site).get(ITEM)  # the page is kept
    planted = "attacker-chosen-value"
    victim = browser(site)
    victim.set_cookie(security.ANON_COOKIE, planted)
    page = victim.get(ITEM)
    issued = binding_set(page)
    key = site.app.app.web.secret_key
    assert issued is not None and issued != planted and security.anonymous_binding_valid(key, issued)
    assert token_of(page) != security.csrf_token(key, planted)
    assert token_of(page) == security.csrf_token(key, issued)
    attacker = browser(site)
    attacker.set_cookie(security.ANON_COOKIE, planted)
    attacker.post("/login", {"email": "reader@example.com", "password": PASSWORD,
                             "csrf_token": security.csrf_token(key, planted)}, status=403)


def test_a_logged_in_readers_answer_is_kept_per_session_and_every_change_shows_at_once(site: Site) -> None:
    """A reader's pages are kept per session (their own bytes: their address, their token) and checked
    against the accounts and sales files too: a grant by the CLI shows on the very next view, another
    reader never gets them, and logging out ends them."""
    reader = logged_in(site, "reader")
    item = f"/content/{UNOWNED_PAID}"
    reader.get(item)  # a page just after login carries its flash message: made, not kept
    first = reader.get(item)
    kept = front(site).size()[0]
    again = reader.get(item)
    assert again.body == first.body and front(site).size()[0] == kept  # the kept answer, sent again
    assert "Owned" not in first.text and "reader@example.com" in first.text
    result = site.cli("users", "grant", "reader@example.com", UNOWNED_PAID)
    assert result.exit_code == 0, result.output
    page = reader.get(item)
    assert "Owned" in page.text and f"{item}/download" in page.text
    assert "Log out" in reader.get("/").text
    other = browser(site)  # another browser, another reader
    login(other, "owner@example.com")
    assert all("reader@example.com" not in other.get(path).text for path in (item, "/"))
    assert reader.get(item).text == page.text
    reader.post("/logout", {"csrf_token": token_of(page)})
    assert "Log out" not in reader.get(item).text  # the session ended: never its kept answer


def test_a_flash_message_is_shown_not_a_kept_answer(site: Site) -> None:
    """A browser with a flash cookie gets its message once, on a page the route makes."""
    for path in ("/", ITEM):
        browser(site).get(path)
    kept = front(site).size()
    for path in ("/", ITEM):
        flashed = browser(site).get(path, headers={"Cookie": f"{security.FLASH_COOKIE}=logged_out"})
        assert "You are logged out." in flashed.text, path
        assert any(f'{security.FLASH_COOKIE}=""' in v for k, v in flashed.headerlist if k == "Set-Cookie")
        assert "You are logged out." not in browser(site).get(path).text
    assert front(site).size() == kept


def test_discount_code_pages_are_made_per_request(site: Site) -> None:
    """`?code=` shows the price with the code, or why it does not apply, read now: never kept."""
    assert site.cli("promos", "add", "SPRING-20", "--percent", "20").exit_code == 0
    visitor = browser(site)
    visitor.get(ITEM)
    kept = front(site).size()
    for _ in range(2):
        assert '<span class="badge">SPRING-20</span>' in visitor.get(ITEM + "?code=SPRING-20").text
    assert front(site).size() == kept
    assert site.cli("promos", "disable", "SPRING-20").exit_code == 0
    assert '<span class="badge">SPRING-20</span>' not in visitor.get(ITEM + "?code=SPRING-20").text


def test_searches_are_made_per_request(site: Site, tmp_path: Path) -> None:
    """A search's text is the visitor's: rendered per request, never kept, and so never stale."""
    visitor = browser(site)
    visitor.get("/")
    kept = front(site).size()
    for _ in range(2):
        assert "Kestrel almanac" not in visitor.get("/?q=kestrel").text
    assert front(site).size() == kept
    result = site.cli("content", "add", _pdf(tmp_path), "--title", "Kestrel almanac", "--price", "2.00")
    assert result.exit_code == 0, result.output
    assert "Kestrel almanac" in visitor.get("/?q=kestrel").text
    assert front(site).size() == kept


def test_a_head_request_is_never_answered_nor_kept(site: Site) -> None:
    """Only GETs use the front cache: a HEAD gets the route's headers and no body, and keeps nothing."""
    visitor = browser(site)
    visitor.get("/")
    kept = front(site).size()
    for path in ("/", "/?sort=price", ITEM):
        head = visitor.head(path)
        assert head.status_int == 200 and head.body == b""
    assert front(site).size() == kept


def test_gzip_catalog_answers_decompress_to_the_plain_page_and_item_pages_are_never_compressed(
    site: Site,
) -> None:
    """A gzip answer is kept beside the plain one (both keys), and both carry the same page; a page
    with a token is sent as it is (BREACH), from the route or from the front cache."""
    bodies = []
    for _ in range(2):
        answer = raw(site, "/", {"Accept-Encoding": "gzip, deflate"})
        assert answer.headers["Content-Encoding"] == "gzip"
        bodies.append(gzip.decompress(answer.body))
    page = browser(site).get("/")
    assert "Content-Encoding" not in page.headers
    assert bodies == [page.body, page.body]
    assert front(site).size()[0] == 2
    for _ in range(3):
        item = raw(site, ITEM, {"Accept-Encoding": "gzip, deflate"})
        assert "Content-Encoding" not in item.headers and b'name="csrf_token"' in item.body


def test_if_none_match_gets_a_304_from_the_front_cache(site: Site) -> None:
    """The catalog's ETag gets a 304 without a body, with the headers a route's 304 has; the item page's
    ETag only for the browser whose token it was made with."""
    visitor = browser(site)
    page = visitor.get("/")
    etag = page.headers["ETag"]
    other = browser(site)
    other.set_cookie("unrelated", "1")  # another key: the route answers its first 304
    routed = other.get("/", headers={"If-None-Match": etag}, status=304)
    assert front(site).size()[0] == 1
    kept = visitor.get("/", headers={"If-None-Match": etag}, status=304)
    assert kept.body == b"" and "Content-Length" not in kept.headers
    assert sorted(kept.headerlist) == sorted(routed.headerlist)
    item = visitor.get(ITEM)
    tag = item.headers["ETag"]
    assert visitor.get(ITEM, headers={"If-None-Match": tag}, status=304).body == b""
    stranger = browser(site).get(ITEM, headers={"If-None-Match": tag}, status=200)
    assert binding_set(stranger) and stranger.headers["ETag"] != tag
    binding = f"{security.ANON_COOKIE}={visitor.cookies[security.ANON_COOKIE]}"
    routed = raw(site, ITEM, {"Cookie": binding + "; unrelated=2", "If-None-Match": tag})  # a new key
    kept = raw(site, ITEM, {"Cookie": binding, "If-None-Match": tag})
    assert routed.status_int == kept.status_int == 304
    assert sorted(kept.headerlist) == sorted(routed.headerlist)


def test_a_304_of_a_gzip_answer_has_the_headers_of_the_routes_304(site: Site) -> None:
    """A 304 carries no body, so nothing that describes one (RFC 9110 15.4.5): the front cache's 304
    must be the route's."""
    packed = {"Accept-Encoding": "gzip"}
    etag = raw(site, "/", packed).headers["ETag"]  # kept, gzip
    routed = raw(site, "/", {**packed, "Cookie": "unrelated=1", "If-None-Match": etag})  # a new key
    kept = raw(site, "/", {**packed, "If-None-Match": etag})
    assert routed.status_int == kept.status_int == 304 and front(site).size()[0] == 1
    assert sorted(kept.headerlist) == sorted(routed.headerlist)


def test_behind_https_the_kept_item_page_binds_with_the_host_cookie(site_with: Any) -> None:
    """Behind https the binding is `__Host-paidpdf_csrf` (Secure): a front-cache answer gives the same
    cookie a route gives, and honours only that name."""
    secure = site_with(base_url="https://shop.example", secret_key=Secret("k" * 48))
    key = secure.app.app.web.secret_key
    first = raw(secure, ITEM, {})  # the route's
    second = raw(secure, ITEM, {})  # the front cache's
    made = [dict(kv.split("=", 1) for kv in [a.headers["Set-Cookie"].split(";")[0]]) for a in (first, second)]
    name = "__Host-" + security.ANON_COOKIE
    assert [list(m) for m in made] == [[name], [name]] and made[0][name] != made[1][name]
    assert first.headers["Set-Cookie"].replace(made[0][name], "V") == second.headers["Set-Cookie"].replace(
        made[1][name], "V") and "Secure" in second.headers["Set-Cookie"]
    back = raw(secure, ITEM, {"Cookie": f"{name}={made[1][name]}"})
    assert "Set-Cookie" not in back.headers
    assert security.csrf_token(key, made[1][name]).encode() in back.body
    plain = raw(secure, ITEM, {"Cookie": f"{security.ANON_COOKIE}={made[1][name]}"})  # not the https name
    assert "Set-Cookie" in plain.headers
    assert security.csrf_token(key, made[1][name]).encode() not in plain.body


@pytest.mark.embedded_only(reason="a damaged data file (PostgreSQL's outage: test_postgres_shop.py)")
def test_a_damaged_catalog_gets_the_500_page_never_a_kept_answer(site: Site) -> None:
    """Kept answers are sent only after reading the catalog's version: a damaged catalog file after
    pages were kept gives the error page, as the route does."""
    visitor = browser(site)
    for path in ("/", ITEM):
        visitor.get(path)
        visitor.get(path)
    assert front(site).size()[0] == 2
    damaged = site.store.path("catalog")
    os.replace(damaged, damaged.with_suffix(".bak"))
    damaged.write_bytes(b"{not json")
    for path in ("/", ITEM):
        answer = visitor.get(path, status=500)
        assert 'class="code">500' in answer.text and "Traceback" not in answer.text
