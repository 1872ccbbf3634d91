"""Who may enter an account, and who keeps it (security review, issue 20): sign-up never tells
whether an address has an account (nor that it bought as a guest) and proves the address by mail; a
mailed sign-in link ends every other session; a first password needs a session opened by such a link;
resets, password changes and sign-in links end each other's open links; the sign-in page names the
account; `next=` with a trailing newline falls back to the default page.

The real app over WebTest, the mails as written to the outbox folder (the site has no SMTP server)."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser

import pytest
from webtest import TestApp

from paidpdf.accounts import guest_accounts, sessions, users
from tests.forms import form_for
from tests.web.site import PASSWORD, Site, login

BOTH_BACKENDS = True  # every test here also runs on PostgreSQL

GUEST = "guest.buyer@example.com"
NEW_PASSWORD = "a brand new password"


def _browser(site: Site, n: int = 1) -> TestApp:
    """Another browser, from its own address (the per-address limits stay out of the way)."""
    return TestApp(site.app.app, extra_environ={"REMOTE_ADDR": f"198.51.100.{n}"})


def _mails(site: Site, to: str) -> list[str]:
    """Subject and body of every mail to `to` written to the outbox so far, oldest first."""
    assert site.app.app.web.mailer.drain(10)
    found = []
    for path in sorted((site.data_dir / "outbox").glob("*.eml")):
        message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
        if message["To"] == to:
            found.append(f"{message['Subject']}\n{message.get_content()}")
    return found


def _link(mail: str, kind: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:8080(/{kind}/[A-Za-z0-9_-]+)", mail)
    assert found is not None, mail
    return found.group(1)


def _ask_sign_in_link(site: Site, email: str, n: int = 50) -> str:
    browser = _browser(site, n)
    form = form_for(browser.get("/login"), "/login/link")
    form["email"] = email
    form.submit(status=303)
    return _link(_mails(site, email)[-1], "signin")


def _ask_reset_link(site: Site, email: str, n: int = 60) -> str:
    browser = _browser(site, n)
    form = form_for(browser.get("/forgot"), "/forgot")
    form["email"] = email
    form.submit(status=303)
    return _link(_mails(site, email)[-1], "reset")


def _sign_in(browser: TestApp, path: str, status: int = 303) -> None:
    form_for(browser.get(path), path).submit(status=status)


def _guest_account(site: Site) -> dict[str, object]:
    """An account as a guest's payment makes it: an address, no password."""
    return guest_accounts.account_for_checkout(site.store, GUEST, "ord_review20")


def _alive(site: Site, token: str) -> bool:
    return sessions.session_user(site.store, token) is not None


# -- item 2: sign-up says nothing about the address; the owner takes a guest account back -----------------
def _sign_up(site: Site, email: str, n: int, next_path: str = "") -> str:
    browser = _browser(site, n)
    page = browser.get("/signup" + (f"?next={next_path}" if next_path else ""))
    form = form_for(page, "/signup")
    form["email"], form["password"] = email, "a long enough pw"
    answer = form.submit(status=303)
    assert answer.location == "/signup/sent"
    assert "paidpdf_session" not in browser.cookies  # nobody is signed in by a sign-up form
    return answer.follow().text


def test_sign_up_answers_alike_for_new_existing_and_guest_addresses(site: Site) -> None:
    _guest_account(site)
    pages = {email: _sign_up(site, email, n) for n, email in enumerate(
        ["fresh.reader@example.com", "reader@example.com", GUEST], start=1
    )}
    assert len(set(pages.values())) == 1  # one and the same page, whatever the address
    assert "Check your mail" in pages[GUEST] and "bought" not in pages[GUEST]
    assert users.find_user(site.store, "fresh.reader@example.com") is None  # nothing until confirmed
    assert users.require_user(site.store, GUEST)["password_hash"] is None  # no takeover unproven
    (fresh,) = _mails(site, "fresh.reader@example.com")
    assert fresh.startswith("Confirm your") and "/signup/confirm/" in fresh
    for existing in ("reader@example.com", GUEST):  # an account's address gets a sign-in link
        (mail,) = _mails(site, existing)
        assert mail.startswith("Sign in to") and "/signin/" in mail and "already has an account" in mail


