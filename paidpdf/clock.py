"""Time and identifiers, in one place so every record uses the same formats."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from paidpdf.errors import InvalidInput


def now() -> datetime:
    return datetime.now(UTC)


def now_iso() -> str:
    """UTC timestamp as stored in every record: `2026-11-27T19:30:05Z` (sortable as text)."""
    return iso(now())


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def new_id(prefix: str) -> str:
    """A random, URL-safe record id such as `ord_5f2c9a0e1b7d4c3a` (64 bits of randomness)."""
    return f"{prefix}_{secrets.token_hex(8)}"


def parse_date_option(text: str | None) -> datetime | None:
    """An admin-typed `--since` value: `2026-11-01` or `2026-11-01T12:00:00Z`, both UTC."""
    if text is None:
        return None
    raw = text.strip()
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(raw, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise InvalidInput(f"invalid date {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
