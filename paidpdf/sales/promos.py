"""Discount codes: a percentage or an amount off, for some or all items, until a date, for N orders.

Why the rules look like this:

- A use counts when an order is *paid* (`fulfilment` adds it in the unit that marks the order paid),
  so abandoned checkouts never use a code up.
- `--max-uses` still holds under concurrent checkouts: a checkout with a limited code *reserves* a
  use in the same unit of `sales` that creates its pending order, and the code is refused before
  payment when paid uses plus held reservations reach the limit (`reserve`).
- A checkout whose buyer has paid with a delayed method (session complete, payment pending: the order
  is `awaiting`) holds its use until the payment succeeds or fails, however long that takes.
- An unpaid checkout holds its use for `PAIDPDF_CODE_HOLD_MINUTES` (default 10). After that its use is
  *stale*: a buyer who needs it makes the shop expire the stale Checkout Session at Stripe first
  (`CodeHeld` names them; `sales.checkout` does the expiring) and then takes the use. Stripe refuses
  to expire a session that completed meanwhile; that session is then settled and holds its use, and
  the newcomer is refused. So one unpaid checkout cannot hoard a code for long, and a code never pays
  more orders than its limit: Stripe takes no payment on an expired session.
- A session lives at most `RESERVATION`, the shortest Stripe allows, so an order of ours that never
  got a session id (a crash in between) holds its use no longer than that.
- If a use is counted past the limit anyway (money already paid cannot be refused), the order is
  marked `promo_over_limit` and listed on the code (`over_limit_orders`, shown by `promos show`).
- Codes apply to fixed prices; a pay-what-you-want item already lets the reader choose. A discount
  to 0 makes the order free (granted at once, the use counted then); a discount to less than Stripe's
  minimum charge charges that minimum.

Codes live in the `promos` table of `sales`, beside the orders whose creation they gate.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from paidpdf import currency_prices
from paidpdf.clock import now, now_iso, parse_date_option, parse_iso
from paidpdf.errors import Conflict, InvalidInput, NotFound
from paidpdf.languages import N_
from paidpdf.money import DEFAULT_MIN_CHARGE, MIN_CHARGE, format_amount, parse_amount
from paidpdf.store import SALES, DataStore, Doc, Unit, View

PROMOS = "promos"
ORDERS = "orders"
#: How long a limited code's checkout holds its reservation (Stripe's shortest session is 30 min).
RESERVATION = timedelta(minutes=31)
#: How long an unpaid checkout holds a limited code's use by default (`PAIDPDF_CODE_HOLD_MINUTES`).
DEFAULT_HOLD = timedelta(minutes=10)
USED_UP = N_("this discount code has been used up")
SESSION_LIFETIME = timedelta(minutes=30)
_CODE_RE = re.compile(r"\A[A-Z0-9][A-Z0-9_-]{1,31}\Z")

#: What `promos list --json` shows per code, in this order.
FIELDS = (
    "code", "percent", "amount", "currency", "amounts", "items", "until", "max_uses", "uses", "disabled",
    "created_at",
)


def check_code(code: str) -> str:
    """Codes are 2 to 32 letters, digits, `-` or `_`, matched case-insensitively (stored upper-case)."""
    clean = code.strip().upper()
    if not _CODE_RE.match(clean):
        raise InvalidInput("a code is 2 to 32 letters, digits, - or _ (such as SPRING-20)")
    return clean


def add(
    store: DataStore,
    code: str,
    *,
    currency: str,
    percent: int | None = None,
    amount_text: str | None = None,
    items: list[str] | None = None,
    until: str | None = None,
    max_uses: int | None = None,
    also_amounts: Sequence[str] = (),
) -> Doc:
    """A new code; everything is checked before it is written, and an existing code is a `Conflict`.
    An amount off may be given in other currencies too (`also_amounts`: "eur:2.50"); in a currency
    it has no amount for, the code does not apply."""
    key = check_code(code)
    if (percent is None) == (amount_text is None):
        raise InvalidInput("give either --percent or --amount")
    if percent is not None and not 1 <= percent <= 100:
        raise InvalidInput("--percent must be 1 to 100")
    amount = parse_amount(amount_text, currency) if amount_text is not None else None
    if amount is not None and amount <= 0:
        raise InvalidInput("--amount must be more than 0")
    if also_amounts and amount is None:
        raise InvalidInput("--also-amount goes with --amount (a percentage applies in every currency)")
    amounts = currency_prices.merged(None, currency, also_amounts, amounts=True) if amount else {}
    if max_uses is not None and not 1 <= max_uses <= 1_000_000:
        raise InvalidInput("--max-uses must be 1 to 1000000")
    ends = None
    if until is not None:
        day = parse_date_option(until)
        assert day is not None
        ends = (day + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")  # through the end of that day
        if parse_iso(ends) <= now():
            raise InvalidInput("--until is in the past")
    wanted = sorted({i.strip().lower() for i in items or [] if i.strip()}) or None
    if wanted:
        from paidpdf.content import catalog

        for item_id in wanted:
            catalog.get_item(store, item_id)  # NotFound names the unknown id
    doc: Doc = {
        "id": key, "code": key, "percent": percent, "amount": amount, "currency": currency.lower(),
        "amounts": amounts,
        "items": wanted, "until": ends, "max_uses": max_uses, "uses": 0, "disabled": False,
        "created_at": now_iso(),
    }
    with store.unit(SALES) as unit:
        if unit.get(PROMOS, key) is not None:
            raise Conflict(f"the code {key} already exists (disable it and choose another name)")
        return unit.insert(PROMOS, doc)


def list_codes(store: DataStore) -> list[Doc]:
    return sorted(store.view(SALES).all(PROMOS), key=lambda p: (p.get("created_at") or "", p["code"]))


def public(promo: Doc) -> dict[str, Any]:
    return {name: promo.get(name) for name in FIELDS}


def get(store: DataStore, code: str) -> Doc:
    promo = store.view(SALES).get(PROMOS, check_code(code))
    if promo is None:
        raise NotFound(f"no code {code.strip().upper()}")
    return promo


def disable(store: DataStore, code: str) -> Doc:
    key = check_code(code)
    with store.unit(SALES) as unit:
        promo = unit.get(PROMOS, key)
        if promo is None:
            raise NotFound(f"no code {key}")
        return unit.put(PROMOS, {**promo, "disabled": True})


def describe(promo: Doc) -> str:
    off = f"{promo['percent']}% off" if promo.get("percent") else (
        f"{format_amount(int(promo['amount']), promo['currency'])} off"
    )
    return f"{promo['code']}: {off}"


@dataclass(frozen=True)
class Priced:
    """A code applied to an item: what the reader pays, and the code (None without one)."""

    amount: int
    code: str | None
    list_price: int


def price_with(view: View, item: Doc, code_text: str) -> Priced:
    """The item's price with the code typed by a reader (`InvalidInput` says why a code does not
    apply); without a code, the catalog price."""
    price = int(item["price"])
    if not code_text.strip():
        return Priced(price, None, price)
    promo = usable(view, code_text, item)
    percent = promo.get("percent")
    off = (price * int(percent) + 50) // 100 if percent else amount_off(promo, str(item["currency"]))
    paid = max(price - off, 0)
    floor = MIN_CHARGE.get(str(item["currency"]).lower(), DEFAULT_MIN_CHARGE)
    if 0 < paid < floor:
        paid = floor
    return Priced(paid, promo["code"], price)


def usable(view: View, code_text: str, item: Doc) -> Doc:
    """The code, when it may be used on `item` now (ignoring its use limit, which `reserve` checks)."""
    try:
        key = check_code(code_text)
    except InvalidInput:
        raise InvalidInput(N_("this discount code does not exist")) from None
    promo = view.get(PROMOS, key)
    if promo is None or promo.get("disabled"):
        raise InvalidInput(N_("this discount code does not exist or is no longer valid"))
    if promo.get("until") and parse_iso(promo["until"]) <= now():
        raise InvalidInput(N_("this discount code has expired"))
    if promo.get("items") and item["id"] not in promo["items"]:
        raise InvalidInput(N_("this discount code is not valid for this item"))
    if item.get("pay_what_you_want"):
        raise InvalidInput(N_("discount codes do not apply to pay-what-you-want items"))
    if promo.get("amount") and amount_off(promo, str(item["currency"])) is None:
        raise InvalidInput(N_("this discount code is for another currency"))
    return promo


def amount_off(promo: Doc, currency: str) -> Any:
    """A fixed discount in `currency`: its main amount or the one given for that currency (None:
    the code has none there; amounts are never converted)."""
    if str(promo.get("currency")) == currency.lower():
        return int(promo["amount"])
    found = (promo.get("amounts") or {}).get(currency.lower())
    return int(found) if found is not None else None


class CodeHeld(InvalidInput):
    """The code's uses are all taken, some only by unpaid checkouts past their hold: `sessions` are
    their Checkout Session ids, oldest first, of which `needed` must be expired at Stripe to free a
    use. Uncaught, it reads like any used-up code."""

    def __init__(self, sessions: list[str], needed: int) -> None:
        super().__init__(USED_UP)
        self.sessions = sessions
        self.needed = needed


def reserve(unit: Unit, code: str, hold: timedelta = DEFAULT_HOLD) -> None:
    """Inside the unit that creates a pending order: refuse when the code's paid uses plus held
    reservations reach its limit (`CodeHeld` when expiring stale checkouts would free a use)."""
    promo = unit.get(PROMOS, code)
    if promo is None or promo.get("disabled"):
        raise InvalidInput(N_("this discount code does not exist or is no longer valid"))
    limit = promo.get("max_uses")
    if limit is None:
        return
    moment = now()
    held = 0
    stale: list[Doc] = []
    for order in unit.find(ORDERS, "promo", code):
        if order["status"] != "pending":
            continue
        created = parse_iso(order["created_at"])
        if awaiting_payment(order) or created >= moment - hold:
            held += 1
        elif order.get("stripe_session_id"):
            stale.append(order)  # its session may still be open: expire it at Stripe to take its use
        elif created >= moment - RESERVATION:
            held += 1  # a session may exist that we never learnt; it cannot outlive RESERVATION
    free = int(limit) - int(promo.get("uses") or 0) - held
    if free <= 0:
        raise InvalidInput(USED_UP)
    if free <= len(stale):
        stale.sort(key=lambda o: str(o["created_at"]))
        raise CodeHeld([str(o["stripe_session_id"]) for o in stale], len(stale) - free + 1)


def awaiting_payment(order: Doc) -> bool:
    """A pending order whose buyer completed the checkout with a delayed method (see `fulfilment`)."""
    return any(h.get("event") == "awaiting" for h in order.get("history", []))


def count_use(unit: Unit, code: str, order_id: str | None = None) -> bool:
    """Inside the unit that marks an order paid (or grants a free one): one more use. True when this
    use goes past the code's limit (money already paid is never refused): the order is then listed
    on the code as over the limit."""
    promo = unit.get(PROMOS, code)
    if promo is None:
        return False
    uses = int(promo.get("uses") or 0) + 1
    over = promo.get("max_uses") is not None and uses > int(promo["max_uses"])
    listed = list(promo.get("over_limit_orders") or [])
    if over and order_id is not None:
        listed.append(order_id)
    unit.put(PROMOS, {**promo, "uses": uses, **({"over_limit_orders": listed} if listed else {})})
    return over


def shown(promo: Doc) -> dict[str, Any]:
    """What `promos show --json` shows: the listed fields and the orders paid past the limit."""
    return {**public(promo), "over_limit_orders": list(promo.get("over_limit_orders") or [])}


def session_expiry(moment: datetime | None = None) -> int:
    """`expires_at` for a limited code's Checkout Session: Stripe's shortest lifetime (plus a minute
    of clock slack on Stripe's side)."""
    return int(((moment or now()) + SESSION_LIFETIME + timedelta(minutes=1)).astimezone(UTC).timestamp())