def test_a_stranger_who_signs_up_with_your_address_cannot_have_you_confirm_his_password(site: Site) -> None:
    """The confirmation link proves the address; the password typed at confirmation proves that
    whoever confirms chose it. A stranger signs up as the victim with his own password; the victim
    opens the real mail and, not knowing that password, opens nothing; the stranger's password never
    works, and the victim signs up with her own."""
    _sign_up(site, "victim@example.com", 21)  # the stranger, with "a long enough pw"
    path = _link(_mails(site, "victim@example.com")[0], "signup/confirm")
    victim = _browser(site, 22)
    confirm = form_for(victim.get(path), path)
    assert "password you chose" in victim.get(path).text
    confirm["password"] = "the victim's own password"
    assert confirm.submit(status=400).status_int == 400
    assert users.find_user(site.store, "victim@example.com") is None
    assert "paidpdf_session" not in victim.cookies
    login(_browser(site, 23), "victim@example.com", "a long enough pw", status=400)  # no account
    page = victim.get("/signup")
    form = form_for(page, "/signup")
    form["email"], form["password"] = "victim@example.com", "the victim's own password"
    assert form.submit(status=303).location == "/signup/sent"
    own = _link(_mails(site, "victim@example.com")[-1], "signup/confirm")
    confirm = form_for(victim.get(own), own)
    confirm["password"] = "the victim's own password"
    assert confirm.submit(status=303).location == "/library"
    login(_browser(site, 24), "victim@example.com", "a long enough pw", status=400)  # never his
    assert login(_browser(site, 25), "victim@example.com", "the victim's own password").location == "/library"


def test_a_confirmed_sign_up_opens_the_account_once(site: Site) -> None:
    _sign_up(site, "Fresh.Reader@Example.com", 1, next_path="/content/field-notes-on-city-birds")
    path = _link(_mails(site, "fresh.reader@example.com")[0], "signup/confirm")
    browser = _browser(site, 2)
    for _ in range(2):  # opening the link (a mail scanner does) makes nothing
        page = browser.get(path)
        assert "fresh.reader@example.com" in page.text and page.headers["Cache-Control"] == "no-store"
    assert users.find_user(site.store, "fresh.reader@example.com") is None
    confirm = form_for(page, path)
    confirm["password"] = "not the one chosen"  # a wrong password opens nothing, the link stays
    refused = confirm.submit(status=400)
    assert "not the password chosen at sign-up" in refused.text
    assert users.find_user(site.store, "fresh.reader@example.com") is None
    confirm = form_for(refused, path)
    confirm["password"] = "a long enough pw"
    done = confirm.submit(status=303)
    assert done.location == "/content/field-notes-on-city-birds"
    assert "Welcome! Your account is ready." in done.follow().text
    assert "fresh.reader@example.com" in browser.get("/library").text
    assert _browser(site, 3).get(path, status=400).status_int == 400  # used up
    assert login(_browser(site, 4), "fresh.reader@example.com", "a long enough pw").location == "/library"


def test_a_mailed_sign_in_link_ends_every_other_session(site: Site) -> None:
    account = _guest_account(site)
    intruder = sessions.open_session(site.store, str(account["id"]))  # e.g. kept from paying as a guest
    elsewhere = _browser(site, 5)
    login(elsewhere, "reader@example.com")  # another account's session: not touched
    owner = _browser(site, 6)
    _sign_in(owner, _ask_sign_in_link(site, GUEST))
    assert not _alive(site, intruder)
    assert _alive(site, owner.cookies["paidpdf_session"]) and GUEST in owner.get("/library").text
    assert _alive(site, elsewhere.cookies["paidpdf_session"])


