"""License keys for members (docs/licenses.md, "Members"): a membership covering an item that issues keys
gives the member that item's key, once, in the unit that grants the membership (however many times
and on however many servers its webhooks arrive), or, for items covered or licensed later, when the
member opens their library. The key works exactly while the membership gives access: a dispute, a
refund, retries exhausted (unpaid) or a cancel at the period end refuse it; a won dispute brings it
back. Real site, real stand-in (its test clock moved), signed webhooks, the real CLI; both backends."""

from __future__ import annotations

import json
import threading
from typing import Any

from webtest import TestApp

from paidpdf.licenses import records
from paidpdf.memberships import invoices
from paidpdf.store import SALES
from paidpdf.web import create_app
from tests.payments import membership_life as life
from tests.payments.shop import BUYER, OTHER, PAID, Shop
from tests.payments.test_licenses import api_app, cli, licensed, verify

BOTH_BACKENDS = True
DISABLED = {"success": False, "message": "This license key has been disabled."}


def _keys(shop: Shop, email: str = BUYER) -> list[dict[str, Any]]:
    user_id = shop.user(email)["id"]
    return [d for d in shop.store.view(SALES).all(records.LICENSES) if d["user_id"] == user_id]


def _member_key(shop: Shop, email: str = BUYER, item: str = PAID) -> str:
    key = records.key_of(shop.store, shop.user(email)["id"], item)
    assert key is not None, f"{email} has no key for {item}"
    return key


def _in_parallel(calls: list[Any]) -> None:
    barrier = threading.Barrier(len(calls))
    failures: list[BaseException] = []

    def run(call: Any) -> None:
        try:
            barrier.wait()
            call()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def _joined(shop: Shop, trial_days: int = 0) -> str:
    life.add_plan(shop, trial_days=trial_days)
    sub_id = life.join(shop)
    life.deliver(shop, life.billing_events(shop))
    return sub_id


def test_a_member_gets_one_key_at_join_under_replays_on_two_servers(shop: Shop) -> None:
    licensed(shop)
    life.add_plan(shop, trial_days=0)
    sub_id = life.join(shop)
    events = life.billing_events(shop)
    second = shop.settings.open_store()  # another server's connection to the same shop
    try:
        apps = [shop.app, TestApp(create_app(shop.settings, store=second))]
        _in_parallel([
            (lambda e=e, a=a: life.deliver(shop, [e], app=a))
            for e in events for a in apps for _ in range(2)
        ])
    finally:
        getattr(second, "close", lambda: None)()
    (doc,) = _keys(shop)  # made with the membership, before the member opened anything
    assert doc["content_id"] == PAID and doc["subscription_id"] == sub_id and doc["order_id"] is None
    key = _member_key(shop)
    answer = verify(api_app(shop), key)
    assert answer.status_int == 200 and answer.json["purchase"]["email"] == BUYER
    (row,) = json.loads(cli(shop, "licenses", "list", "--json").stdout)
    assert row["state"] == "active" and row["subscription_id"] == sub_id and row["email"] == BUYER
    shop.login()
    assert key in shop.app.get("/library").text
    life.deliver(shop, events)  # replayed once more, later
    assert len(shop.store.view(SALES).all(records.LICENSES)) == 1
    assert _keys(shop, OTHER) == []  # no membership, no key


def test_items_covered_or_licensed_later_get_their_key_when_the_library_opens(shop: Shop) -> None:
    items = [i["id"] for i in shop.store.view("catalog").all("content") if i["price"] and i["id"] != PAID]
    later = items[0]
    licensed(shop)
    licensed(shop, item=later)
    life.add_plan(shop, trial_days=0)
    assert cli(shop, "plans", "edit", life.PLAN, "--covers", "tag:software").exit_code == 0
    life.join(shop)
    life.deliver(shop, life.billing_events(shop))
    assert _keys(shop) == []  # the plan covers nothing licensed yet
    tagged = cli(shop, "content", "tag", PAID, "software")
    assert tagged.exit_code == 0, tagged.output
    assert cli(shop, "plans", "edit", life.PLAN, "--covers", "all").exit_code == 0
    assert _keys(shop) == []  # neither change wrote a key per member
    shop.login()
    second = shop.settings.open_store()
    try:
        other_app = shop.login(app=TestApp(create_app(shop.settings, store=second)))
        pages: list[str] = []
        _in_parallel([lambda: pages.append(shop.app.get("/library").text),
                      lambda: pages.append(other_app.get("/library").text)])
    finally:
        getattr(second, "close", lambda: None)()
    assert sorted(d["content_id"] for d in _keys(shop)) == sorted([PAID, later])  # once each
    keys = [_member_key(shop), _member_key(shop, item=later)]
    assert all(k in page for k in keys for page in pages)
    client = api_app(shop)
    assert all(verify(client, k, product=p).json["success"] for k, p in zip(keys, [PAID, later], strict=True))
    # keys turned on for one more covered item: the next library view gives that key too
    third = items[1]
    licensed(shop, item=third)
    page = shop.app.get("/library").text
    assert _member_key(shop, item=third) in page
    assert len(_keys(shop)) == 3
    before = shop.written(SALES)
    shop.app.get("/library")
    assert shop.written(SALES) == before  # nothing missing: the library only reads


