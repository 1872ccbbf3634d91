"""The join records (`joins` table of `sales`): finding the join a Checkout Session pays for, closing
one that will not be paid, and the plan a subscription names. Apart from `joins` (which starts joins
and imports `lifecycle`) so that `lifecycle`, which completes them, can use these without a circle.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from paidpdf.clock import now_iso
from paidpdf.memberships import plans
from paidpdf.store import CATALOG, SALES, DataStore, Doc, View

JOINS = "joins"


def close(store: DataStore, join_id: str, status: str) -> None:
    """Close a pending join (`expired`, `abandoned`); any other join is left as it is."""
    with store.unit(SALES) as unit:
        current = unit.get(JOINS, join_id)
        if current is not None and current["status"] == "pending":
            unit.put(JOINS, {**current, "status": status, "updated_at": now_iso()})


def join_for_session(view: View, session: Mapping[str, Any]) -> Doc | None:
    """The join a Checkout Session pays for (by `metadata.join_id`, `client_reference_id` or its id)."""
    metadata = session.get("metadata") if isinstance(session.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    for candidate in (metadata.get("join_id"), session.get("client_reference_id")):
        if isinstance(candidate, str) and candidate.startswith("join_") and len(candidate) <= 64:
            found = view.get(JOINS, candidate)
            if found is not None:
                return found
    session_id = session.get("id")
    if isinstance(session_id, str) and session_id:
        rows = view.find(JOINS, "stripe_session_id", session_id)
        return rows[0] if rows else None
    return None


def is_join_session(session: Mapping[str, Any]) -> bool:
    """A Checkout Session made by `start_join` (the webhook routes it here, not to order fulfilment)."""
    metadata = session.get("metadata") if isinstance(session.get("metadata"), Mapping) else {}
    assert isinstance(metadata, Mapping)
    ref = session.get("client_reference_id")
    return (
        session.get("mode") == "subscription"
        or str(metadata.get("join_id") or "").startswith("join_")
        or (isinstance(ref, str) and ref.startswith("join_"))
    )


def plan_of(store: DataStore, plan_id: str) -> Doc:
    """The plan a subscription names (retired ones too); a stand-in covering nothing if it vanished."""
    found = plans.find(store.view(CATALOG), plan_id) if plan_id else None
    return found or {"id": plan_id or "unknown", "title": plan_id or "unknown plan", "covers": [], "price": 0}