def test_a_first_password_needs_a_session_opened_by_a_mailed_link(site: Site) -> None:
    account = _guest_account(site)
    intruder = _browser(site, 7)
    intruder.set_cookie("paidpdf_session", sessions.open_session(site.store, str(account["id"])))
    page = intruder.get("/account/password")
    assert "Email me a sign-in link" in page.text and 'name="password2"' not in page.text
    refused = intruder.post(
        "/account/password",
        {"csrf_token": form_for(page, "/login/link")["csrf_token"].value, "password": NEW_PASSWORD,
         "password2": NEW_PASSWORD},
        status=403,
    )
    assert "sign in with a link" in refused.text
    assert users.require_user(site.store, GUEST)["password_hash"] is None

    owner = _browser(site, 8)
    _sign_in(owner, _ask_sign_in_link(site, GUEST))
    other = sessions.open_session(site.store, str(account["id"]))  # any other session, opened since
    form = form_for(owner.get("/account/password"), "/account/password")
    form["password"] = form["password2"] = NEW_PASSWORD
    form.submit(status=303)
    assert users.require_user(site.store, GUEST)["password_hash"]
    assert not _alive(site, other) and _alive(site, owner.cookies["paidpdf_session"])
    assert login(_browser(site, 10), GUEST, NEW_PASSWORD).location == "/library"


def test_a_password_set_on_a_guest_account_before_the_fix_ends_when_the_owner_comes_in_by_link(
    site: Site,
) -> None:
    """Before round 2, whoever paid with an address could set the guest account's first password. Such
    a password (no mark that the address was proven) ends when the address's owner signs in by a link
    mailed there; a first password the owner sets from a link session stays through later links."""
    from paidpdf.accounts import passwords, records

    account = _guest_account(site)
    with site.store.unit(records.ACCOUNTS) as unit:  # as the previous release let the payer do
        current = unit.get(records.USERS, str(account["id"]))
        assert current is not None
        unit.put(records.USERS, {**current, "password_hash": passwords.hash_password("the payer's password")})
    assert login(_browser(site, 30), GUEST, "the payer's password").location == "/library"
    owner = _browser(site, 31)
    _sign_in(owner, _ask_sign_in_link(site, GUEST))
    login(_browser(site, 32), GUEST, "the payer's password", status=400)
    assert users.require_user(site.store, GUEST)["password_hash"] is None
    form = form_for(owner.get("/account/password"), "/account/password")  # the owner sets their own
    form["password"] = form["password2"] = NEW_PASSWORD
    form.submit(status=303)
    _sign_in(_browser(site, 33), _ask_sign_in_link(site, GUEST))  # a later link keeps it
    assert login(_browser(site, 34), GUEST, NEW_PASSWORD).location == "/library"


# -- item 7: a trailing newline in next= ------------------------------------------------------------------
BAD_NEXT = "/library%0A"


def test_login_with_a_newline_in_next_falls_back_to_the_library(site: Site) -> None:
    browser = _browser(site, 11)
    form = form_for(browser.get(f"/login?next={BAD_NEXT}"), "/login")
    form["email"], form["password"] = "reader@example.com", PASSWORD
    answer = form.submit(status=303)
    assert answer.location == "/library" and "paidpdf_session" in browser.cookies
    posted = _browser(site, 12)  # the field posted as it was, whatever the form said
    page = posted.get("/login")
    posted.post("/login", {"csrf_token": form_for(page, "/login")["csrf_token"].value,
                           "email": "reader@example.com", "password": PASSWORD, "next": "/library\n"},
                status=303)
    assert "paidpdf_session" in posted.cookies


