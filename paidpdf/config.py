"""One `Settings` object, built from the environment (`PAIDPDF_*`, `STRIPE_*`).

Secrets only ever come from the environment (or, for the web secret on loopback, a key generated once
into the data folder by the web adapter) and are wrapped in `Secret` so that printing or logging the
settings never shows them.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from paidpdf import limits as abuse_limits
from paidpdf.errors import ConfigError
from paidpdf.money import check_currency

if TYPE_CHECKING:
    from paidpdf.store import DataStore


class Secret:
    """A string that does not show itself in repr/str, logs or `--json` output."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


def _secret(environ: Mapping[str, str], name: str) -> Secret | None:
    value = environ.get(name, "").strip()
    return Secret(value) if value else None


def _seconds(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) > 3600:
        raise ConfigError(f"{name} must be a whole number of seconds from 0 to 3600, got {raw!r}")
    return int(raw)


def _float_seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.01 <= value <= 3600:
        raise ConfigError(f"{name} must be a number of seconds from 0.01 to 3600, got {raw!r}")
    return value


def _header_name(env: Mapping[str, str], name: str) -> str | None:
    """An HTTP header's name (letters, digits and dashes), or None when the variable is unset."""
    raw = env.get(name, "").strip()
    if raw and not re.fullmatch(r"[A-Za-z0-9-]{1,64}", raw):
        raise ConfigError(f"{name} must be an HTTP header name such as CF-IPCountry, got {raw[:70]!r}")
    return raw or None


#: `PAIDPDF_TAX`: who handles sales tax and VAT (docs/tax.md). `off` is the shop as it always was.
TAX_MODES = ("off", "stripe_tax", "managed")


def _tax_mode(environ: Mapping[str, str]) -> str:
    raw = environ.get("PAIDPDF_TAX", "").strip().lower()
    if not raw:
        return "off"
    if raw not in TAX_MODES:
        raise ConfigError(f"PAIDPDF_TAX must be one of {', '.join(TAX_MODES)}, got {raw!r}")
    return raw


