"""Who is asking: the reader behind the session cookie, and the CSRF token bound to that browser.

Sessions and CSRF live together because the token is bound to the session when there is one and to
a signed anonymous cookie before login; both are looked up once per request and kept in its environ.
"""

from __future__ import annotations

from typing import Any

from bottle import BaseRequest, request

from paidpdf.accounts import sessions
from paidpdf.errors import AccessDenied, AuthRequired
from paidpdf.languages import N_
from paidpdf.store import DataStore, Doc
from paidpdf.web import page_encoding, request_fields, security
from paidpdf.web.cookies import Cookies

_USER_KEY = "paidpdf.user"
_ANON_KEY = "paidpdf.anon"
_TOKEN_KEY = "paidpdf.session_token"  # noqa: S105 - an environ key: a session opened or ended during this request


class Visitor:
    """Per-request questions about the browser, answered from its cookies and the store."""

    def __init__(self, store: DataStore, cookies: Cookies, secret_key: bytes) -> None:
        self._store = store
        self._cookies = cookies
        self._secret_key = secret_key

    # -- sessions ------------------------------------------------------------------------------
    def session_token(self) -> str | None:
        """The browser's session token; one opened during this request wins (its forms bind to it)."""
        if _TOKEN_KEY in request.environ:
            found: str | None = request.environ[_TOKEN_KEY]
            return found
        return self._cookies.get(security.SESSION_COOKIE)

    def current_user(self) -> Doc | None:
        """The logged-in reader (from the session cookie), looked up once per request."""
        environ = request.environ
        if _USER_KEY not in environ:
            environ[_USER_KEY] = sessions.session_user(self._store, self.session_token())
        user: Doc | None = environ[_USER_KEY]
        return user

    def require_user(self) -> Doc:
        """The logged-in reader, or `AuthRequired` (the error plugin redirects to the login page)."""
        user = self.current_user()
        if user is None:
            raise AuthRequired(N_("please log in"))
        return user

    def start_session(self, user: Doc) -> None:
        self.adopt_session(user, sessions.open_session(self._store, user["id"]))

    def adopt_session(self, user: Doc, token: str) -> None:
        """Put a session opened elsewhere (by a mailed link, in the unit that used it) in the cookie."""
        self._cookies.set(security.SESSION_COOKIE, token, int(sessions.SESSION_LIFETIME.total_seconds()))
        request.environ[_USER_KEY] = user
        request.environ[_TOKEN_KEY] = token

    def end_session(self) -> None:
        token = self.session_token()
        if token:
            sessions.close_session(self._store, token)
        self._cookies.clear(security.SESSION_COOKIE)
        request.environ[_USER_KEY] = None
        request.environ[_TOKEN_KEY] = None

    # -- CSRF ----------------------------------------------------------------------------------
    def _binding(self, create: bool) -> str | None:
        if self.current_user() is not None:
            return self.session_token()
        if _ANON_KEY in request.environ:
            found: str = request.environ[_ANON_KEY]
            return found
        value = self._valid_binding(self._cookies.get(security.ANON_COOKIE))
        if not value and create:
            value = security.new_anonymous_binding(self._secret_key)
            self._cookies.set(security.ANON_COOKIE, value)
        if value:
            request.environ[_ANON_KEY] = value
        return value or None

    def _valid_binding(self, value: str | None) -> str | None:
        """The browser's anonymous binding, or None when it has none or one we did not issue (planted
        by someone: worthless)."""
        return value if value and security.anonymous_binding_valid(self._secret_key, value) else None

    def anonymous_token(self, environ: dict[str, Any]) -> tuple[str, str | None]:
        """The CSRF token of a browser without a session, for an answer made without a route
        (`front_cache`), and the `Set-Cookie` value of the binding it was just given, if it had none:
        what `csrf_token` does, read from `environ` with Bottle's own cookie parser."""
        cookie = BaseRequest(environ).get_cookie(self._cookies.name(security.ANON_COOKIE))
        value = self._valid_binding(str(cookie) if cookie else None)
        header = None
        if value is None:
            value = security.new_anonymous_binding(self._secret_key)
            header = self._cookies.header(security.ANON_COOKIE, value)
        return security.csrf_token(self._secret_key, value), header

    def csrf_token(self) -> str:
        """The token for this browser's forms (sets the anonymous pre-session cookie on first use)."""
        binding = self._binding(create=True)
        assert binding is not None
        request.environ[page_encoding.HAS_SECRET] = True  # this page must not be compressed (BREACH)
        return security.csrf_token(self._secret_key, binding)

    def check_csrf(self) -> None:
        """Refuse a POST whose `csrf_token` field is not this browser's token (403, nothing done)."""
        submitted = request_fields.form("csrf_token", limit=200)
        if not security.csrf_valid(self._secret_key, self._binding(create=False), submitted):
            raise AccessDenied(
                N_("this form has expired or did not come from this site; reload the page and try again")
            )
