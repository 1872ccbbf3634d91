"""Revenue and sales per item and per day, computed from the orders (for `paidpdf orders stats`).

A sale is an order that is paid now; its revenue is what was charged minus what was refunded (a
partial refund keeps the sale, a full refund or an open dispute removes it). Amounts stay integer
minor units, grouped per currency so different currencies are never added together.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from paidpdf.sales import orders
from paidpdf.sales.tax_amounts import charged
from paidpdf.store import View


@dataclass
class Bucket:
    sales: int = 0
    revenue: int = 0


@dataclass
class SalesStats:
    per_item: dict[tuple[str, str], Bucket] = field(default_factory=dict)  # (content_id, currency)
    per_day: dict[tuple[str, str], Bucket] = field(default_factory=dict)  # (YYYY-MM-DD, currency)
    totals: dict[str, Bucket] = field(default_factory=dict)  # currency
    statuses: dict[str, int] = field(default_factory=dict)

    def peak_day(self, currency: str) -> int:
        """The best day's revenue in `currency`: a chart's scale is per currency, since 800 JPY and
        800 EUR are not the same bar."""
        return max((b.revenue for (_, c), b in self.per_day.items() if c == currency), default=0)

    def as_json(self) -> dict[str, object]:
        return {
            "totals": [
                {"currency": c, "sales": b.sales, "revenue": b.revenue}
                for c, b in sorted(self.totals.items())
            ],
            "per_item": [
                {"content_id": k, "currency": c, "sales": b.sales, "revenue": b.revenue}
                for (k, c), b in sorted(self.per_item.items())
            ],
            "per_day": [
                {"day": d, "currency": c, "sales": b.sales, "revenue": b.revenue}
                for (d, c), b in sorted(self.per_day.items())
            ],
            "statuses": dict(sorted(self.statuses.items())),
        }


def compute(view: View) -> SalesStats:
    stats = SalesStats()
    per_item: dict[tuple[str, str], Bucket] = defaultdict(Bucket)
    per_day: dict[tuple[str, str], Bucket] = defaultdict(Bucket)
    totals: dict[str, Bucket] = defaultdict(Bucket)
    statuses: dict[str, int] = defaultdict(int)
    for order in view.each(orders.ORDERS):
        statuses[order["status"]] += 1
        if order["status"] != "paid":
            continue
        # what the buyer was charged (tax added on top included) less what was given back: refunds
        # count against the charged total, so the price alone would mix a net and a gross figure
        net = charged(order) - int(order.get("refunded_amount") or 0)
        day = str(order.get("paid_at") or order["created_at"])[:10]
        for bucket in (
            per_item[(order["content_id"], order["currency"])],
            per_day[(day, order["currency"])],
            totals[order["currency"]],
        ):
            bucket.sales += 1
            bucket.revenue += net
    stats.per_item, stats.per_day, stats.totals, stats.statuses = (
        dict(per_item),
        dict(per_day),
        dict(totals),
        dict(statuses),
    )
    return stats
