"""Failed-login throttling, stored in `accounts.json` so every server thread and process shares it.

Each throttled key (one account e-mail, one client address) has a row in the `throttle` table with
the recent attempts as `[timestamp, nonce]` pairs. An attempt is recorded *before* the slow password
check, inside the same locked unit that checked the limit, so a burst of parallel guesses cannot slip
past the limit while the first ones are still hashing; a successful login then takes its attempt back.

Keys are derived from the normalised e-mail (whether or not such an account exists, so the throttle
does not reveal which accounts exist) and from the client address, IPv6 addresses grouped by their
/64 network (one host usually owns a whole /64).
"""

from __future__ import annotations

import ipaddress
import math
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from paidpdf.clock import iso, parse_iso
from paidpdf.errors import TooManyAttempts
from paidpdf.store import Unit, View

TABLE = "throttle"

#: How far back failures count.
WINDOW = timedelta(minutes=15)
#: Failures per account within WINDOW before further attempts are refused.
ACCOUNT_LIMIT = 5
#: Failures per client address (IPv6: per /64) within WINDOW before further attempts are refused.
ADDRESS_LIMIT = 20

Limit = tuple[str, int]


class LoginThrottled(TooManyAttempts):
    """Too many recent failures; `retry_after` is the number of seconds until the next try may work."""

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        unit = "minute" if minutes == 1 else "minutes"
        super().__init__(f"too many failed logins; try again in {minutes} {unit}")
        self.retry_after = retry_after


def account_key(email: str) -> str:
    return f"account:{email.strip().lower()[:320]}"  # no address is longer; bounded row ids


def address_key(remote_addr: str | None) -> str:
    text = (remote_addr or "").strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return f"address:{text[:100] or 'unknown'}"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return f"address:{address.ipv4_mapped}"
        return f"address:{ipaddress.IPv6Network((address, 64), strict=False)}"
    return f"address:{address}"


def _recent(view: View, key: str, now: datetime) -> list[datetime]:
    row = view.get(TABLE, key)
    if row is None:
        return []
    since = now - WINDOW
    moments = sorted(parse_iso(at) for at, _nonce in row.get("attempts", []))
    return [m for m in moments if m > since]


def retry_after(view: View, limits: Iterable[Limit], now: datetime) -> int:
    """Seconds until every key in `limits` is under its limit again; 0 when an attempt is allowed."""
    wait = 0.0
    for key, limit in limits:
        recent = _recent(view, key, now)
        if len(recent) >= limit:
            frees_at = recent[len(recent) - limit] + WINDOW
            wait = max(wait, (frees_at - now).total_seconds())
    return max(0, math.ceil(wait))


def check(view: View, limits: Sequence[Limit], now: datetime) -> None:
    wait = retry_after(view, limits, now)
    if wait > 0:
        raise LoginThrottled(wait)


def record(unit: Unit, keys: Iterable[str], now: datetime) -> str:
    """Count one attempt against every key; returns the nonce that `take_back` uses to undo it."""
    nonce = secrets.token_hex(6)
    since = now - WINDOW
    for key in keys:
        row = unit.get(TABLE, key)
        kept = [a for a in (row or {}).get("attempts", []) if parse_iso(a[0]) > since]
        unit.put(TABLE, {"id": key, "attempts": [*kept, [iso(now), nonce]], "updated_at": iso(now)})
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


def prune(unit: Unit, now: datetime) -> None:
    """Drop rows whose every attempt is older than the window (called opportunistically on writes)."""
    cutoff = iso(now - WINDOW)
    for row in unit.where(TABLE, lambda r: all(a[0] <= cutoff for a in r.get("attempts", []))):
        unit.delete(TABLE, row["id"])
