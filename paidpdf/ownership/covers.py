"""Why a reader has an item: the set of covers of (reader, item), and the one access rule built on it.

A cover is one reason the reader may have the item: a paid order (`bought`, with the order's id; a
bundle's order covers each of its items), an admin's gift (`granted`), a free item taken while free
(`free`), a code that took the whole price off (`promo`). A membership is no cover: what it gives is
read from the member's record (`paidpdf.memberships.records.covering`), never written here. The
rule: **access = any live cover**. Every path that grants adds its own cover; every path that takes
back (a full refund, a dispute, `users revoke`) removes only its own, so an item stays while anything
else still pays for it: buying an item, then a bundle that holds it, then refunding the single order
keeps the item; refunding a bundle keeps an item that was also granted.

Covers are kept on the library entry of (reader, item) as a list of `{"kind", "ref", "since"}`, so a
grant or a revoke and the order it comes from are written in one atomic unit, and adding or removing
the same cover twice changes nothing (events replayed, out of order). Entries written before covers
existed carry one `source` (and `order_id`): they read as that one cover, or none once revoked.
"""

from __future__ import annotations

from typing import Any

from paidpdf.store import Doc

Cover = dict[str, Any]


def cover(kind: str, ref: str | None, since: str) -> Cover:
    return {"kind": kind, "ref": ref, "since": since}


def of(entry: Doc | None) -> list[Cover]:
    """The live covers of an entry (none for no entry); older entries read as their one source."""
    if entry is None:
        return []
    stored = entry.get("covers")
    if isinstance(stored, list):
        return [dict(c) for c in stored if isinstance(c, dict) and c.get("kind")]
    if entry.get("revoked_at") is not None:
        return []
    source = str(entry.get("source") or "granted")
    ref = entry.get("order_id") if source == "bought" else None
    return [cover(source, ref, str(entry.get("acquired_at") or ""))]


def recorded(entry: Doc | None) -> bool:
    """The entry keeps its covers (False: written before covers existed, it names one source)."""
    return entry is not None and isinstance(entry.get("covers"), list)


def live(entry: Doc | None) -> bool:
    """The access rule: the reader has the item while any cover is live."""
    return bool(of(entry))


def has(entry: Doc | None, kind: str, ref: str | None = None) -> bool:
    return any(_same(c, kind, ref) for c in of(entry))


def without(covers: list[Cover], kind: str | None = None, ref: str | None = None) -> list[Cover]:
    """The covers left after taking away one (`kind`, `ref`), or all of them (`kind` None)."""
    if kind is None:
        return []
    return [c for c in covers if not _same(c, kind, ref)]


def describe(covers: list[Cover]) -> str:
    """For the CLI: "bought (ord_…), granted"."""
    return ", ".join(f"{c['kind']} ({c['ref']})" if c.get("ref") else str(c["kind"]) for c in covers)


def _same(c: Cover, kind: str, ref: str | None) -> bool:
    return c.get("kind") == kind and (c.get("ref") or None) == (ref or None)
