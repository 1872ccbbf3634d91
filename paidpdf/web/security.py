"""Web security plumbing: the secret key, CSRF tokens, cookies, safe redirects and response headers.

- The secret key signs CSRF tokens only (sessions are random server-side tokens, never signed cookies;
  Bottle's `secret=` cookies unpickle and are never used). It comes from `PAIDPDF_SECRET_KEY`; a shop
  whose public URL is on loopback may run without one: a key is then generated once into
  `<data>/.secret_key` (mode 0600) so tokens survive restarts.
- CSRF tokens are `HMAC(key, "csrf:" + binding)` where the binding is the session token for a logged-in
  reader, or a random pre-session cookie for anonymous forms (sign up, log in, forgot password). That
  cookie is itself signed (`nonce.HMAC(key, "anon:" + nonce)`), so a value a client chose or planted
  is refused. A form posted from another site carries neither the cookie-bound token nor (SameSite=Lax)
  the cookie. Behind https every cookie is named `__Host-...`, which browsers only accept from this
  very host over TLS, so a sibling subdomain cannot plant one.
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
from paidpdf.store.files.permissions import make_private_dir

SECRET_FILE = ".secret_key"  # noqa: S105 - a file name, not a secret
MIN_SECRET_LENGTH = 32

SESSION_COOKIE = "paidpdf_session"
ANON_COOKIE = "paidpdf_csrf"
FLASH_COOKIE = "paidpdf_flash"
CSRF_FIELD = "csrf_token"

#: Where Stripe hosts Checkout: the Buy form's POST is answered by a redirect there, and browsers apply
#: `form-action` to that redirect too.
STRIPE_CHECKOUT_ORIGIN = "https://checkout.stripe.com"
#: Where Stripe hosts the customer portal: "Manage membership" is a POST answered by a redirect there.
STRIPE_PORTAL_ORIGIN = "https://billing.stripe.com"

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)

#: Sent with every response, error pages and files included (`security_headers` adds the checkout
#: origins to `form-action` for the site itself).
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("Content-Security-Policy", _CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)

def security_headers(settings: Settings) -> tuple[tuple[str, str], ...]:
    """The site's headers: forms may post here and to the checkout page and the customer portal
    (Stripe's, or the local stand-in's when `STRIPE_API_BASE` points there), nowhere else."""
    targets = [STRIPE_CHECKOUT_ORIGIN, STRIPE_PORTAL_ORIGIN]
    if settings.stripe_api_base:
        parts = urlsplit(settings.stripe_api_base)
        if parts.scheme in ("http", "https") and parts.netloc:
            targets.append(f"{parts.scheme}://{parts.netloc}")
    csp = _CSP.replace("form-action 'self'", "form-action 'self' " + " ".join(targets))
    return (("Content-Security-Policy", csp), *SECURITY_HEADERS[1:])


def with_own_scripts(settings: Settings) -> str:
    """The site's policy with `script-src 'self'`: for the one page that runs the shop's own script
    (the library's players remember where a reader stopped); every other page runs none."""
    return security_headers(settings)[0][1].replace("script-src 'none'", "script-src 'self'")


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
    if settings.database_url:
        raise ConfigError(
            "PAIDPDF_SECRET_KEY must be set when the shop keeps its data in PostgreSQL: every server "
            "behind the shop's address must sign with the same key "
            '(generate one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))")'
        )
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
        make_private_dir(path.parent)
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


def new_anonymous_binding(key: bytes) -> str:
    """A pre-session cookie value the server signs, so one a client made up is refused."""
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{_anonymous_mac(key, nonce)}"


def anonymous_binding_valid(key: bytes, value: str) -> bool:
    nonce, dot, mac = value.partition(".")
    if not dot or len(value) > 100:
        return False
    return hmac.compare_digest(_anonymous_mac(key, nonce), mac)


def _anonymous_mac(key: bytes, nonce: str) -> str:
    return hmac.new(key, b"anon:" + nonce.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:32]


# -- redirects -------------------------------------------------------------------------------------
#: Matched against the WHOLE candidate (`fullmatch`): with `match` and `$`, a trailing newline slipped
#: through ("/library\n") and made the redirect's Location header a 500.
_LOCAL_PATH = re.compile(r"/(?![/\\])[\x21-\x7e]*")


def safe_next(candidate: str | None, default: str = "/") -> str:
    """`candidate` if it is a path on this site, else `default`.

    Refuses absolute URLs, scheme-relative `//host`, `/\\host` (browsers read `\\` as `/`), control
    characters and anything that is not plain printable ASCII.
    """
    if not candidate or len(candidate) > 2000 or not _LOCAL_PATH.fullmatch(candidate):
        return default
    parts = urlsplit(candidate)
    if parts.scheme or parts.netloc or "\\" in candidate:
        return default
    return candidate
