"""Account pages: sign up, log in, log out (POST), forgotten password, reset link, change password.

Each POST checks the CSRF token first, then calls one `paidpdf.accounts.users` function. Form mistakes
(bad address, short password, wrong password) re-render the form with the message and a 4xx status;
throttling becomes the 429 page (with Retry-After) through the error plugin.
"""

from __future__ import annotations

import bottle
from bottle import request, response

from paidpdf.accounts import password_resets, sessions, users
from paidpdf.errors import AccessDenied, Conflict, InvalidInput
from paidpdf.web.context import WebContext
from paidpdf.web.security import safe_next

MISMATCH = "the two new passwords are not the same"


def install(app: bottle.Bottle, web: WebContext) -> None:
    def next_target() -> str:
        return safe_next(web.form("next", limit=2000) or request.query.getunicode("next") or "", "/library")

    # -- sign up ---------------------------------------------------------------------------------
    @app.get("/signup")
    def signup_form() -> str:
        return web.render("signup.html", email="", next=next_target())

    @app.post("/signup")
    def signup() -> str:
        web.check_csrf()
        email = web.form("email", limit=320)
        try:
            user = users.sign_up(
                web.store, email, web.form("password", limit=2048), remote_addr=web.remote_addr()
            )
        except (InvalidInput, Conflict) as exc:
            return web.render("signup.html", status=exc.http_status, error=exc.message, email=email,
                              next=next_target())
        web.start_session(user)
        web.flash("signed_up")
        web.redirect_local(next_target(), "/")

    # -- log in / out ----------------------------------------------------------------------------
    @app.get("/login")
    def login_form() -> str:
        return web.render("login.html", email="", next=next_target())

    @app.post("/login")
    def login() -> str:
        web.check_csrf()
        email = web.form("email", limit=320)
        try:
            password = web.form("password", limit=2048)
            user = users.authenticate(web.store, email, password, web.remote_addr())
        except (InvalidInput, AccessDenied) as exc:
            return web.render("login.html", status=exc.http_status, error=exc.message, email=email,
                              next=next_target())
        old = web.session_token()
        if old:  # a fresh token on every login: no session fixation
            sessions.close_session(web.store, old)
        web.start_session(user)
        web.flash("logged_in")
        web.redirect_local(next_target(), "/library")

    @app.post("/logout")
    def logout() -> None:
        web.check_csrf()
        web.end_session()
        web.flash("logged_out")
        web.redirect_local("/", "/")

    # -- forgotten password ----------------------------------------------------------------------
    @app.get("/forgot")
    def forgot_form() -> str:
        return web.render("forgot.html", email="")

    @app.post("/forgot")
    def forgot() -> None:
        web.check_csrf()
        email = web.form("email", limit=320)
        password_resets.request_password_reset(
            web.store, web.mailer, email, web.settings.base_url, remote_addr=web.remote_addr()
        )
        web.flash("reset_sent")  # the same answer whether or not the address has an account
        web.redirect_local("/login", "/login")

    @app.get("/reset/<token>")
    def reset_form(token: str) -> str:
        response.set_header("Cache-Control", "no-store")
        if not password_resets.reset_token_valid(web.store, token):
            return web.render("reset.html", status=400, token=None, error=password_resets.BAD_RESET)
        return web.render("reset.html", token=token)

    @app.post("/reset/<token>")
    def reset(token: str) -> str:
        web.check_csrf()
        response.set_header("Cache-Control", "no-store")
        password = web.form("password", limit=2048)
        if password != web.form("password2", limit=2048):
            return web.render("reset.html", status=400, token=token, error=MISMATCH)
        try:
            password_resets.reset_password(web.store, token, password)
        except InvalidInput as exc:
            retry = token if password_resets.reset_token_valid(web.store, token) else None
            return web.render("reset.html", status=400, token=retry, error=exc.message)
        web.end_session()
        web.flash("reset_done")
        web.redirect_local("/login", "/login")

    # -- change password -------------------------------------------------------------------------
    @app.get("/account/password")
    def password_form() -> str:
        web.require_user()
        return web.render("password.html")

    @app.post("/account/password")
    def change_password() -> str:
        user = web.require_user()
        web.check_csrf()
        new = web.form("password", limit=2048)
        if new != web.form("password2", limit=2048):
            return web.render("password.html", status=400, error=MISMATCH)
        try:
            users.change_password(
                web.store, user["id"], web.form("current", limit=2048), new, keep_token=web.session_token()
            )
        except InvalidInput as exc:
            return web.render("password.html", status=400, error=exc.message)
        web.flash("password_changed")
        web.redirect_local("/account/password", "/")
