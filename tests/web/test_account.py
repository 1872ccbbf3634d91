"""Account pages through the real app: sign up, log in/out, change password, reset by mail (a real
SMTP server), CSRF rejections, throttling, session cookies and `next=` redirects."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from webtest import TestApp

from paidpdf.accounts import sessions, throttle, users
from paidpdf.config import Secret
from tests.data_files import on_disk
from tests.forms import form_for
from tests.smtp import SmtpServer
from tests.web.site import PASSWORD, Site, logged_in, login, make_site

BOTH_BACKENDS = True  # every site test here also runs on PostgreSQL


def _confirmation_path(site: Site, email: str) -> str:
    """The confirmation link of the sign-up mail to `email` (the site writes mail to its outbox)."""
    assert site.app.app.web.mailer.drain(10)
    for path in sorted((site.data_dir / "outbox").glob("*.eml")):
        text = path.read_text()
        if f"To: {email}" in text and "/signup/confirm/" in text:
            found = re.search(r"(/signup/confirm/[A-Za-z0-9_-]+)", text)
            assert found is not None
            return found.group(1)
    raise AssertionError(f"no confirmation mail to {email}")


# -- sign up, log in, log out ----------------------------------------------------------------------
def test_signup_login_logout(site: Site) -> None:
    app = site.app
    page = app.get("/signup")
    form = form_for(page, "/signup")
    form["email"] = "New.Reader@Example.com"
    form["password"] = "a long enough pw"
    res = form.submit(status=303)
    assert res.location == "/signup/sent" and "Check your mail" in res.follow().text
    assert users.find_user(site.store, "new.reader@example.com") is None  # made once the address is proven
    path = _confirmation_path(site, "new.reader@example.com")
    confirm = form_for(app.get(path), path)
    confirm["password"] = "a long enough pw"
    res = confirm.submit(status=303)
    assert res.location.endswith("/library")
    library = res.follow()
    assert "Welcome! Your account is ready." in library.text
    assert "new.reader@example.com" in library.text
    assert users.find_user(site.store, "new.reader@example.com") is not None
    # log out (POST with CSRF), the session token is gone from the store
    token = app.cookies["paidpdf_session"]
    out = form_for(library, "/logout").submit(status=303)
    assert sessions.session_user(site.store, token) is None
    assert "You are logged out." in out.follow().text
    assert app.get("/library", status=302)
    # and back in, with the email in another letter case
    res = login(app, "NEW.reader@example.com", "a long enough pw")
    assert res.location.endswith("/library")


def test_signup_errors_rerender_the_form(site: Site) -> None:
    page = site.app.get("/signup")
    form = form_for(page, "/signup")
    form["email"] = "not an address"
    form["password"] = "a long enough pw"
    res = form.submit(status=400)
    assert "not a valid email address" in res.text and 'value="not an address"' in res.text
    form = form_for(res, "/signup")
    form["email"] = "fresh@example.com"
    form["password"] = "short"
    res = form.submit(status=400)
    assert "too short" in res.text
    assert users.find_user(site.store, "fresh@example.com") is None


def test_wrong_password_is_a_form_error(site: Site) -> None:
    res = login(site.app, "reader@example.com", "wrong password", status=400)
    assert "wrong email or password" in res.text
    assert "paidpdf_session" not in site.app.cookies
    res = login(site.app, "nobody@example.com", "wrong password", status=400)
    assert "wrong email or password" in res.text


def test_failed_logins_are_throttled_with_a_429_page(site: Site) -> None:
    for _ in range(throttle.FREE_FAILURES):
        login(site.app, "reader@example.com", "wrong password", status=400)
    res = login(site.app, "reader@example.com", PASSWORD, status=429)
    assert "too many failed logins" in res.text
    assert 0 < int(res.headers["Retry-After"]) <= 2
    assert "<!doctype html>" in res.text and 'class="code">429' in res.text
    assert "paidpdf_session" not in site.app.cookies


def test_five_wrong_passwords_do_not_lock_the_reader_out(site: Site) -> None:
    attacker = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "198.51.100.66"})
    for _ in range(5):
        login(attacker, "reader@example.com", "wrong password", status="4*")
    res = login(site.app, "reader@example.com", PASSWORD, status="*")
    if res.status_int == 429:  # at most a short wait, never a lockout
        wait = int(res.headers["Retry-After"])
        assert wait <= throttle.MAX_DELAY.total_seconds()
        time.sleep(wait)
        res = login(site.app, "reader@example.com", PASSWORD)
    assert res.status_int == 303 and "paidpdf_session" in site.app.cookies


def test_change_password(site: Site) -> None:
    other = make_site(site.data_dir, site.settings)
    login(other.app, "reader@example.com")
    other_token = other.app.cookies["paidpdf_session"]
    app = logged_in(site, "reader")
    page = app.get("/account/password")
    form = form_for(page, "/account/password")
    form["current"] = "wrong one!"
    form["password"] = form["password2"] = "brand new password"
    assert "the current password is wrong" in form.submit(status=400).text
    form = form_for(app.get("/account/password"), "/account/password")
    form["current"] = PASSWORD
    form["password"] = "brand new password"
    form["password2"] = "different password"
    assert "not the same" in form.submit(status=400).text
    form = form_for(app.get("/account/password"), "/account/password")
    form["current"] = PASSWORD
    form["password"] = form["password2"] = "brand new password"
    done = form.submit(status=303).follow()
    assert "Your password was changed" in done.text
    assert sessions.session_user(site.store, app.cookies["paidpdf_session"]) is not None  # this one stays
    assert sessions.session_user(site.store, other_token) is None  # others end
    fresh = make_site(site.data_dir, site.settings)
    login(fresh.app, "reader@example.com", "brand new password")


# -- CSRF ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("token", [None, "", "0" * 64, "not-a-token"])
def test_csrf_rejections_change_nothing(site: Site, token: str | None) -> None:
    app = site.app
    fields: dict[str, str] = {} if token is None else {"csrf_token": token}
    before = on_disk(site.data_dir, "accounts")
    res = app.post(
        "/signup", {**fields, "email": "csrf@example.com", "password": "long enough pw"}, status=403
    )
    assert "did not come from this site" in res.text
    app.post("/login", {**fields, "email": "reader@example.com", "password": PASSWORD}, status=403)
    app.post("/forgot", {**fields, "email": "reader@example.com"}, status=403)
    assert on_disk(site.data_dir, "accounts") == before
    assert "paidpdf_session" not in app.cookies
    # logged in: logout / change password / checkout need the session-bound token
    logged_in(site, "reader")
    session = app.cookies["paidpdf_session"]
    app.post("/logout", fields, status=403)
    assert sessions.session_user(site.store, session) is not None
    app.post(
        "/account/password",
        {**fields, "current": PASSWORD, "password": "x" * 12, "password2": "x" * 12},
        status=403,
    )
    app.post("/checkout/sourdough-at-home", fields, status=403)
    login(make_site(site.data_dir, site.settings).app, "reader@example.com")  # the password did not change


def test_csrf_token_of_another_browser_is_refused(site: Site, csrf_of: Any) -> None:
    attacker = make_site(site.data_dir, site.settings)
    attacker_token = csrf_of(attacker.app.get("/login"))
    victim = logged_in(site, "reader")
    session = victim.cookies["paidpdf_session"]
    victim.post("/logout", {"csrf_token": attacker_token}, status=403)
    assert sessions.session_user(site.store, session) is not None
    # the anonymous token stops working once logged in (it was bound to the pre-session cookie)
    fresh = make_site(site.data_dir, site.settings)
    anon_token = csrf_of(fresh.app.get("/login"))
    login(fresh.app, "owner@example.com")
    fresh.app.post("/logout", {"csrf_token": anon_token}, status=403)


# -- cookies and redirects -----------------------------------------------------------------------
def _set_cookie(headers: list[str], name: str) -> str:
    found = [h for h in headers if h.startswith(name + "=")]
    assert found, f"no Set-Cookie for {name}"
    return found[-1]


def test_session_cookie_attributes(site: Site) -> None:
    res = login(site.app, "reader@example.com")
    cookie = _set_cookie(res.headers.getall("Set-Cookie"), "paidpdf_session")
    parts = {p.strip().split("=")[0].lower(): p.strip() for p in cookie.split(";")}
    assert "httponly" in parts
    assert parts["samesite"].lower() == "samesite=lax"
    assert parts["path"] == "Path=/"
    assert parts["max-age"] == f"Max-Age={int(sessions.SESSION_LIFETIME.total_seconds())}"
    assert "secure" not in parts  # plain http on loopback
    value = cookie.split(";")[0].split("=", 1)[1]
    assert len(value) >= 40 and sessions.session_user(site.store, value)["email"] == "reader@example.com"


def test_secure_cookies_behind_https(site_with: Callable[..., Site]) -> None:
    site = site_with(base_url="https://shop.example.com", secret_key=Secret("k" * 48))
    site.app.extra_environ.update({"wsgi.url_scheme": "https", "HTTP_HOST": "shop.example.com"})
    res = login(site.app, "reader@example.com")
    cookies = res.headers.getall("Set-Cookie")
    cookie = _set_cookie(cookies, "__Host-paidpdf_session")  # only this host, over TLS, can set it
    assert "secure" in cookie.lower() and "path=/" in cookie.lower() and "domain" not in cookie.lower()
    assert all(c.startswith("__Host-") for c in cookies)
    assert site.app.get("/library").status_int == 200  # and it is the one read back


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "http:evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
        "/ok\r\nLocation: https://evil.example",
        "evil.example",
        "//",
        " //evil.example",
    ],
)
def test_next_only_redirects_to_local_paths(site: Site, target: str) -> None:
    page = site.app.get("/login", {"next": target})
    form = form_for(page, "/login")
    form["email"] = "reader@example.com"
    form["password"] = PASSWORD
    res = form.submit(status=303)
    location = urlsplit(res.headers["Location"])
    # A relative path: never a host taken from the request's Host header.
    assert location.scheme == "" and location.netloc == "", location
    assert "\r" not in res.headers["Location"] and "\n" not in res.headers["Location"]
    assert not [c for c in res.headers.getall("Set-Cookie") if c.startswith("x=")]
    if not target.startswith("/%0d"):  # that one is an odd but local path; the rest fall back
        assert location.path == "/library", location


def test_next_keeps_local_paths(site: Site) -> None:
    res = site.app.get("/content/sourdough-at-home/download", status=302)
    assert res.location.endswith("/login?next=/content/sourdough-at-home/download")
    page = res.follow()
    form = form_for(page, "/login")
    form["email"] = "owner@example.com"
    form["password"] = PASSWORD
    done = form.submit(status=303)
    assert done.location.endswith("/content/sourdough-at-home/download")
    assert done.follow().body == site.content_bytes("sourdough-at-home")


# -- password reset through a real SMTP server ---------------------------------------------------
def test_password_reset_by_mail(site_with: Callable[..., Site], smtp: SmtpServer) -> None:
    port, inbox = smtp.port, smtp.inbox
    mailing = {"smtp_url": Secret(f"smtp://127.0.0.1:{port}")}
    site = site_with(**mailing)
    logged = site_with(**mailing)
    login(logged.app, "reader@example.com")
    old_session = logged.app.cookies["paidpdf_session"]

    for address in ("nobody@example.com", "Reader@Example.com"):
        page = site.app.get("/forgot")
        form = form_for(page, "/forgot")
        form["email"] = address
        res = form.submit(status=303)
        assert "a reset link is on its way" in res.follow().text  # same answer for both
    assert site.app.app.web.mailer.drain(10)  # mail leaves from a queue, never delaying the answer
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message["To"] == "reader@example.com"
    body = message.get_content()
    link = re.search(r"http://127\.0\.0\.1:8080(/reset/[A-Za-z0-9_-]+)", body)
    assert link is not None, body
    path = link.group(1)

    page = site.app.get(path)
    assert page.headers["Cache-Control"] == "no-store"
    form = form_for(page, path)
    form["password"] = form["password2"] = "a new password!"
    res = form.submit(status=303)
    assert res.location.endswith("/login")
    assert "Your password was reset" in res.follow().text
    assert sessions.session_user(site.store, old_session) is None  # every session ended
    login(site_with(**mailing).app, "reader@example.com", "a new password!")
    # single use
    again = site.app.get(path, status=400)
    assert "invalid or has expired" in again.text
    assert not again.html.find("form", attrs={"action": path})
