"""The shop's abuse limits as settings (`PAIDPDF_*`): how many requests one client address (or one
browser) may make, and how long an unpaid checkout holds a limited discount code's use.

Why settings: behind a reverse proxy that is not declared with `--trusted-proxy`, every reader has
the proxy's address, so per-address limits apply to the whole shop at once; a shop behind a large
NAT (a school, an office) may need more than the defaults too. The defaults suit a small shop that
sees each reader's own address. Kept free of imports from the rest of the package so that `config`
can read it and `accounts.throttle` can apply it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from paidpdf.errors import ConfigError

#: The largest value any limit takes (a typo such as 1e9 should not turn a limit off silently).
MOST = 1_000_000
#: Longest hold of a code's use: a limited code's Checkout Session lives 31 minutes at most.
MOST_HOLD_MINUTES = 30


@dataclass(frozen=True)
class Limits:
    """Per client address (IPv6: per /64) or per browser; each counted on its own."""

    #: Sign-ups per client address per hour.
    signups_per_address: int = 10
    #: Password reset requests per client address per hour.
    resets_per_address: int = 10
    #: Sign-in link requests per client address per hour.
    sign_in_links_per_address: int = 10
    #: Failed logins per client address per 15 minutes.
    login_failures_per_address: int = 20
    #: Checkout starts (Buy presses) per client address per 10 minutes.
    checkouts_per_address: int = 30
    #: Checkout starts per browser (a reader's account, or a guest's checkout cookie) per 10 minutes.
    checkouts_per_browser: int = 10
    #: Private feed requests (feeds and their file links, `/feeds/...`) per client address per 10 minutes.
    feed_requests_per_address: int = 300
    #: Minutes an unpaid checkout holds a limited code's use before another buyer may take it over.
    code_hold_minutes: int = 10
    #: License API calls (verify, activate, validate, deactivate) per client address per minute.
    license_checks_per_address: int = 60
    #: License API calls per license key (known or not) per minute.
    license_checks_per_key: int = 20


#: Each limit's environment variable, in the order `db info` shows them.
ENV_NAMES = {
    "signups_per_address": "PAIDPDF_SIGNUPS_PER_ADDRESS",
    "resets_per_address": "PAIDPDF_RESETS_PER_ADDRESS",
    "sign_in_links_per_address": "PAIDPDF_SIGN_IN_LINKS_PER_ADDRESS",
    "login_failures_per_address": "PAIDPDF_LOGIN_FAILURES_PER_ADDRESS",
    "checkouts_per_address": "PAIDPDF_CHECKOUTS_PER_ADDRESS",
    "checkouts_per_browser": "PAIDPDF_CHECKOUTS_PER_BROWSER",
    "feed_requests_per_address": "PAIDPDF_FEED_REQUESTS_PER_ADDRESS",
    "code_hold_minutes": "PAIDPDF_CODE_HOLD_MINUTES",
    "license_checks_per_address": "PAIDPDF_LICENSE_CHECKS_PER_ADDRESS",
    "license_checks_per_key": "PAIDPDF_LICENSE_CHECKS_PER_KEY",
}


def from_env(environ: Mapping[str, str]) -> Limits:
    """The limits from the environment; an unset or empty variable keeps its default, anything but a
    whole number in range is a `ConfigError` naming the variable."""
    values: dict[str, int] = {}
    for name, variable in ENV_NAMES.items():
        text = environ.get(variable, "").strip()
        if text:
            values[name] = _whole(variable, text, MOST_HOLD_MINUTES if name == "code_hold_minutes" else MOST)
    return Limits(**values)


def _whole(variable: str, text: str, most: int) -> int:
    if not text.isdigit() or not 1 <= int(text) <= most:
        raise ConfigError(f"{variable} must be a whole number from 1 to {most}, got {text!r}")
    return int(text)


def shown(limits: Limits) -> dict[str, str]:
    """The limits as `db info` shows them, by environment variable."""
    return {ENV_NAMES[f.name]: str(getattr(limits, f.name)) for f in dataclasses.fields(limits)}
