"""Account pages: sign up (confirmed by mail), log in, log out (POST), forgotten password, reset link,
sign-in link, change password.

Each POST checks the CSRF token first, then calls one `paidpdf.accounts.users` function. Form mistakes
(bad address, short password, wrong password) re-render the form with the message and a 4xx status;
throttling becomes the 429 page (with Retry-After) through the error plugin.
"""

from __future__ import annotations

from bottle import response

from paidpdf.accounts import guest_accounts, password_resets, records, sessions, sign_in_links, signups, users
from paidpdf.content import shop
from paidpdf.errors import AccessDenied, InvalidInput
from paidpdf.languages import N_
from paidpdf.store import Doc
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.request_fields import form, query, remote_addr
from paidpdf.web.security import safe_next

MISMATCH = N_("the two new passwords are not the same")

def _next_target() -> str:
    return safe_next(form("next", limit=2000) or query("next", limit=2000), "/library")


# -- sign up -------------------------------------------------------------------------------------
def signup_form(web: WebContext) -> str:
    return web.render("signup.html", email="", next=_next_target())


def signup(web: WebContext) -> str:
    """Mail a confirmation link (new address) or a sign-in link (an account's) and show "check your
    mail" either way (`signups`): the page never tells whether the address has an account."""
    web.visitor.check_csrf()
    email = form("email", limit=320)
    try:
        signups.request_sign_up(
            web.store, web.mailer, email, form("password", limit=2048), web.settings.base_url,
            remote_addr=remote_addr(), next_path=_next_target(),
            shop_name=shop.identity_or_defaults(web.store)["name"], locale=web.locale(),
        )
    except InvalidInput as exc:
        return web.render("signup.html", status=exc.http_status, error=exc.message, email=email,
                          next=_next_target())
    web.redirect("/signup/sent")


def signup_sent(web: WebContext) -> str:
    return web.render("signup_sent.html")


def confirm_form(web: WebContext, token: str) -> str:
    """Read-only, like the sign-in link's page: a mail scanner that opens the link creates nothing."""
    response.set_header("Cache-Control", "no-store")
    row = signups.pending(web.store, token)
    if row is None:
        return web.render("signup_confirm.html", status=400, token=None, error=signups.BAD_CONFIRMATION)
    return web.render("signup_confirm.html", token=token, email=row["email"])


def confirm(web: WebContext, token: str) -> str:
    web.visitor.check_csrf()
    response.set_header("Cache-Control", "no-store")
    try:
        done = signups.confirm(web.store, token, form("password", limit=2048))
    except InvalidInput as exc:
        row = signups.pending(web.store, token)  # a wrong password leaves the link usable
        return web.render("signup_confirm.html", status=400, token=token if row else None,
                          email=row["email"] if row else "", error=exc.message)
    old = web.visitor.session_token()
    if old:  # whoever was signed in here before: that session ends (the page said so)
        sessions.close_session(web.store, old)
    web.visitor.adopt_session(done.user, done.session_token)
    web.remember_language(done.user)
    web.cookies.flash("signed_up")
    web.redirect_local(done.next_path, "/library")


# -- log in / out --------------------------------------------------------------------------------
def login_form(web: WebContext) -> str:
    return web.render("login.html", email="", next=_next_target())


def login(web: WebContext) -> str:
    web.visitor.check_csrf()
    email = form("email", limit=320)
    try:
        user = users.authenticate(web.store, email, form("password", limit=2048), remote_addr())
    except (InvalidInput, AccessDenied) as exc:
        return web.render("login.html", status=exc.http_status, error=exc.message, email=email,
                          next=_next_target())
    old = web.visitor.session_token()
    if old:  # a fresh token on every login: no session fixation
        sessions.close_session(web.store, old)
    web.visitor.start_session(user)
    web.remember_language(user)
    web.cookies.flash("logged_in")
    web.redirect_local(_next_target(), "/library")


def logout(web: WebContext) -> None:
    web.visitor.check_csrf()
    web.visitor.end_session()
    web.cookies.flash("logged_out")
    web.redirect_local("/", "/")


# -- forgotten password --------------------------------------------------------------------------
def forgot_form(web: WebContext) -> str:
    return web.render("forgot.html", email="")


