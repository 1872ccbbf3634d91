"""What every route needs: settings, store, mailer, templates, and the per-request helpers.

Routes stay thin: they read the request, call a domain function, and hand the result to `render`
or `redirect_local`. Everything about the current reader (session cookie, CSRF token, flash message)
lives here so no route has to repeat it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

import bottle
import jinja2
from bottle import request, response

from paidpdf.accounts import sessions
from paidpdf.byte_sizes import human_size
from paidpdf.config import Settings
from paidpdf.errors import AccessDenied
from paidpdf.mail import Mailer
from paidpdf.money import format_amount
from paidpdf.store import Doc, Store
from paidpdf.web import security

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

#: Flash messages are shown once after a redirect; the cookie carries only one of these keys.
FLASH_MESSAGES = {
    "signed_up": "Welcome! Your account is ready.",
    "logged_in": "You are logged in.",
    "logged_out": "You are logged out.",
    "password_changed": "Your password was changed. Other sessions were logged out.",
    "reset_done": "Your password was reset. Log in with the new one.",
    "reset_sent": "If an account exists for that address, a reset link is on its way. It works for one hour.",
}

_USER_KEY = "paidpdf.user"
_ANON_KEY = "paidpdf.anon"


def raw_header(name: str) -> str | None:
    """A request header as the server received it (WSGI's latin-1 text). Bottle's `get_header`
    re-decodes values as UTF-8 and raises on other bytes, which made a 500 of any header a client
    filled with them; the headers read here are ASCII by definition, so anything else just won't parse."""
    value = request.environ.get("HTTP_" + name.upper().replace("-", "_"))
    return str(value) if value is not None else None


def make_templates() -> jinja2.Environment:
    """Jinja2 with autoescape on for every template (user text is never markup)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals["format_amount"] = format_amount
    env.filters["human_size"] = human_size
    return env


def static_version() -> str:
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.glob("*")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass
class WebContext:
    settings: Settings
    store: Store
    mailer: Mailer
    templates: jinja2.Environment
    secret_key: bytes = field(repr=False)
    stripe_client: Any = None
    static_version: str = ""

    # -- cookies -------------------------------------------------------------------------------
    @property
    def secure_cookies(self) -> bool:
        return security.base_is_https(self.settings)

    def cookie_name(self, name: str) -> str:
        """`__Host-<name>` behind https: such a cookie can only be set by this host over TLS with
        Path=/ (no sibling subdomain or plain-http attacker can plant one)."""
        return f"__Host-{name}" if self.secure_cookies else name

    def get_cookie(self, name: str) -> str | None:
        value = request.get_cookie(self.cookie_name(name))
        return str(value) if value else None

    def set_cookie(self, name: str, value: str, max_age: int | None = None) -> None:
        """Every cookie the site sets: HttpOnly, SameSite=Lax, Path=/, Secure behind https."""
        options: dict[str, Any] = {"path": "/", "httponly": True, "samesite": "lax"}
        if self.secure_cookies:
            options["secure"] = True
        if max_age is not None:
            options["max_age"] = max_age
        response.set_cookie(self.cookie_name(name), value, **options)

    def clear_cookie(self, name: str) -> None:
        self.set_cookie(name, "", max_age=0)

    # -- sessions ------------------------------------------------------------------------------
    def session_token(self) -> str | None:
        return self.get_cookie(security.SESSION_COOKIE)

    def current_user(self) -> Doc | None:
        """The logged-in reader (from the session cookie), looked up once per request."""
        environ = request.environ
        if _USER_KEY not in environ:
            environ[_USER_KEY] = sessions.session_user(self.store, self.session_token())
        user: Doc | None = environ[_USER_KEY]
        return user

    def require_user(self) -> Doc:
        user = self.current_user()
        if user is None:
            self.redirect_to_login()
        return user

    def redirect_to_login(self) -> NoReturn:
        here = request.path + (f"?{request.query_string}" if request.query_string else "")
        self.redirect("/login?next=" + quote(here, safe="/"), 302)

    def redirect(self, target: str, status: int = 303) -> NoReturn:
        """Redirect to a path of this site, sent as that relative path (RFC 9110 allows it; Bottle's
        own redirect would make it absolute from the request's Host header, which a client chooses),
        or to an absolute URL we built ourselves (Stripe's checkout page). Cookies set so far on this
        response are kept."""
        location = target
        answer: bottle.HTTPResponse = response.copy(cls=bottle.HTTPResponse)
        answer.status = status
        answer.body = ""
        answer.set_header("Location", location)
        raise answer

    def start_session(self, user: Doc) -> None:
        token = sessions.open_session(self.store, user["id"])
        self.set_cookie(security.SESSION_COOKIE, token, int(sessions.SESSION_LIFETIME.total_seconds()))
        request.environ[_USER_KEY] = user

    def end_session(self) -> None:
        token = self.session_token()
        if token:
            sessions.close_session(self.store, token)
        self.clear_cookie(security.SESSION_COOKIE)
        request.environ[_USER_KEY] = None

    # -- CSRF ----------------------------------------------------------------------------------
    def _binding(self, create: bool) -> str | None:
        if self.current_user() is not None:
            return self.session_token()
        if _ANON_KEY in request.environ:
            found: str = request.environ[_ANON_KEY]
            return found
        value = self.get_cookie(security.ANON_COOKIE)
        if value and not security.anonymous_binding_valid(self.secret_key, value):
            value = None  # not one we issued (planted by someone): worthless
        if not value and create:
            value = security.new_anonymous_binding(self.secret_key)
            self.set_cookie(security.ANON_COOKIE, value)
        if value:
            request.environ[_ANON_KEY] = value
        return value or None

    def csrf_token(self) -> str:
        """The token for this browser's forms (sets the anonymous pre-session cookie on first use)."""
        binding = self._binding(create=True)
        assert binding is not None
        return security.csrf_token(self.secret_key, binding)

    def check_csrf(self) -> None:
        """Refuse a POST whose `csrf_token` field is not this browser's token (403, nothing done)."""
        submitted = self.form("csrf_token", limit=200)
        if not security.csrf_valid(self.secret_key, self._binding(create=False), submitted):
            raise AccessDenied(
                "this form has expired or did not come from this site; reload the page and try again"
            )

    # -- requests and responses -------------------------------------------------------------------
    def form(self, name: str, limit: int = 4096) -> str:
        """A form field as text (UTF-8 decoded, not Bottle's latin-1 default), cut to `limit` chars."""
        value = request.forms.getunicode(name, default="") or ""
        return str(value)[:limit]

    def remote_addr(self) -> str:
        """The peer address from the server (never X-Forwarded-For, which clients can forge)."""
        return str(request.environ.get("REMOTE_ADDR") or "")

    def flash(self, key: str) -> None:
        if key in FLASH_MESSAGES:
            self.set_cookie(security.FLASH_COOKIE, key, 60)

    def _take_flash(self) -> str | None:
        key = self.get_cookie(security.FLASH_COOKIE)
        if not key:
            return None
        self.clear_cookie(security.FLASH_COOKIE)
        return FLASH_MESSAGES.get(key)

    def redirect_local(self, next_url: str | None, default: str = "/") -> NoReturn:
        """303 to `next_url` when it is a path on this site, else to `default`."""
        self.redirect(security.safe_next(next_url, default), 303)

    def render(self, name: str, status: int = 200, **values: Any) -> str:
        """Render a page with the values every template may use (user, csrf_token, flash, ...)."""
        response.status = status
        response.content_type = "text/html; charset=utf-8"
        if "Cache-Control" not in response.headers:  # pages show who is logged in: never shared
            response.set_header("Cache-Control", "private, no-cache")
        user = self.current_user()
        context: dict[str, Any] = {
            "user": user,
            "csrf_token": self.csrf_token,
            "flash": self._take_flash(),
            "static_version": self.static_version,
            "path": request.path,
            "error": None,
        }
        context.update(values)
        return self.templates.get_template(name).render(context)


Handler = Callable[..., Any]
