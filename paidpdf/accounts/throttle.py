"""Throttling of logins, sign-ups and reset requests, stored in `accounts.json` so every server thread
and process shares it.

Each throttled key (an account e-mail, a client address, per purpose) has a row in the `throttle`
table with its recent attempts as `[timestamp, nonce]` pairs. An attempt is recorded *before* the slow
password check, inside the same locked unit that checked the limits, so a burst of parallel guesses
cannot slip past a limit while the first ones are still hashing; a successful login then takes its
attempt back.

Two kinds of rule:

- a hard limit (`Rule(key, limit, window)`): at most `limit` attempts per `window`, for client
  addresses (the attacker's own) and for sign-ups and reset mails per target address;
- a growing delay (`Rule(..., backoff=True)`) for failed logins per account: the first
  `FREE_FAILURES` cost nothing, then each further try must wait 2, 4, 8 ... seconds after the last
  failure, never more than `MAX_DELAY`. So guessing is slow, but nobody can lock a reader out: after
  any number of failures from anywhere, the owner waits at most `MAX_DELAY` seconds.

The per-address (and per-browser) limits are settings (`paidpdf.limits`, `PAIDPDF_*`); the web app
puts its `Limits` in force for each request (`limits_in_force`, a context variable, so the account functions
keep their signatures and a CLI call keeps the defaults).

Keys are derived from the normalised e-mail (whether or not such an account exists, so throttling does
not reveal which accounts exist) and from the client address, IPv6 addresses grouped by their /64
network (one host usually owns a whole /64).
"""

from __future__ import annotations

import contextvars
import ipaddress
import math
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from paidpdf.clock import iso, parse_iso
from paidpdf.errors import TooManyAttempts
from paidpdf.limits import Limits
from paidpdf.store import Unit, View

TABLE = "throttle"

#: How far back login failures count.
WINDOW = timedelta(minutes=15)
#: Failed logins per account that cost no delay.
FREE_FAILURES = 3
#: The longest a reader ever has to wait because of failures on their account.
MAX_DELAY = timedelta(seconds=30)
#: Failures per client address (IPv6: per /64) within WINDOW before further attempts are refused.
ADDRESS_LIMIT = Limits().login_failures_per_address
#: Sign-ups and reset requests: per client address and per target e-mail, per hour.
HOURLY = timedelta(hours=1)
SIGNUPS_PER_ADDRESS = Limits().signups_per_address
RESETS_PER_ADDRESS = Limits().resets_per_address
REQUESTS_PER_TARGET = 3
#: Checkout starts are counted per client address and per browser over this window.
CHECKOUT_WINDOW = timedelta(minutes=10)

_DEFAULTS = Limits()
_LIMITS: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("paidpdf_limits", default=None)


@contextmanager
def limits_in_force(limits: Limits) -> Iterator[None]:
    """The shop's configured limits, in force while the web app handles one request (and only then:
    a thread that handles no request, or a CLI command, keeps the defaults)."""
    token = _LIMITS.set(limits)
    try:
        yield
    finally:
        _LIMITS.reset(token)


def limits() -> Limits:
    """The limits in force: the web app's for this request, else the defaults."""
    return _LIMITS.get() or _DEFAULTS
#: Rows older than this are pruned (the longest window of any rule).
LONGEST = max(WINDOW, HOURLY)


@dataclass(frozen=True)
class Rule:
    """One throttled key: a hard `limit` per `window`, or (backoff) a growing delay after failures."""

    key: str
    limit: int
    window: timedelta = WINDOW
    backoff: bool = False


class Throttled(TooManyAttempts):
    """Too many recent attempts; `retry_after` is the number of seconds until the next try may work."""

    def __init__(self, retry_after: int, what: str = "failed logins") -> None:
        super().__init__(f"too many {what}; try again in {_shown_wait(retry_after)}")
        self.retry_after = retry_after


def _shown_wait(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes"


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()[:320]}"  # no address is longer; bounded row ids