def forgot(web: WebContext) -> None:
    web.visitor.check_csrf()
    password_resets.request_password_reset(
        web.store, web.mailer, form("email", limit=320), web.settings.base_url, remote_addr=remote_addr(),
        shop_name=shop.identity_or_defaults(web.store)["name"], locale=web.locale(),
    )
    web.cookies.flash("reset_sent")  # the same answer whether or not the address has an account
    web.redirect_local("/login", "/login")


def reset_form(web: WebContext, token: str) -> str:
    response.set_header("Cache-Control", "no-store")
    if not password_resets.reset_token_valid(web.store, token):
        return web.render("reset.html", status=400, token=None, error=password_resets.BAD_RESET)
    return web.render("reset.html", token=token)


def reset(web: WebContext, token: str) -> str:
    web.visitor.check_csrf()
    response.set_header("Cache-Control", "no-store")
    password = form("password", limit=2048)
    if password != form("password2", limit=2048):
        return web.render("reset.html", status=400, token=token, error=MISMATCH)
    try:
        password_resets.reset_password(web.store, token, password)
    except InvalidInput as exc:
        retry = token if password_resets.reset_token_valid(web.store, token) else None
        return web.render("reset.html", status=400, token=retry, error=exc.message)
    web.visitor.end_session()
    web.cookies.flash("reset_done")
    web.redirect_local("/login", "/login")


# -- sign-in links ------------------------------------------------------------------------------
def request_sign_in_link(web: WebContext) -> None:
    web.visitor.check_csrf()
    _mail_sign_in_link(web, form("email", limit=320))
    web.cookies.flash("link_sent")  # the same answer whether or not the address has an account
    web.redirect_local("/login", "/login")


def _mail_sign_in_link(web: WebContext, email: str) -> None:
    sign_in_links.request_link(
        web.store, web.mailer, email, web.settings.base_url, remote_addr=remote_addr(),
        shop_name=shop.identity_or_defaults(web.store)["name"], locale=web.locale(),
    )


def sign_in_form(web: WebContext, token: str) -> str:
    """Read-only: a mail scanner that opens the link must not use it up. The page names the account
    the link is for, and warns a browser signed in as someone else that that session will end."""
    response.set_header("Cache-Control", "no-store")
    owner = sign_in_links.link_owner(web.store, token)
    if owner is None:
        return web.render("signin.html", status=400, token=None, error=sign_in_links.BAD_LINK)
    return web.render("signin.html", token=token, owner=owner, current=web.visitor.current_user())


def sign_in(web: WebContext, token: str) -> str:
    web.visitor.check_csrf()
    response.set_header("Cache-Control", "no-store")
    try:  # ends every session of the account (its owner takes it back) and opens this browser's
        user, session = sign_in_links.enter(web.store, token)
    except InvalidInput as exc:
        return web.render("signin.html", status=400, token=None, error=exc.message)
    old = web.visitor.session_token()
    if old:  # a fresh token on every sign-in: no session fixation (and another account's ends)
        sessions.close_session(web.store, old)
    web.visitor.adopt_session(user, session)
    web.remember_language(user)
    web.cookies.flash("logged_in")
    web.redirect_local("/library", "/library")


# -- change password -----------------------------------------------------------------------------
def _password_page(web: WebContext, user: Doc, status: int = 200, error: str | None = None) -> str:
    """The form; for an account without a password, only in a session opened by a mailed link (else
    the page offers such a link instead: the address was never proven)."""
    has_password = guest_accounts.has_password(user)
    may_set = has_password or sessions.opened_by_link(
        web.store.view(records.ACCOUNTS), web.visitor.session_token(), user["id"]
    )
    return web.render("password.html", status=status, error=error, has_password=has_password, may_set=may_set)


@login_required
def password_form(web: WebContext, user: Doc) -> str:
    return _password_page(web, user)


@login_required
def change_password(web: WebContext, user: Doc) -> str:
    web.visitor.check_csrf()
    new = form("password", limit=2048)
    if new != form("password2", limit=2048):
        return _password_page(web, user, 400, MISMATCH)
    try:
        users.change_password(
            web.store, user["id"], form("current", limit=2048), new, keep_token=web.visitor.session_token()
        )
    except (InvalidInput, AccessDenied) as exc:
        return _password_page(web, user, exc.http_status, exc.message)
    web.cookies.flash("password_changed")
    web.redirect_local("/account/password", "/")
