"""What an attacker found on a running shop, each proven fixed through the real WSGI app: hostile Range
headers, planted CSRF cookies, Host-header redirects, weak passwords, sign-up and reset floods, bidi
characters in download names, and the CSP's form targets."""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webtest import TestApp

from paidpdf.accounts import sessions, throttle, users
from paidpdf.content import catalog, demo
from paidpdf.web import security
from tests.forms import form_for
from tests.web.site import BIG, FREE, PAID, Site, logged_in, login

BOTH_BACKENDS = True  # every site test here also runs on PostgreSQL

DOWNLOAD = f"/content/{BIG}/download"


# -- Range -----------------------------------------------------------------------------------------
def test_a_range_with_thousands_of_digits_is_a_416_and_one_log_line(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    app = logged_in(site, "reader")
    cover = f"/covers/{site.item(PAID)['cover']}"
    with caplog.at_level(logging.INFO, logger="paidpdf"):
        for url in (DOWNLOAD, cover):
            answer = app.get(url, headers={"Range": "bytes=" + "9" * 4301 + "-"}, status=416)
            assert answer.headers["Content-Range"].startswith("bytes */")
    lines = [r for r in caplog.records if r.name.startswith("paidpdf")]
    assert len(lines) == 2 and all(" 416 " in r.getMessage() and r.exc_info is None for r in lines)
    size = site.item(BIG)["size"]
    huge_end = app.get(DOWNLOAD, headers={"Range": "bytes=10-" + "9" * 5000}, status=206)
    assert huge_end.headers["Content-Range"] == f"bytes 10-{size - 1}/{size}"
    suffix = app.get(DOWNLOAD, headers={"Range": "bytes=-" + "9" * 5000}, status=206)
    assert len(suffix.body) == size

RANGE_TEXT = st.one_of(
    st.text(max_size=60),
    st.builds(
        lambda a, b, sep: f"bytes={a}{sep}{b}",
        st.text("0123456789", max_size=6000),
        st.text("0123456789 ", max_size=6000),
        st.sampled_from(["-", " - ", ",", "--", "-0-"]),
    ),
)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=RANGE_TEXT, cover=st.booleans(), if_range=st.sampled_from([None, '"x"', "garbage", "W/\"y\""]))
def test_no_range_header_is_ever_a_5xx(site: Site, header: str, cover: bool, if_range: str | None) -> None:
    if security.SESSION_COOKIE not in site.app.cookies:
        logged_in(site, "reader")
    url = f"/covers/{site.item(PAID)['cover']}" if cover else f"/content/{FREE}/download"
    headers = {"Range": header.replace("\r", "").replace("\n", "").replace("\x00", "")}
    if if_range:
        headers["If-Range"] = if_range
    try:
        answer = site.app.get(url, headers=headers, status="*")
    except (UnicodeEncodeError, ValueError):  # WebTest cannot send such a header at all
        return
    assert answer.status_int in (200, 206, 416), answer.status


# -- download names --------------------------------------------------------------------------------
def test_bidi_controls_never_reach_a_download_name(site: Site, tmp_path: Path) -> None:
    spoof = tmp_path / "invoice\u202efdp.exe\u2066.pdf"
    shutil.copyfile(demo.make_sample_pdfs(tmp_path / "s")[0], spoof)
    title = "Spoof \u202egnp.exe"
    catalog.add_item(site.store, spoof, title=title, price_text="0", currency="usd", item_id="spoof")
    header = logged_in(site, "reader").get("/content/spoof/download").headers["Content-Disposition"]
    decoded = re.sub(r"%([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), header)
    assert "\u202e" not in header and "%E2%80%AE" not in header and "%E2%81%A6" not in header, decoded
    assert 'filename="invoicefdp.exe.pdf"' in header


# -- CSRF, cookies, redirects ------------------------------------------------------------------------
def test_a_planted_anonymous_csrf_cookie_is_worthless(site: Site) -> None:
    """Login CSRF: the attacker plants a cookie value of their choosing and posts the matching token."""
    key = site.app.app.web.secret_key
    chosen = "attacker-chosen-value"
    site.app.set_cookie(security.ANON_COOKIE, chosen)
    token = security.csrf_token(key, chosen)
    fields = {"csrf_token": token, "email": "reader@example.com", "password": "correct horse 1"}
    site.app.post("/login", fields, status=403)
    assert sessions.session_user(site.store, site.app.cookies.get(security.SESSION_COOKIE)) is None
    page = site.app.get("/login")  # the server replaces the planted value with one it signed
    issued = site.app.cookies[security.ANON_COOKIE]
    assert issued != chosen and security.anonymous_binding_valid(key, issued)
    form = form_for(page, "/login")
    form["email"], form["password"] = "reader@example.com", "correct horse 1"
    form.submit(status=303)


def test_redirects_never_name_the_requests_host(site: Site) -> None:
    app = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "203.0.113.9", "HTTP_HOST": "evil.example"})
    page = app.get("/forgot")
    form = form_for(page, "/forgot")
    form["email"] = "reader@example.com"
    answer = form.submit(status=303)
    assert answer.headers["Location"] == "/login"
    assert app.get("/library", status=302).headers["Location"] == "/login?next=/library"


