"""Plans: what a membership sells, kept in the catalog next to items and bundles (`plans` table).

A plan renews every `interval` ("month" or "year") through Stripe Billing, or, with `pass_days`, is a
fixed-term pass sold once (Checkout in payment mode; access ends `pass_days` after payment). Its
`covers` says which items a member may read: `"all"`, or a list of tags, matched against the item's
tags when access is checked (`covers_item`), so items added or tagged later are covered too.
Prices are integer minor units, parsed by `money.parse_price` like item prices.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from paidpdf import currency_prices
from paidpdf.clock import now_iso
from paidpdf.content import catalog
from paidpdf.content.bundles import BUNDLES
from paidpdf.content.item_text import check_description, check_id, check_tags, check_title, slugify
from paidpdf.errors import Conflict, InvalidInput, NotFound
from paidpdf.money import check_currency, parse_price
from paidpdf.store import CATALOG, DataStore, Doc, Unit, View

PLANS = "plans"
ACTIVE, RETIRED = "active", "retired"
INTERVALS = ("month", "year")
ALL = "all"
MAX_TRIAL_DAYS = 730
MAX_PASS_DAYS = 3660

#: What `plans list/show --json` shows, in this order.
FIELDS = (
    "id", "title", "description", "price", "currency", "interval", "pass_days", "trial_days",
    "covers", "status", "created_at", "updated_at",
)

Covers = str | list[str]


def public(plan: Doc) -> dict[str, Any]:
    return {**{name: plan.get(name) for name in FIELDS}, "prices": currency_prices.prices_of(plan)}


def is_pass(plan: Doc) -> bool:
    """A fixed-term pass (sold once, no renewal) rather than a renewing subscription."""
    return bool(plan.get("pass_days"))


def parse_covers(text: str) -> Covers:
    """`all` (the default), or `tag:a,tag:b` (also `a,b`): the tags an item needs one of."""
    raw = (text or "").strip()
    if raw.lower() in ("", ALL):
        return ALL
    tags = [part.strip().removeprefix("tag:").strip() for part in raw.split(",") if part.strip()]
    if not tags or any(not t for t in tags):
        raise InvalidInput("--covers takes `all` or tags such as tag:baking,tag:bread")
    return check_tags(tags)


def covers_item(covers: Any, item: Doc) -> bool:
    """Whether a plan's `covers` includes `item` (as the catalog has it now: later tags count)."""
    if covers == ALL:
        return True
    if not isinstance(covers, list):
        return False
    tags = item.get("tags") or ()
    return any(tag in tags for tag in covers)


def describe_covers(covers: Any) -> str:
    return "all items" if covers == ALL else "items tagged " + ", ".join(str(t) for t in covers or [])


_TERM_RE = re.compile(r"\A([1-9][0-9]{0,3})\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)?\Z")
_TERM_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_term(text: str) -> int:
    """A pass's length in days: `30d`, `2w`, `1m` (30 days), `1y` (365 days)."""
    found = _TERM_RE.match(text.strip().lower())
    if not found:
        raise InvalidInput(f"invalid pass length {text.strip()[:30]!r}: write it like 30d, 2w, 1m or 1y")
    days = int(found.group(1)) * _TERM_DAYS[(found.group(2) or "d")[0]]
    if days > MAX_PASS_DAYS:
        raise InvalidInput(f"a pass lasts at most {MAX_PASS_DAYS} days")
    return days


def _interval(interval: str | None, pass_days: int | None) -> str | None:
    if pass_days:
        if interval:
            raise InvalidInput("a pass (--pass) does not renew: leave out --interval")
        return None
    value = (interval or "").strip().lower()
    if value not in INTERVALS:
        raise InvalidInput("--interval must be month or year (or sell a fixed-term pass with --pass 30d)")
    return value


def _trial(trial_days: int, pass_days: int | None) -> int:
    if not 0 <= trial_days <= MAX_TRIAL_DAYS:
        raise InvalidInput(f"--trial-days must be 0 to {MAX_TRIAL_DAYS}")
    if trial_days and pass_days:
        raise InvalidInput("a pass has no trial: leave out --trial-days")
    return trial_days


def _price(price_text: str, currency: str) -> int:
    price = parse_price(price_text, currency)
    if price == 0:
        raise InvalidInput("a plan needs a price (a free plan would give everything away)")
    return price


