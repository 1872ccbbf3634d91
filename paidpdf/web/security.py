"""Web security plumbing: the secret key, CSRF tokens, cookies, safe redirects and response headers.

- The secret key signs CSRF tokens only (sessions are random server-side tokens, never signed cookies;
  Bottle's `secret=` cookies unpickle and are never used). It comes from `PAIDPDF_SECRET_KEY`; a shop
  whose public URL is on loopback may run without one: a key is then generated once into
  `<data>/.secret_key` (mode 0600) so tokens survive restarts.
- CSRF tokens are `HMAC(key, "csrf:" + binding)` where the binding is the session token for a logged-in
  reader, or a random pre-session cookie for anonymous forms (sign up, log in, forgot password). A form
  posted from another site carries neither the cookie-bound token nor (SameSite=Lax) the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from paidpdf.config import Settings
from paidpdf.errors import ConfigError

SECRET_FILE = ".secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32

SESSION_COOKIE = "paidpdf_session"
ANON_COOKIE = "paidpdf_csrf"
FLASH_COOKIE = "paidpdf_flash"
CSRF_FIELD = "csrf_token"

#: Sent with every response, error pages and files included.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    (
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def base_is_https(settings: Settings) -> bool:
    return settings.base_url.lower().startswith("https://")


def load_secret_key(settings: Settings, bind_host: str | None = None) -> bytes:
    """The CSRF signing key.

    From `PAIDPDF_SECRET_KEY` when set (at least 32 characters). Otherwise only a shop that is both
    published on a loopback URL and (when known) bound to a loopback address gets a generated key,
    kept in `<data>/.secret_key`; anything reachable from other machines must set the variable.
    """
    if settings.secret_key:
        value = settings.secret_key.reveal()
        if len(value) < MIN_SECRET_LENGTH:
            raise ConfigError(
                f"PAIDPDF_SECRET_KEY is too short: use at least {MIN_SECRET_LENGTH} random characters "
                '(e.g. python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
            )
        return value.encode("utf-8")
    public_host = urlsplit(settings.base_url).hostname or ""
    if not is_loopback(public_host) or (bind_host is not None and not is_loopback(bind_host)):
        raise ConfigError(
            "PAIDPDF_SECRET_KEY must be set when the shop is reachable from other machines "
            '(generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
    return _generated_key(Path(settings.data_dir) / SECRET_FILE)


def _generated_key(path: Path) -> bytes:
    try:
        return _read_key(path)
    except FileNotFoundError:
        pass
    key = secrets.token_urlsafe(48).encode("ascii")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its key
        return _read_key(path)
    except OSError as exc:
        raise ConfigError(f"cannot create {path}: {exc.strerror}") from None
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def _read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if len(key) < MIN_SECRET_LENGTH:
        raise ConfigError(f"{path} holds no usable key; delete it to generate a new one")
    return key


# -- CSRF ----------------------------------------------------------------------------------------
def csrf_token(key: bytes, binding: str) -> str:
    return hmac.new(key, b"csrf:" + binding.encode("utf-8"), hashlib.sha256).hexdigest()


def csrf_valid(key: bytes, binding: str | None, submitted: str | None) -> bool:
    """Constant-time check of a submitted token against the one bound to this browser."""
    if not binding or not submitted:
        return False
    return hmac.compare_digest(csrf_token(key, binding), submitted)


def new_anonymous_binding() -> str:
    return secrets.token_urlsafe(24)


# -- redirects -------------------------------------------------------------------------------------
_LOCAL_PATH = re.compile(r"^/(?![/\\])[\x21-\x7e]*$")


def safe_next(candidate: str | None, default: str = "/") -> str:
    """`candidate` if it is a path on this site, else `default`.

    Refuses absolute URLs, scheme-relative `//host`, `/\\host` (browsers read `\\` as `/`), control
    characters and anything that is not plain printable ASCII.
    """
    if not candidate or len(candidate) > 2000 or not _LOCAL_PATH.match(candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or "\\" in candidate:
        return default
    return candidate