# -- passwords ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("12345678", "most common"),
        ("password", "most common"),
        ("Password1", "most common"),
        (" " * 8, "blank"),
        ("\u200b" * 8, "blank"),
        ("\u200b\u200bpassword\u200b", "most common"),
        ("weak.reader@example.com", "your email"),
        ("WEAK.READER@EXAMPLE.COM", "your email"),
    ],
)
def test_weak_passwords_are_refused_on_the_form(site: Site, password: str, message: str) -> None:
    page = site.app.get("/signup")
    form = form_for(page, "/signup")
    form["email"], form["password"] = "weak.reader@example.com", password
    answer = form.submit(status=400)
    assert message in answer.text
    assert users.find_user(site.store, "weak.reader@example.com") is None


# -- floods ------------------------------------------------------------------------------------------
def _signup(app: TestApp, email: str, status: int | str) -> None:
    form = form_for(app.get("/signup"), "/signup")
    form["email"], form["password"] = email, "a long enough pw"
    form.submit(status=status)


def test_sign_ups_are_limited_per_address_and_per_target(site: Site) -> None:
    for i in range(throttle.SIGNUPS_PER_ADDRESS):
        _signup(site.app, f"new{i}@example.com", 303)
        site.app.reset()
    answer = form_for(site.app.get("/signup"), "/signup")
    answer["email"], answer["password"] = "one.more@example.com", "a long enough pw"
    refused = answer.submit(status=429)
    assert "too many sign-ups" in refused.text and int(refused.headers["Retry-After"]) > 0
    assert users.find_user(site.store, "one.more@example.com") is None
    elsewhere = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "198.51.100.200"})
    _signup(elsewhere, "one.more@example.com", 303)  # another address may
    for i in range(throttle.REQUESTS_PER_TARGET):  # hammering one address from many places: limited
        other = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": f"192.0.2.{i + 1}"})
        _signup(other, "target@example.com", "*")
    last = TestApp(site.app.app, extra_environ={"REMOTE_ADDR": "192.0.2.200"})
    _signup(last, "target@example.com", 429)


def test_reset_requests_are_limited_per_address_and_per_target(site: Site) -> None:
    def forgot(app: TestApp, email: str, status: int) -> None:
        form = form_for(app.get("/forgot"), "/forgot")
        form["email"] = email
        form.submit(status=status)

    def elsewhere(n: int) -> TestApp:
        return TestApp(site.app.app, extra_environ={"REMOTE_ADDR": f"192.0.2.{n}"})

    for i in range(throttle.REQUESTS_PER_TARGET):
        forgot(elsewhere(i + 1), "reader@example.com", 303)
    forgot(elsewhere(99), "reader@example.com", 429)
    for i in range(throttle.RESETS_PER_ADDRESS):
        forgot(site.app, f"nobody{i}@example.com", 303)
    forgot(site.app, "nobody.else@example.com", 429)
    assert site.app.app.web.mailer.drain(10)
    outbox = sorted((site.data_dir / "outbox").glob("*.eml"))
    assert len(outbox) == throttle.REQUESTS_PER_TARGET  # only the real account's mails, at most 3


def test_login_is_refused_for_a_while_not_locked_for_good(site: Site) -> None:
    for _ in range(throttle.FREE_FAILURES):
        login(site.app, "owner@example.com", "wrong password", status=400)
    refused = login(site.app, "owner@example.com", status=429)
    # the first delay is 2 seconds, counted from the last failure: a slow machine may show 1 left
    wait = re.search(r"try again in (\d+) seconds?", refused.text)
    assert wait is not None and int(wait.group(1)) in (1, 2), refused.text
