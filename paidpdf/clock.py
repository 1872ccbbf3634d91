"""Time and identifiers, in one place so every record uses the same formats."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime


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
