"""The site's cookies: one place that sets their flags, and the one-shot flash message they carry.

Every cookie is HttpOnly, SameSite=Lax, Path=/ and, behind https, Secure with the `__Host-` prefix
(such a cookie can only be set by this host over TLS, so no sibling subdomain or plain-http attacker
can plant one). Cookies never hold signed pickles (Bottle's `secret=`): only opaque tokens.
"""

from __future__ import annotations

import re
from typing import Any

from bottle import BaseResponse, request, response

from paidpdf.languages import N_
from paidpdf.web import security

#: Flash messages are shown once after a redirect; the cookie carries only one of these keys.
FLASH_MESSAGES = {
    "signed_up": N_("Welcome! Your account is ready."),
    "logged_in": N_("You are logged in."),
    "logged_out": N_("You are logged out."),
    "password_changed": N_("Your password was changed. Other sessions were logged out."),
    "reset_done": N_("Your password was reset. Log in with the new one."),
    "reset_sent": N_(
        "If an account exists for that address, a reset link is on its way. It works for one hour."
    ),
    "updates_on": N_("We will email you when an item you own gets a new version."),
    "updates_off": N_("Update mails are off. Your library still marks updated items."),
    "already_member": N_("You are already a member of this plan: everything it covers is in your library."),
    "link_sent": N_(
        "If an account exists for that address, a sign-in link is on its way (it works 15 minutes)."
    ),
}


#: Cookie values Bottle (`http.cookies`) sends as they are, unquoted.
_PLAIN = re.compile(r"[A-Za-z0-9._-]{1,200}")


class Cookies:
    """Reads and writes the current request's cookies with the site's flags."""

    def __init__(self, secure: bool) -> None:
        self.secure = secure
        self._attributes: dict[tuple[str, int | None], str] = {}

    def name(self, name: str) -> str:
        return f"__Host-{name}" if self.secure else name

    def get(self, name: str) -> str | None:
        value = request.get_cookie(self.name(name))
        return str(value) if value else None

    def set(self, name: str, value: str, max_age: int | None = None) -> None:
        self._set_on(response, name, value, max_age)

    def header(self, name: str, value: str, max_age: int | None = None) -> str:
        """The `Set-Cookie` value `set` sends, for an answer made without a route (`front_cache`).
        Bottle formats it; for a value that needs no quoting (every token we issue), its attributes
        are formatted once per name and the value put in front of them."""
        if not _PLAIN.fullmatch(value):
            return self._formatted(name, value, max_age)
        found = self._attributes.get((name, max_age))
        if found is None:
            shown = self._formatted(name, "x", max_age)
            found = self._attributes[(name, max_age)] = shown[len(self.name(name)) + 2 :]
        return f"{self.name(name)}={value}{found}"

    def _formatted(self, name: str, value: str, max_age: int | None) -> str:
        answer = BaseResponse()
        self._set_on(answer, name, value, max_age)
        return next(v for k, v in answer.headerlist if k == "Set-Cookie")

    def _set_on(self, answer: BaseResponse, name: str, value: str, max_age: int | None) -> None:
        options: dict[str, Any] = {"path": "/", "httponly": True, "samesite": "lax"}
        if self.secure:
            options["secure"] = True
        if max_age is not None:
            options["max_age"] = max_age
        answer.set_cookie(self.name(name), value, **options)

    def clear(self, name: str) -> None:
        self.set(name, "", max_age=0)

    def flash(self, key: str) -> None:
        """Show one of `FLASH_MESSAGES` on the next page this browser loads."""
        if key in FLASH_MESSAGES:
            self.set(security.FLASH_COOKIE, key, 60)

    def has_flash(self) -> bool:
        """A flash message waits for this browser (pages that show one are not served from a cache)."""
        return bool(self.get(security.FLASH_COOKIE))

    def take_flash(self) -> str | None:
        """The waiting flash message in English (the page translates it), cleared."""
        key = self.get(security.FLASH_COOKIE)
        if not key:
            return None
        self.clear(security.FLASH_COOKIE)
        return FLASH_MESSAGES.get(key)