def test_a_member_key_is_refused_on_a_dispute_back_when_won_and_refused_on_a_refund(shop: Shop) -> None:
    licensed(shop)
    sub_id = _joined(shop)
    other = life.join(shop, email=OTHER)
    life.deliver(shop, life.billing_events(shop))
    key, other_key = _member_key(shop), _member_key(shop, OTHER)
    client = api_app(shop)
    refunded = cli(shop, "subscriptions", "cancel", other, "--refund-last", "--yes")
    assert refunded.exit_code == 0, refunded.output
    assert verify(client, other_key).json == DISABLED
    shop.login(OTHER)
    assert "(disabled)" in shop.app.get("/library").text  # shown, marked, with the membership over
    assert verify(client, key).json["success"] is True
    (paid,) = [i for i in invoices.for_subscription(shop.store.view(SALES), sub_id) if i["amount_paid"]]
    intent = str(paid["payment_intent"])
    seen = len(shop.sl.events())
    dispute = shop.sl.dispute(intent)
    life.deliver(shop, life.billing_events(shop, seen) * 2)
    assert verify(client, key).json == DISABLED
    lemon = client.post("/v1/licenses/activate", {"license_key": key, "instance_name": "pc"}, status=400)
    assert lemon.json["license_key"]["status"] == "disabled"
    listed = cli(shop, "licenses", "list", "--json")
    assert '"state": "revoked"' in listed.stdout
    seen = len(shop.sl.events())
    shop.sl.close_dispute(dispute["id"], "won")
    life.deliver(shop, life.billing_events(shop, seen))
    assert verify(client, key).json["success"] is True  # the same key, back
    assert [len(_keys(shop, e)) for e in (BUYER, OTHER)] == [1, 1]


def test_a_member_key_is_refused_when_retries_run_out_or_the_period_ends_after_a_cancel(shop: Shop) -> None:
    licensed(shop)
    shop.sl.config.after_final_retry = "unpaid"
    sub_id = _joined(shop)
    key = _member_key(shop)
    client = api_app(shop)
    failing = {"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    customer = shop.client.v1.subscriptions.retrieve(sub_id).customer
    shop.client.v1.customers.update(str(customer), params=failing)  # type: ignore[arg-type]
    seen = len(shop.sl.events())
    life.advance(shop, life.period_end(shop, sub_id) - int(life.stripe_now(shop).timestamp()) + life.HOUR)
    life.deliver(shop, life.billing_events(shop, seen))
    assert verify(client, key).json["success"] is True  # past due: Stripe retries, the member reads
    seen = len(shop.sl.events())
    life.advance(shop, 16 * life.DAY)  # the three retries fail: unpaid
    life.deliver(shop, life.billing_events(shop, seen))
    assert shop.client.v1.subscriptions.retrieve(sub_id).status == "unpaid"
    assert verify(client, key).json == DISABLED

    # another member cancels at the period end: the key works until the subscription ends
    other = life.join(shop, email=OTHER)
    seen_other = len(shop.sl.events())
    life.deliver(shop, life.billing_events(shop, seen))
    other_key = _member_key(shop, OTHER)
    shop.client.v1.subscriptions.update(other, params={"cancel_at_period_end": True})
    life.deliver(shop, life.billing_events(shop, seen_other))
    assert verify(client, other_key).json["success"] is True
    seen = len(shop.sl.events())
    life.advance(shop, life.period_end(shop, other) - int(life.stripe_now(shop).timestamp()) + life.HOUR)
    life.deliver(shop, life.billing_events(shop, seen))
    assert verify(client, other_key).json == DISABLED
    assert [len(_keys(shop, e)) for e in (BUYER, OTHER)] == [1, 1]


def test_a_pass_gives_its_key_once_and_a_refund_refuses_it(shop: Shop) -> None:
    from paidpdf.memberships import joins, plans, subscriptions

    licensed(shop)
    plans.add(shop.store, "month-pass", title="30 days", price_text="25", currency="usd", pass_text="30d")
    started = joins.start_join(shop.store, shop.client, shop.settings, user=shop.user(), plan_id="month-pass")
    assert started.join is not None
    shop.sl.pay(str(started.join["stripe_session_id"]))
    events = life.billing_events(shop)
    life.deliver(shop, events + events)
    (sub,) = subscriptions.find_for_user(shop.store.view(SALES), shop.user()["id"])
    (doc,) = _keys(shop)
    assert doc["subscription_id"] == sub["id"] == "pass_" + started.join["id"].removeprefix("join_")
    client = api_app(shop)
    key = _member_key(shop)
    assert verify(client, key).json["success"] is True
    refunded = cli(shop, "subscriptions", "cancel", sub["id"], "--refund-last", "--yes")
    assert refunded.exit_code == 0, refunded.output
    assert verify(client, key).json == DISABLED
