"""What `paidpdf orders reconcile` and `orders stats` add about memberships (`paidpdf.memberships`)."""

from __future__ import annotations

from typing import Any

from paidpdf.admin.output import table
from paidpdf.money import format_amount
from paidpdf.store import View


def reconcile_rows(summary: Any) -> list[tuple[str, Any]]:
    """Rows for the reconcile table: what reconciling memberships found (`BillingSummary`)."""
    found = summary.memberships
    if found is None:
        return []
    changed = ", ".join(found.ids[:10]) + (" …" if len(found.ids) > 10 else "")
    return [
        ("memberships: joins completed (missed before)", found.joins),
        (f"memberships: subscriptions changed (of {found.subscriptions} looked at)", found.changed),
        *([("memberships: changed", changed)] if changed else []),
    ]


def stats_json(view: View) -> dict[str, object]:
    from paidpdf.memberships import member_stats

    return member_stats.compute(view).as_json()


def show_stats(view: View) -> None:
    """Members now, monthly recurring revenue, new and churned members per month."""
    from paidpdf.memberships import member_stats

    stats = member_stats.compute(view)
    mrr = ", ".join(format_amount(a, c) for c, a in sorted(stats.mrr.items())) or "0"
    table("Memberships", ("active members", "monthly recurring revenue"), [(stats.active, mrr)])
    table(
        "Members per month",
        ("month", "new", "churned"),
        ((m, v["new"], v["churned"]) for m, v in sorted(stats.per_month.items())),
    )
