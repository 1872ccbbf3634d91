"""Tax on membership invoices (docs/tax.md): with `PAIDPDF_TAX=stripe_tax` a subscription is taxed by
Stripe on every invoice, first and renewal, at the buyer's place; the shop keeps each paid invoice's
tax, country and currency, and `orders tax-report` counts them as sales and their refunds as refunds,
beside the orders and never summed across currencies."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from paidpdf.memberships import invoices, joins, plans
from paidpdf.store import SALES
from tests.payments.membership_life import billing_events, deliver
from tests.payments.shop import Shop
from tests.payments.test_tax import _cli, _taxed
from tests.stripe_local.typed_objects import problems

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL
HOUR = 3600


def _report(shop: Shop) -> list[dict[str, Any]]:
    """The report from today to 40 days on (the renewal is paid a month ahead, on the stand-in's clock)."""
    today = datetime.now(UTC).date()
    span = ("--from", today.isoformat(), "--to", (today + timedelta(days=40)).isoformat())
    done = _cli(shop, "orders", "tax-report", *span, "--json")
    assert done.exit_code == 0, done.output
    rows: list[dict[str, Any]] = json.loads(done.stdout)["rows"]
    return rows


def _raw(shop: Shop, kind: str, object_id: str) -> dict[str, Any]:
    found = getattr(shop.client.v1, kind).retrieve(object_id)
    return dict(found.to_dict())


def test_a_taxed_membership_is_taxed_on_every_invoice_and_the_report_counts_them(shop: Shop) -> None:
    plans.add(shop.store, "club", title="Club", price_text="10", currency="eur", interval="month")
    taxed = _taxed(shop, "stripe_tax", inclusive=False)
    started = joins.start_join(taxed.store, taxed.client, taxed.settings, user=taxed.user(), plan_id="club")
    assert started.join is not None
    session_id = str(started.join["stripe_session_id"])
    taxed.sl.pay(session_id, country="DE")
    session = taxed.client.v1.checkout.sessions.retrieve(session_id)
    assert (session.amount_total, session.total_details and session.total_details.amount_tax) == (1190, 190)
    assert isinstance(session.subscription, str) and isinstance(session.invoice, str)
    (line,) = taxed.client.v1.checkout.sessions.line_items.list(session_id).data
    assert (line.amount_subtotal, line.amount_tax, line.amount_total) == (1000, 190, 1190)
    stripe_sub = taxed.client.v1.subscriptions.retrieve(session.subscription)
    assert stripe_sub.automatic_tax.enabled
    first = taxed.client.v1.invoices.retrieve(session.invoice)
    assert [(t.amount, t.tax_behavior, t.taxable_amount) for t in first.total_taxes or []] == [
        (190, "exclusive", 1000)
    ]
    totals = (first.subtotal, first.total, first.total_excluding_tax, first.amount_paid)
    assert totals == (1000, 1190, 1000, 1190)
    assert first.customer_address is not None and first.customer_address.country == "DE"
    assert problems(_raw(taxed, "invoices", first.id)) == []
    assert problems(_raw(taxed, "subscriptions", stripe_sub.id)) == []
    deliver(taxed, billing_events(taxed), app=taxed.app)
    seen = len(taxed.sl.events())

    end = int(stripe_sub["items"]["data"][0]["current_period_end"])  # a month on: the renewal
    taxed.sl.state.advance_all(end - taxed.sl.state.now() + HOUR)
    deliver(taxed, billing_events(taxed, seen), app=taxed.app)
    kept = invoices.for_subscription(taxed.store.view(SALES), _sub_id(taxed))
    facts = [(i["amount_paid"], i["tax"], i["currency"], i["buyer_country"], i["tax_behavior"]) for i in kept]
    assert facts == [(1190, 190, "eur", "DE", "exclusive")] * 2
    assert [i["billing_reason"] for i in kept] == ["subscription_create", "subscription_cycle"]

    seen = len(taxed.sl.events())
    taxed.client.v1.refunds.create(params={"payment_intent": kept[-1]["payment_intent"]})
    deliver(taxed, billing_events(taxed, seen), app=taxed.app)
    (row,) = _report(taxed)
    assert (row["currency"], row["place"], row["rate"]) == ("eur", "DE", "19")
    assert (row["sales"], row["gross"], row["net"], row["tax"]) == (2, 2380, 2000, 380)
    assert (row["refunds"], row["refunded"], row["refunded_tax"], row["tax_due"]) == (1, 1190, 190, 190)


def test_an_inclusive_membership_price_holds_its_tax_in_invoice_and_report(shop: Shop) -> None:
    plans.add(shop.store, "club", title="Club", price_text="12", currency="gbp", interval="month")
    taxed = _taxed(shop, "stripe_tax", inclusive=True)
    started = joins.start_join(taxed.store, taxed.client, taxed.settings, user=taxed.user(), plan_id="club")
    assert started.join is not None
    taxed.sl.pay(str(started.join["stripe_session_id"]), country="GB")
    session = taxed.client.v1.checkout.sessions.retrieve(str(started.join["stripe_session_id"]))
    first = taxed.client.v1.invoices.retrieve(str(session.invoice))
    assert (first.total, first.amount_paid, first.total_excluding_tax) == (1200, 1200, 1000)
    assert [(t.amount, t.tax_behavior) for t in first.total_taxes or []] == [(200, "inclusive")]
    deliver(taxed, billing_events(taxed), app=taxed.app)
    (row,) = _report(taxed)
    assert (row["currency"], row["place"], row["rate"]) == ("gbp", "GB", "20")
    assert (row["gross"], row["net"], row["tax"]) == (1200, 1000, 200)


def _sub_id(shop: Shop) -> str:
    (sub,) = shop.store.view(SALES).find("subscriptions", "user_id", shop.user()["id"])
    return str(sub["id"])
