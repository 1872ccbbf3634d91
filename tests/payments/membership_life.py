"""Driving a membership's life for the tests: a plan, a join through the real domain and the stand-in's
Checkout, time moved by the stand-in's clock, and what the shop stores, compared as plain data.

The stand-in's clock (real time plus what `advance_all` added) is the time access is checked at
(`records.covering(..., at=)`): the shop's own clock does not move with the stand-in's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from webtest import TestApp

from paidpdf.content import catalog
from paidpdf.maintenance import migrate
from paidpdf.memberships import invoices, joins, plans, records, subscriptions
from paidpdf.store import SALES, DataStore, Doc, Store
from paidpdf.web import create_app
from tests.payments.shop import BUYER, PAID, Shop, shop_settings
from tests.web.site import copy_seed

DAY = 86400
HOUR = 3600
PLAN = "all-access"


def add_plan(shop: Shop, trial_days: int = 14) -> Doc:
    return plans.add(shop.store, PLAN, title="All access", price_text="9.99", currency="usd",
                     trial_days=trial_days)


def join(shop: Shop, email: str = BUYER) -> str:
    """A logged-in reader joins; the stand-in completes the Checkout. Returns the subscription id."""
    started = joins.start_join(shop.store, shop.client, shop.settings, user=shop.user(email), plan_id=PLAN)
    assert started.kind == "redirect" and started.join is not None
    session_id = str(started.join["stripe_session_id"])
    shop.sl.pay(session_id)
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert isinstance(session.subscription, str)
    return session.subscription


def stripe_now(shop: Shop) -> datetime:
    return datetime.fromtimestamp(shop.sl.state.now(), UTC)


def advance(shop: Shop, seconds: int) -> None:
    shop.sl.state.advance_all(seconds)


def period_end(shop: Shop, sub_id: str) -> int:
    sub = shop.client.v1.subscriptions.retrieve(sub_id)
    return int(sub["items"]["data"][0]["current_period_end"])


def reads(shop: Shop, store: DataStore | None = None, email: str = BUYER, item: str = PAID) -> bool:
    """Whether the reader may read `item` through a membership now (the stand-in's now)."""
    target = store or shop.store
    user = shop.user(email)
    found = catalog.get_item(target, item)
    return records.covering(target.view(SALES), user["id"], found, at=stripe_now(shop)) is not None


def billing_events(shop: Shop, since: int = 0) -> list[dict[str, Any]]:
    """The stand-in's events from number `since` on, oldest first (what a webhook endpoint gets)."""
    return shop.sl.events()[since:]


def deliver(shop: Shop, events: list[dict[str, Any]], app: Any = None) -> list[str]:
    outcomes = []
    for event in events:
        answer = shop.post_event(event, app=app, status=200)
        outcomes.append(answer.json["outcome"])
    return outcomes


def snapshot(store: DataStore) -> dict[str, Any]:
    """What the shop knows about memberships, without the times it wrote things at."""
    view = store.view(SALES)
    keep = ("status", "access_status", "access_until", "period_end", "cancel_at_period_end", "latest_invoice",
            "revoked_invoices", "plan_id", "customer", "amount")
    subs = {s["id"]: {k: s.get(k) for k in keep} for s in view.all(subscriptions.SUBSCRIPTIONS)}
    bills = {
        i["id"]: (i["status"], i["amount_paid"], i.get("refunded_amount"), i.get("payment_intent"))
        for i in view.all(invoices.INVOICES)
    }
    grants = {r["id"]: r["grants"] for r in view.all(records.MEMBERSHIPS)}
    return {"subscriptions": subs, "invoices": bills, "records": grants}


def make_twin(shop: Shop, seeded: Path, tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Shop:
    """A second shop on the same stand-in that has seen no event (the same seed, so the same users)."""
    folder = tmp_path / "twin"
    copy_seed(seeded, folder)
    url = None
    if backend == "postgresql":
        from paidpdf.testing.postgres_cluster import drop_database, new_database

        url = new_database(request.getfixturevalue("postgres_server"))
        request.addfinalizer(lambda: drop_database(str(url)))  # after the store's close, added below
    settings = shop_settings(folder, shop.sl.url, database_url=url)
    store = settings.open_store()
    if url:
        migrate.migrate(Store(folder), store)
    app = TestApp(create_app(settings, store=store), extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    request.addfinalizer(lambda: getattr(store, "close", lambda: None)())
    return Shop(folder, store, settings, shop.sl, app)


def copy_joins(shop: Shop, twin: Shop) -> None:
    """The twin started the same joins (data copied through its real store)."""
    with twin.store.unit(SALES) as unit:
        for pending in shop.store.view(SALES).all("joins"):
            unit.put("joins", pending)
