"""A member's whole life through the real site and the real stand-in, its time moved by the stand-in's
`advance` (every clock, as `paidpdf stripe-local advance 31d`): join with a 7-day trial, first charge,
three renewals, a failed renewal (access kept while past due), recovery through the customer portal
reached from "Manage membership", an item added mid-membership is covered, cancel at period end in
the portal, and access ends exactly at the period end. Every event reaches the shop as a signed
webhook over HTTP (waitress); each membership mail goes out once.
"""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

from paidpdf.clock import parse_iso
from paidpdf.content import catalog
from paidpdf.content.demo import make_sample_pdfs
from paidpdf.memberships import invoices, plans, records, subscriptions
from paidpdf.store import SALES, Doc
from tests.forms import form_for
from tests.payments.shop import PAID, Shop, wait_until
from tests.stripe_local.billing import portal_post

BOTH_BACKENDS = True  # the life runs on PostgreSQL too

HOUR = 3600


def _sub(shop: Shop) -> Doc:
    (sub,) = shop.store.view(SALES).find(subscriptions.SUBSCRIPTIONS, "user_id", shop.user()["id"])
    return sub


def _advance_past_period_end(shop: Shop, sub_id: str) -> None:
    """Move the stand-in's time an hour past the subscription's current period end."""
    stripe_sub = shop.client.v1.subscriptions.retrieve(sub_id)
    end = int(stripe_sub["items"]["data"][0]["current_period_end"])
    shop.sl.state.advance_all(end - shop.sl.state.now() + HOUR)


def _wait_for(shop: Shop, what: str, check: Any) -> Doc:
    def said() -> str:
        return f"{what}: {_sub(shop).get('history')[-1:]}"

    wait_until(lambda: check(_sub(shop)), timeout=20, what=said)
    return _sub(shop)


def _paid_invoices(shop: Shop, sub_id: str) -> list[Doc]:
    return [i for i in invoices.for_subscription(shop.store.view(SALES), sub_id) if i.get("amount_paid")]


def _wait_for_paid_invoices(shop: Shop, sub_id: str, count: int) -> list[Doc]:
    """Each invoice is recorded by the sync its own `invoice.*` event prompts; the new period can be
    applied first by `customer.subscription.updated`, delivered beside it (Stripe guarantees no order),
    so the invoice is waited for, not assumed."""
    def said() -> str:
        found = invoices.for_subscription(shop.store.view(SALES), sub_id)
        return f"{count} paid invoices, found {[(i['id'], i['status'], i['amount_paid']) for i in found]}"

    wait_until(lambda: len(_paid_invoices(shop, sub_id)) >= count, timeout=20, what=said)
    return _paid_invoices(shop, sub_id)


def _mails(shop: Shop) -> list[str]:
    folder = shop.data_dir / "outbox"
    found = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [str(message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"]).split(" · ")[0]
            for p in found]


def _can_read(shop: Shop, content_id: str = PAID) -> bool:
    return shop.app.get(f"/content/{content_id}/download", status="*").status_int == 200


def test_a_members_whole_life(shop: Shop, tmp_path: Any) -> None:
    plans.add(shop.store, "all-access", title="All Access", price_text="9.99", currency="usd",
              interval="month", trial_days=7)
    shop.serve()  # the stand-in's webhooks go to the real server, on the same store
    shop.login()
    assert not _can_read(shop)

    # join: a 7-day trial, the card taken for later
    answer = form_for(shop.app.get("/membership"), "/membership/join/all-access").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(session_id)
    welcome = shop.app.get(f"/membership/success?session_id={session_id}")
    assert "Welcome to All Access" in welcome.text and "your library" in welcome.text
    sub = _wait_for(shop, "trialing", lambda s: s["status"] == "trialing")
    assert _can_read(shop) and not shop.owns(PAID)
    assert "Included in All Access" in shop.app.get("/library").text

    # the trial ends (first charge), then three renewals: each invoice recorded once, access throughout
    for charge in range(4):
        previous_end = sub["period_end"]
        _advance_past_period_end(shop, sub["id"])
        sub = _wait_for(shop, f"charge {charge}", lambda s, p=previous_end: s["period_end"] != p
                        and s["status"] == "active")
        assert _can_read(shop)
        assert len(_wait_for_paid_invoices(shop, sub["id"], charge + 1)) == charge + 1
    paid = _paid_invoices(shop, sub["id"])
    assert len(paid) == 4 and {i["amount_paid"] for i in paid} == {999}

    # a renewal fails: past due, still reading, the payment-failed mail
    failing = {"invoice_settings": {"default_payment_method": "pm_card_chargeCustomerFail"}}
    shop.client.v1.customers.update(str(sub["customer"]), params=failing)  # type: ignore[arg-type]
    _advance_past_period_end(shop, sub["id"])
    sub = _wait_for(shop, "past due", lambda s: s["status"] == "past_due")
    assert _can_read(shop)
    assert "payment failed" in shop.app.get("/membership").text

    # recovery through the portal, reached from "Manage membership"
    portal = form_for(shop.app.get("/membership"), "/membership/manage").submit(status=303)
    portal_url = portal.headers["Location"]
    assert portal_url.startswith(shop.sl.url)
    status, page = portal_post(portal_url, "pay", str(sub["latest_invoice"]), "4242")
    assert status == 200 and "is paid" in page
    sub = _wait_for(shop, "recovered", lambda s: s["status"] == "active")

    # an item added mid-membership is covered at once
    pdf = make_sample_pdfs(tmp_path / "more")[0]
    added = catalog.add_item(shop.store, pdf, title="Added Later", price_text="3", currency="usd",
                             item_id="added-later")
    assert _can_read(shop, added["id"]) and "Added Later" in shop.app.get("/library").text

    # cancel at period end in the portal: access until then, the confirmation mail
    status, page = portal_post(portal_url, "cancel", str(sub["id"]))
    assert status == 200
    sub = _wait_for(shop, "set to cancel", lambda s: s["cancel_at_period_end"])
    assert _can_read(shop)
    end = parse_iso(str(sub["period_end"]))
    item = catalog.get_item(shop.store, PAID)
    view = shop.store.view(SALES)
    assert sub["access_until"] == sub["period_end"]  # no grace once it will not renew
    assert records.covering(view, sub["user_id"], item, at=end - timedelta(seconds=1)) is not None
    assert records.covering(view, sub["user_id"], item, at=end) is None  # exactly at the period end

    # the period ends: Stripe deletes the subscription, access ends, covered items return to Buy
    _advance_past_period_end(shop, sub["id"])
    sub = _wait_for(shop, "canceled", lambda s: s["status"] == "canceled")
    assert not _can_read(shop) and not _can_read(shop, added["id"])
    assert "Buy for" in shop.app.get(f"/content/{PAID}").text
    assert "Included in" not in shop.app.get("/library").text

    # each mail once, whatever number of events and retries reported the changes
    # (sent by the server that received each webhook: nothing else prompts the sender here); every
    # event and retry is answered first, so every notice the changes called for is queued by then
    assert shop.sl.wait_for_deliveries(20), "the stand-in was still delivering webhooks after 20 s"
    wait_until(lambda: len(_mails(shop)) >= 4, timeout=20, what=lambda: f"mails {_mails(shop)}")
    assert sorted(_mails(shop)) == sorted([
        "Welcome to All Access", "Your payment for All Access failed",
        "Your All Access membership is canceled", "Your All Access membership has ended",
    ])