def test_sign_up_with_a_newline_in_next_falls_back_to_the_library(site: Site) -> None:
    browser = _browser(site, 13)
    page = browser.get("/signup")
    answer = browser.post("/signup", {"csrf_token": form_for(page, "/signup")["csrf_token"].value,
                                      "email": "nl.reader@example.com", "password": "a long enough pw",
                                      "next": "/library\n"}, status=303)
    assert answer.location == "/signup/sent"
    path = _link(_mails(site, "nl.reader@example.com")[0], "signup/confirm")
    confirm = form_for(browser.get(path), path)
    confirm["password"] = "a long enough pw"
    done = confirm.submit(status=303)
    assert done.location == "/library" and "paidpdf_session" in browser.cookies


def test_update_switch_with_a_newline_in_next_falls_back_to_the_library(site: Site) -> None:
    browser = _browser(site, 14)
    login(browser, "reader@example.com")
    page = browser.get("/library")
    answer = browser.post("/account/updates", {"csrf_token": form_for(page, "/logout")["csrf_token"].value,
                                               "wanted": "1", "next": "/library\n"}, status=303)
    assert answer.location == "/library"


# -- item 8: resets, password changes and sign-in links end each other's links ----------------------------
def _reset(browser: TestApp, path: str, password: str) -> None:
    form = form_for(browser.get(path), path)
    form["password"] = form["password2"] = password
    form.submit(status=303)


def test_a_password_reset_ends_open_sign_in_links(site: Site) -> None:
    link = _ask_sign_in_link(site, "reader@example.com")
    _reset(_browser(site, 20), _ask_reset_link(site, "reader@example.com"), NEW_PASSWORD)
    late = _browser(site, 21)
    assert "invalid, already used" in late.get(link, status=400).text
    assert "paidpdf_session" not in late.cookies


def test_a_password_change_ends_open_sign_in_and_reset_links(site: Site) -> None:
    sign_in_link = _ask_sign_in_link(site, "reader@example.com")
    reset_link = _ask_reset_link(site, "reader@example.com")
    browser = _browser(site, 22)
    login(browser, "reader@example.com")
    form = form_for(browser.get("/account/password"), "/account/password")
    form["current"], form["password"], form["password2"] = PASSWORD, NEW_PASSWORD, NEW_PASSWORD
    form.submit(status=303)
    late = _browser(site, 23)
    late.get(sign_in_link, status=400)
    late.get(reset_link, status=400)
    assert login(_browser(site, 24), "reader@example.com", NEW_PASSWORD).location == "/library"


def test_using_a_sign_in_link_ends_open_reset_links(site: Site) -> None:
    reset_link = _ask_reset_link(site, "reader@example.com")
    _sign_in(_browser(site, 25), _ask_sign_in_link(site, "reader@example.com"))
    assert "invalid or has expired" in _browser(site, 26).get(reset_link, status=400).text


# -- item 9: the sign-in page names the account and warns of the session it ends --------------------------
def test_the_sign_in_page_names_the_account_and_warns_of_the_session_it_ends(site: Site) -> None:
    link = _ask_sign_in_link(site, "reader@example.com")
    browser = _browser(site, 30)
    login(browser, "owner@example.com")
    owner_session = browser.cookies["paidpdf_session"]
    page = browser.get(link)
    text = " ".join(page.html.get_text().split())
    assert "signs you in as reader@example.com" in text
    assert "You are signed in as owner@example.com" in text and "ends that session" in text
    anonymous = _browser(site, 31).get(link)
    assert "reader@example.com" in anonymous.text and "You are signed in as" not in anonymous.text
    form_for(page, link).submit(status=303)
    assert not _alive(site, owner_session)
    assert "reader@example.com" in browser.get("/library").text


@pytest.mark.parametrize("who", ["reader@example.com"])
def test_signed_in_as_the_links_own_account_there_is_no_warning(site: Site, who: str) -> None:
    link = _ask_sign_in_link(site, who)
    browser = _browser(site, 32)
    login(browser, who)
    assert "You are signed in as" not in browser.get(link).text
