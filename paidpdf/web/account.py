"""Account pages: sign up, log in, log out (POST), forgotten password, reset link, change password.

Each POST checks the CSRF token first, then calls one `paidpdf.accounts.users` function. Form mistakes
(bad address, short password, wrong password) re-render the form with the message and a 4xx status;
throttling becomes the 429 page (with Retry-After) through the error plugin.
"""

from __future__ import annotations

from bottle import response

from paidpdf.accounts import guest_accounts, password_resets, sessions, sign_in_links, users
from paidpdf.content import shop
from paidpdf.errors import AccessDenied, Conflict, InvalidInput
from paidpdf.store import Doc
from paidpdf.web.context import WebContext
from paidpdf.web.guards import login_required
from paidpdf.web.request_fields import form, query, remote_addr
from paidpdf.web.security import safe_next

MISMATCH = "the two new passwords are not the same"

#: Sign-up with the address of an account made by buying: a sign-in link goes there instead.
GUEST_ACCOUNT = (
    "You already have an account with this address: it was made when you bought with it. We have "
    "emailed you a sign-in link; once signed in, set a password from your account page."
)


def _next_target() -> str:
    return safe_next(form("next", limit=2000) or query("next", limit=2000), "/library")


# -- sign up -------------------------------------------------------------------------------------
def signup_form(web: WebContext) -> str:
    return web.render("signup.html", email="", next=_next_target())


def signup(web: WebContext) -> str:
    web.visitor.check_csrf()
    email = form("email", limit=320)
    try:
        user = users.sign_up(web.store, email, form("password", limit=2048), remote_addr=remote_addr())
    except Conflict as exc:
        existing = users.find_user(web.store, email)
        if existing is not None and not guest_accounts.has_password(existing):
            # Made when this address bought as a guest: prove the address first (a sign-in link),
            # then set a password; signing up must not take over the purchases unproven.
            _mail_sign_in_link(web, email)
            return web.render(
                "signup.html", status=409, error=GUEST_ACCOUNT, email=email, next=_next_target()
            )
        return web.render("signup.html", status=exc.http_status, error=exc.message, email=email,
                          next=_next_target())
    except InvalidInput as exc:
        return web.render("signup.html", status=exc.http_status, error=exc.message, email=email,
                          next=_next_target())
    web.visitor.start_session(user)
    web.cookies.flash("signed_up")
    web.redirect_local(_next_target(), "/")


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
        shop_name=shop.identity_or_defaults(web.store)["name"],
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
        shop_name=shop.identity_or_defaults(web.store)["name"],
    )


def sign_in_form(web: WebContext, token: str) -> str:
    """Read-only: a mail scanner that opens the link must not use it up."""
    response.set_header("Cache-Control", "no-store")
    if not sign_in_links.link_valid(web.store, token):
        return web.render("signin.html", status=400, token=None, error=sign_in_links.BAD_LINK)
    return web.render("signin.html", token=token)


def sign_in(web: WebContext, token: str) -> str:
    web.visitor.check_csrf()
    response.set_header("Cache-Control", "no-store")
    try:
        user = sign_in_links.sign_in(web.store, token)
    except InvalidInput as exc:
        return web.render("signin.html", status=400, token=None, error=exc.message)
    old = web.visitor.session_token()
    if old:  # a fresh token on every sign-in: no session fixation
        sessions.close_session(web.store, old)
    web.visitor.start_session(user)
    web.cookies.flash("logged_in")
    web.redirect_local("/library", "/library")


# -- change password -----------------------------------------------------------------------------
@login_required
def password_form(web: WebContext, user: Doc) -> str:
    return web.render("password.html", has_password=guest_accounts.has_password(user))


@login_required
def change_password(web: WebContext, user: Doc) -> str:
    web.visitor.check_csrf()
    new = form("password", limit=2048)
    if new != form("password2", limit=2048):
        return web.render(
            "password.html", status=400, error=MISMATCH, has_password=guest_accounts.has_password(user)
        )
    try:
        users.change_password(
            web.store, user["id"], form("current", limit=2048), new, keep_token=web.visitor.session_token()
        )
    except InvalidInput as exc:
        return web.render(
            "password.html", status=400, error=exc.message, has_password=guest_accounts.has_password(user)
        )
    web.cookies.flash("password_changed")
    web.redirect_local("/account/password", "/")
