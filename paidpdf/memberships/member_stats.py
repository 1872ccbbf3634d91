"""Membership figures for `paidpdf orders stats`: members now, monthly recurring revenue, new and
churned members per month, computed from the subscription documents (integer minor units per currency).

MRR counts paying subscriptions (active or past due, not in a trial) giving access now that will renew
(not set to cancel, not a pass), a yearly
price as its twelfth (integer division: never a float). A member is "new" in the month their
subscription was created and "churned" in the month it ended (`ended_at`, or its period end once it
no longer gives access).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from paidpdf.memberships.subscriptions import SUBSCRIPTIONS, access_now
from paidpdf.store import View


@dataclass
class MemberStats:
    active: int = 0
    mrr: dict[str, int] = field(default_factory=dict)
    per_month: dict[str, dict[str, int]] = field(default_factory=dict)  # YYYY-MM -> {new, churned}
    statuses: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "active_members": self.active,
            "mrr": [{"currency": c, "amount": a} for c, a in sorted(self.mrr.items())],
            "per_month": [{"month": m, **v} for m, v in sorted(self.per_month.items())],
            "statuses": dict(sorted(self.statuses.items())),
        }


def compute(view: View) -> MemberStats:
    stats = MemberStats()
    members: set[str] = set()
    mrr: dict[str, int] = defaultdict(int)
    months: dict[str, dict[str, int]] = defaultdict(lambda: {"new": 0, "churned": 0})
    statuses: dict[str, int] = defaultdict(int)
    for sub in view.each(SUBSCRIPTIONS):
        statuses[str(sub.get("access_status") or sub.get("status"))] += 1
        months[str(sub.get("created_at") or "")[:7]]["new"] += 1
        live = access_now(sub)
        if live:
            members.add(str(sub["user_id"]))
            paying = sub.get("status") in ("active", "past_due")  # a trial is no revenue yet
            if paying and sub.get("kind") != "pass" and not sub.get("cancel_at_period_end"):
                amount = int(sub.get("amount") or 0)
                mrr[str(sub.get("currency"))] += amount // 12 if sub.get("interval") == "year" else amount
        else:
            ended = sub.get("ended_at") or sub.get("access_until") or sub.get("updated_at")
            months[str(ended or "")[:7]]["churned"] += 1
    stats.active, stats.mrr, stats.per_month, stats.statuses = (
        len(members), dict(mrr), {k: v for k, v in months.items() if k}, dict(statuses)
    )
    return stats
