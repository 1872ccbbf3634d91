"""The download log as `users show`, `orders show` and `content show` print it (`download_log`)."""

from __future__ import annotations

from typing import Any

from paidpdf.admin.output import table, when
from paidpdf.store import Doc

FIELDS = ("content_id", "version", "at", "bytes", "resumed", "client")


def public(rows: list[Doc]) -> list[dict[str, Any]]:
    return [{name: row.get(name) for name in FIELDS} for row in rows]


def show(rows: list[Doc], title: str = "Downloads") -> None:
    """A table of downloads, newest last; nothing when there are none."""
    if not rows:
        return
    table(
        f"{title} ({len(rows)})",
        ("at", "item", "version", "bytes", "resumed", "client (hashed)"),
        (
            (when(r.get("at"), seconds=True), r.get("content_id"), r.get("version"), r.get("bytes"),
             "yes" if r.get("resumed") else "", r.get("client") or "")
            for r in rows
        ),
    )