def _flag(environ: Mapping[str, str], name: str) -> bool:
    raw = environ.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise ConfigError(f"{name} must be 1 or 0, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the embedded defaults the demo and tests use."""

    data_dir: Path = Path("data")
    currency: str = "usd"
    #: The proxy's header naming the visitor's country (`CF-IPCountry`), believed only through the
    #: trusted proxy, and Stripe's Adaptive Pricing for currencies without an explicit price
    #: (docs/currencies.md: `PAIDPDF_COUNTRY_HEADER`, `PAIDPDF_ADAPTIVE_PRICING`).
    country_header: str | None = None
    adaptive_pricing: bool = False
    base_url: str = "http://127.0.0.1:8080"
    secret_key: Secret | None = None
    smtp_url: Secret | None = None
    mail_from: str = "paidpdf <shop@localhost>"
    stripe_secret_key: Secret | None = None
    stripe_webhook_secret: Secret | None = None
    stripe_api_base: str | None = None
    database_url: Secret | None = None
    files_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_downloads: str = "redirect"
    #: Seconds `serve` gives requests and downloads under way to finish on SIGTERM (and a reload).
    shutdown_grace: int = 30
    #: Outgoing hooks (docs/hooks.md): each POST's timeout, and the first retry's delay (doubling after).
    hooks_timeout: float = 10.0
    hooks_first_retry: float = 5.0
    #: Per-address and per-browser limits and the code hold (`paidpdf.limits`, `PAIDPDF_*`).
    limits: abuse_limits.Limits = field(default_factory=abuse_limits.Limits)
    #: Tax handling (`PAIDPDF_TAX`, docs/tax.md) and whether catalog prices already include it.
    tax: str = "off"
    prices_include_tax: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read `PAIDPDF_*` and `STRIPE_*`; keyword overrides (e.g. `--data`) win over the environment."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            "data_dir": Path(env.get("PAIDPDF_DATA", "") or "data"),
            "currency": check_currency(env.get("PAIDPDF_CURRENCY", "") or "usd"),
            "country_header": _header_name(env, "PAIDPDF_COUNTRY_HEADER"),
            "adaptive_pricing": _flag(env, "PAIDPDF_ADAPTIVE_PRICING"),
            "base_url": (env.get("PAIDPDF_BASE_URL", "") or "http://127.0.0.1:8080").rstrip("/"),
            "secret_key": _secret(env, "PAIDPDF_SECRET_KEY"),
            "smtp_url": _secret(env, "PAIDPDF_SMTP_URL"),
            "mail_from": env.get("PAIDPDF_MAIL_FROM", "") or "paidpdf <shop@localhost>",
            "stripe_secret_key": _secret(env, "STRIPE_SECRET_KEY"),
            "stripe_webhook_secret": _secret(env, "STRIPE_WEBHOOK_SECRET"),
            "stripe_api_base": (env.get("STRIPE_API_BASE", "") or None),
            "database_url": _secret(env, "PAIDPDF_DATABASE_URL"),
            "files_url": env.get("PAIDPDF_FILES_URL", "").strip() or None,
            "s3_endpoint_url": env.get("PAIDPDF_S3_ENDPOINT_URL", "").strip() or None,
            "s3_downloads": env.get("PAIDPDF_S3_DOWNLOADS", "").strip() or "redirect",
            "shutdown_grace": _seconds(env, "PAIDPDF_SHUTDOWN_GRACE", 30),
            "hooks_timeout": _float_seconds(env, "PAIDPDF_HOOKS_TIMEOUT", 10.0),
            "hooks_first_retry": _float_seconds(env, "PAIDPDF_HOOKS_FIRST_RETRY", 5.0),
            "limits": abuse_limits.from_env(env),
            "tax": _tax_mode(env),
            "prices_include_tax": _flag(env, "PAIDPDF_PRICES_INCLUDE_TAX"),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        if not str(values["base_url"]).startswith(("http://", "https://")):
            shown = values["base_url"]
            raise ConfigError(f"PAIDPDF_BASE_URL must start with http:// or https://, got {shown!r}")
        if values["tax"] not in TAX_MODES:
            raise ConfigError(f"tax must be one of {', '.join(TAX_MODES)}, got {values['tax']!r}")
        return cls(**values)

    def open_store(self) -> DataStore:
        """The shop's store: the data folder, or PostgreSQL when `PAIDPDF_DATABASE_URL` is set; its
        files (`store.files`) from the data folder, or from the object store when `PAIDPDF_FILES_URL`
        is set."""
        from paidpdf.store import open_store

        store = open_store(self.data_dir, self.database_url.reveal() if self.database_url else None)
        if self.files_url:
            from paidpdf.store.files.object_files import ObjectFiles
            from paidpdf.store.files.object_source import ObjectSources

            store.objects = ObjectFiles(
                self.files_url, endpoint_url=self.s3_endpoint_url, downloads=self.s3_downloads
            )
            store.files = ObjectSources(store.objects)
        return store

    def files_location(self) -> str:
        """Where content files, covers and previews are served from, for people."""
        return self.files_url.rstrip("/") if self.files_url else f"data folder {self.data_dir}"

    def documents_location(self) -> str:
        """Where the documents are, for people: the data folder, or the database URL without its
        password (`serve`'s first line, `db info`)."""
        if not self.database_url:
            return f"data folder {self.data_dir}"
        parts = urlsplit(self.database_url.reveal())
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        netloc = f"{user}{parts.hostname or ''}{port}"
        return f"PostgreSQL {parts.scheme}://{netloc}{parts.path}"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def redacted(self) -> dict[str, str | None]:
        """The settings as shown to people: every secret replaced by a marker that only says it is set."""
        shown: dict[str, str | None] = {}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            if f.name == "limits":
                shown.update(abuse_limits.shown(self.limits))
                continue
            value = getattr(self, f.name)
            if isinstance(value, Secret):
                shown[f.name] = "(set, redacted)"
            elif value is None:
                shown[f.name] = None
            else:
                shown[f.name] = str(value)
        return shown