def list_plans(store: DataStore, include_retired: bool = False) -> list[Doc]:
    """Plans oldest first; live ones only unless `include_retired`."""
    return plans_in(store.view(CATALOG), include_retired)


def plans_in(view: View, include_retired: bool = False) -> list[Doc]:
    rows = view.all(PLANS)
    if not include_retired:
        rows = [r for r in rows if r.get("status") == ACTIVE]
    return sorted(rows, key=lambda r: (r.get("created_at") or "", r["id"]))


def find(view: View, plan_id: str) -> Doc | None:
    key = plan_id.strip().lower()
    return view.get(PLANS, key) if key and len(key) <= 64 else None


def get(store: DataStore, plan_id: str) -> Doc:
    return _require(store.view(CATALOG), plan_id)


def _require(view: View, plan_id: str) -> Doc:
    found = find(view, plan_id)
    if found is None:
        raise NotFound(f"no plan {plan_id[:64]!r} (see `paidpdf plans list --all`)")
    return found


def add(
    store: DataStore,
    plan_id: str,
    *,
    title: str,
    price_text: str,
    currency: str,
    also: Sequence[str] = (),
    interval: str | None = "month",
    trial_days: int = 0,
    covers: str = ALL,
    description: str = "",
    pass_text: str | None = None,
) -> Doc:
    """A new plan; everything is checked before it is written. `pass_text` ("30d") makes it a pass."""
    key = check_id(plan_id) if plan_id.strip() else slugify(title)
    code = check_currency(currency)
    pass_days = parse_term(pass_text) if pass_text else None
    stamp = now_iso()
    doc: Doc = {
        "id": key,
        "title": check_title(title),
        "description": check_description(description),
        "price": _price(price_text, code),
        "currency": code,
        "prices": currency_prices.merged(None, code, also),
        "interval": _interval(interval if not pass_days else None, pass_days),
        "pass_days": pass_days,
        "trial_days": _trial(trial_days, pass_days),
        "covers": parse_covers(covers),
        "status": ACTIVE,
        "created_at": stamp,
        "updated_at": stamp,
    }
    with store.unit(CATALOG) as unit:
        if any(unit.get(t, key) is not None for t in (PLANS, catalog.CONTENT, BUNDLES)):
            raise Conflict(f"a plan, item or bundle with id {key!r} already exists")
        return unit.insert(PLANS, doc)


def edit(
    store: DataStore,
    plan_id: str,
    *,
    title: str | None = None,
    price_text: str | None = None,
    also: Sequence[str] = (),
    remove: Sequence[str] = (),
    trial_days: int | None = None,
    covers: str | None = None,
    description: str | None = None,
) -> Doc:
    """Change a plan. A new price applies to new members; members keep the price they joined at (their
    Stripe subscription has it). New `covers` apply to every member of the plan at once."""
    if not (also or remove) and all(v is None for v in (title, price_text, trial_days, covers, description)):
        raise InvalidInput(
            "nothing to change: give --title, --price, --trial-days, --covers or --description"
        )
    changes: dict[str, Any] = {}
    if title is not None:
        changes["title"] = check_title(title)
    if description is not None:
        changes["description"] = check_description(description)
    if covers is not None:
        changes["covers"] = parse_covers(covers)
    with store.unit(CATALOG) as unit:
        current = _require(unit, plan_id)
        if price_text is not None:
            changes["price"] = _price(price_text, current["currency"])
        if also or remove:
            changes["prices"] = currency_prices.merged(
                current.get("prices"), current["currency"], also, remove
            )
        if trial_days is not None:
            changes["trial_days"] = _trial(trial_days, current.get("pass_days"))
        return _put(unit, current, changes)


def set_status(store: DataStore, plan_id: str, status: str) -> Doc:
    """Retire (no new members; current members keep their membership until it ends) or restore."""
    with store.unit(CATALOG) as unit:
        current = _require(unit, plan_id)
        return current if current.get("status") == status else _put(unit, current, {"status": status})


def _put(unit: Unit, current: Doc, changes: dict[str, Any]) -> Doc:
    return unit.put(PLANS, {**current, **changes, "updated_at": now_iso()})