def address_key(remote_addr: str | None, purpose: str = "address") -> str:
    text = (remote_addr or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"{purpose}:{text[:100] or 'unknown'}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"{purpose}:{address.ipv4_mapped}"
        return f"{purpose}:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"{purpose}:{address}"


def login_rules(email: str, remote_addr: str | None) -> list[Rule]:
    """Failed logins: a growing delay per account, a hard limit per client address."""
    return [
        Rule(account_key(email), FREE_FAILURES, backoff=True),
        Rule(address_key(remote_addr), limits().login_failures_per_address),
    ]


def _address_and_target(kind: str, per_address: int, email: str, remote_addr: str | None) -> list[Rule]:
    """Requests that mail or create something for an address: limited per client address and per
    target address, each within the hour (the keys name the kind, so each kind counts on its own)."""
    return [
        Rule(address_key(remote_addr, f"{kind}-address"), per_address, HOURLY),
        Rule(f"{kind}-email:{email.strip().lower()[:320]}", REQUESTS_PER_TARGET, HOURLY),
    ]


def signup_rules(email: str, remote_addr: str | None) -> list[Rule]:
    return _address_and_target("signup", limits().signups_per_address, email, remote_addr)


def reset_rules(email: str, remote_addr: str | None) -> list[Rule]:
    return _address_and_target("reset", limits().resets_per_address, email, remote_addr)


def sign_in_link_rules(email: str, remote_addr: str | None) -> list[Rule]:
    """Sign-in links: limited like password resets, counted on their own."""
    return _address_and_target("sign-in-link", limits().sign_in_links_per_address, email, remote_addr)


def checkout_rules(remote_addr: str | None, browser: str) -> list[Rule]:
    """Checkout starts (each makes an order and a Stripe session): per client address and per browser
    (`browser`: the reader's account id, or the digest of a guest's checkout cookie)."""
    return [
        Rule(address_key(remote_addr, "checkout-address"), limits().checkouts_per_address, CHECKOUT_WINDOW),
        Rule(f"checkout-browser:{browser[:100]}", limits().checkouts_per_browser, CHECKOUT_WINDOW),
    ]


def feed_rules(remote_addr: str | None) -> list[Rule]:
    """Requests to the private feeds and their file links (`web/feeds.py`), per client address."""
    limit = limits().feed_requests_per_address
    return [Rule(address_key(remote_addr, "feed-address"), limit, CHECKOUT_WINDOW)]


def _recent(view: View, rule: Rule, now: datetime, table: str = TABLE) -> list[datetime]:
    row = view.get(table, rule.key)
    if row is None:
        return []
    since = now - rule.window
    moments = sorted(parse_iso(at) for at, _nonce in row.get("attempts", []))
    return [m for m in moments if m > since]


def delay_after(failures: int) -> timedelta:
    """How long after the last failure the next try waits, given `failures` recent ones."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** (failures - FREE_FAILURES + 1)))


def retry_after(view: View, rules: Iterable[Rule], now: datetime, table: str = TABLE) -> int:
    """Seconds until every rule allows another attempt; 0 when an attempt is allowed now."""
    wait = 0.0
    for rule in rules:
        recent = _recent(view, rule, now, table)
        if rule.backoff:
            if recent:
                wait = max(wait, (recent[-1] + delay_after(len(recent)) - now).total_seconds())
        elif len(recent) >= rule.limit:
            frees_at = recent[len(recent) - rule.limit] + rule.window
            wait = max(wait, (frees_at - now).total_seconds())
    return max(0, math.ceil(wait))


def check(
    view: View, rules: Sequence[Rule], now: datetime, what: str = "failed logins", table: str = TABLE
) -> None:
    wait = retry_after(view, rules, now, table)
    if wait > 0:
        raise Throttled(wait, what)


def record(unit: Unit, rules: Iterable[Rule], now: datetime, table: str = TABLE) -> str:
    """Count one attempt against every rule's key; returns the nonce that `take_back` uses to undo it."""
    nonce = secrets.token_hex(6)
    for rule in rules:
        row = unit.get(table, rule.key)
        since = now - rule.window
        kept = [a for a in (row or {}).get("attempts", []) if parse_iso(a[0]) > since]
        unit.put(table, {"id": rule.key, "attempts": [*kept, [iso(now), nonce]], "updated_at": iso(now)})
    return nonce


def take_back(unit: Unit, key: str, nonce: str) -> None:
    """Remove one attempt (a login that turned out to be right is not a failure)."""
    row = unit.get(TABLE, key)
    if row is None:
        return
    kept = [a for a in row.get("attempts", []) if a[1] != nonce]
    if kept:
        unit.put(TABLE, {**row, "attempts": kept})
    else:
        unit.delete(TABLE, key)


def clear(unit: Unit, key: str) -> None:
    """Forget every attempt against `key` (a successful login or password reset clears the account)."""
    unit.delete(TABLE, key)


def prune(unit: Unit, now: datetime, table: str = TABLE, longest: timedelta = LONGEST) -> None:
    """Drop rows whose every attempt is older than the longest window (rides along with writes).
    `table` and `longest`: another file's throttle table (the license API's, in `sales.json`)."""
    cutoff = iso(now - longest)
    for row in unit.where(table, lambda r: all(a[0] <= cutoff for a in r.get("attempts", []))):
        unit.delete(table, row["id"])
