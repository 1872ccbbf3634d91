"""The reader side of memberships (real app under WebTest, real stand-in, both backends): the
/membership page and its header link, Join (CSRF, guests, the checkout throttle), what a member reads
(library "Included in <plan>", item page, download) and loses when access ends, Manage membership,
and the membership mails, each sent once.

A membership's state is set through the domain's own `subscriptions.apply_state` (what every webhook,
success page and reconcile does with the subscription Stripe returns), so these tests do not depend on
the stand-in's Billing; the whole life through the stand-in is in test_membership_life.py.
"""

from __future__ import annotations

import urllib.request
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from urllib.parse import urlsplit

import feedparser
from webtest import TestApp

from paidpdf import clock
from paidpdf.clock import iso
from paidpdf.content import catalog
from paidpdf.memberships import notice_mails, notices, plans, subscriptions
from paidpdf.memberships.stripe_state import SubscriptionState
from paidpdf.store import SALES, Doc
from paidpdf.web import create_app
from tests.forms import form_for
from tests.payments.shop import BUYER, OTHER, PAID, Shop
from tests.payments.test_code_holds import _browser, _settings_with

BOTH_BACKENDS = True  # every test here also runs on PostgreSQL

PLAN = "all-access"


def _plan(shop: Shop, plan_id: str = PLAN, **options: object) -> Doc:
    values: dict[str, object] = {"title": "All Access", "price_text": "9.99", "currency": "usd",
                                 "interval": "month", "trial_days": 7}
    values.update(options)
    return plans.add(shop.store, plan_id, **values)  # type: ignore[arg-type]


def _member(
    shop: Shop, email: str = BUYER, *, status: str = "active", days: float = 30, plan_id: str = PLAN,
    sub_id: str = "sub_test_member", cancel_at_period_end: bool = False, customer: str = "cus_test_member",
) -> Doc:
    """Make Stripe's current state of `sub_id` the shop's, as every Billing event does."""
    user = shop.user(email)
    end = clock.now() + timedelta(days=days)
    state = SubscriptionState(
        id=sub_id, customer=customer, status=status, period_start=iso(clock.now() - timedelta(days=1)),
        period_end=iso(end), cancel_at_period_end=cancel_at_period_end,
        canceled_at=iso(clock.now()) if status == "canceled" else None,
        ended_at=iso(clock.now()) if status == "canceled" else None, trial_end=None,
        latest_invoice="in_test_1", amount=999, currency="usd", interval="month", livemode=False, metadata={},
    )
    with shop.store.unit(SALES) as unit:
        change = subscriptions.apply_state(
            unit, state, user_id=user["id"], email=user["email"], plan=plans.get(shop.store, plan_id),
            source="test",
        )
    assert change.subscription is not None
    return change.subscription


def test_membership_page_lists_live_plans_and_the_header_links_it(shop: Shop) -> None:
    assert 'href="/membership"' not in shop.app.get("/").text  # no plan: no link
    _plan(shop, description="Every *recipe* we publish.")
    plans.add(shop.store, "baking-year", title="Baking Year", price_text="80", currency="usd",
              interval="year", covers="tag:baking")
    plans.add(shop.store, "old-plan", title="Old Plan", price_text="5", currency="usd", interval="month")
    plans.set_status(shop.store, "old-plan", plans.RETIRED)
    home = shop.app.get("/")
    assert 'href="/membership"' in home.text
    page = shop.app.get("/membership")
    text = page.text
    assert 'aria-current="page">Membership' in text.replace('href="/membership" ', "")
    assert "All Access" in text and "$9.99" in text and "per month" in text
    assert "7-day free trial" in text and "Start free trial" in text and "<em>recipe</em>" in text
    assert "Baking Year" in text and "$80.00" in text and "per year" in text and "items tagged baking" in text
    assert "Old Plan" not in text  # retired: not sold
    assert form_for(page, f"/membership/join/{PLAN}") is not None
    assert form_for(page, "/membership/join/baking-year") is not None


def test_join_needs_csrf_and_a_live_plan(shop: Shop) -> None:
    _plan(shop)
    assert shop.app.post(f"/membership/join/{PLAN}", {"csrf_token": "forged"}, status="*").status_int == 403
    shop.login()
    assert shop.app.post(f"/membership/join/{PLAN}", {"csrf_token": "forged"}, status="*").status_int == 403
    page = shop.app.get("/membership")
    token = form_for(page, f"/membership/join/{PLAN}")["csrf_token"].value
    assert shop.app.post("/membership/join/no-such-plan", {"csrf_token": token}, status="*").status_int == 404
    plans.set_status(shop.store, PLAN, plans.RETIRED)
    assert shop.app.post(f"/membership/join/{PLAN}", {"csrf_token": token}, status="*").status_int == 404
    assert not shop.store.view(SALES).all("joins")


def test_a_guest_joins_a_pass_like_a_guest_purchase(shop: Shop) -> None:
    """A pass (payment mode) through the real stand-in: the guest's join is tied to this browser's
    checkout cookie, Checkout asks for the email, and the success page sends them to their mail."""
    plans.add(shop.store, "month-pass", title="Month Pass", price_text="25", currency="usd", pass_text="30d")
    guest = shop.app
    answer = form_for(guest.get("/membership"), "/membership/join/month-pass").submit(status=303)
    assert answer.headers["Location"].startswith(shop.sl.url + "/pay/cs_test_")
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    (join,) = shop.store.view(SALES).all("joins")
    assert join["user_id"] is None and join["guest_token"] and join["plan_id"] == "month-pass"
    assert "paidpdf_checkout" in guest.cookies
    session = shop.client.v1.checkout.sessions.retrieve(session_id)
    assert session.amount_total == 2500 and session.customer_email is None
    again = form_for(guest.get("/membership"), "/membership/join/month-pass").submit(status=303)
    assert again.headers["Location"] == answer.headers["Location"]  # a double click reuses the join
    shop.sl.pay(session_id, email=OTHER)
    done = guest.get(f"/membership/success?session_id={session_id}")
    assert "Welcome to Month Pass" in done.text and "Check your email" in done.text
    assert done.headers["Cache-Control"] == "no-store"
    assert guest.get("/library", status="*").status_int != 200  # the guest is not signed in


def test_joins_are_throttled_like_checkouts(shop: Shop) -> None:
    plans.add(shop.store, "month-pass", title="Month Pass", price_text="25", currency="usd", pass_text="30d")
    app = create_app(_settings_with(shop, PAIDPDF_CHECKOUTS_PER_ADDRESS="3"), store=shop.store)
    statuses = []
    for _ in range(5):
        browser = _browser(shop, "203.0.113.77", app)
        join = form_for(browser.get("/membership"), "/membership/join/month-pass")
        statuses.append(join.submit(status="*"))
    assert [a.status_int for a in statuses] == [303, 303, 303, 429, 429]
    assert "Too many" in statuses[-1].text and int(statuses[-1].headers["Retry-After"]) > 0
    assert len(shop.store.view(SALES).all("joins")) == 3


def test_a_member_reads_covered_items_until_access_ends(shop: Shop) -> None:
    _plan(shop)
    shop.login()
    buy_page = shop.app.get(f"/content/{PAID}")
    assert "Buy for" in buy_page.text and "Included in your membership" not in buy_page.text
    assert shop.app.get(f"/content/{PAID}/download", status="*").status_int == 403
    _member(shop)
    page = shop.app.get(f"/content/{PAID}")
    assert "Included in your membership" in page.text and "Buy for" not in page.text
    assert f'href="/content/{PAID}/download"' in page.text
    download = shop.app.get(f"/content/{PAID}/download")
    assert download.status_int == 200 and download.body.startswith(b"%PDF")
    assert not shop.owns(PAID)  # read under the membership, never added to the library
    library = shop.app.get("/library").text
    assert "Included in All Access" in library and f'href="/content/{PAID}/download"' in library
    # an item added mid-membership is covered at once
    added = next(i for i in shop.store.view("catalog").all("content") if i["price"] and i["id"] != PAID)
    assert added["id"] in library
    # the membership ends (canceled at Stripe): covered items return to Buy
    _member(shop, status="canceled", days=-1)
    assert "Buy for" in shop.app.get(f"/content/{PAID}").text
    assert shop.app.get(f"/content/{PAID}/download", status="*").status_int == 403
    assert "Included in" not in shop.app.get("/library").text


def test_a_members_feed_lists_covered_items_until_access_ends(shop: Shop) -> None:
    _plan(shop)
    shop.login()
    form_for(shop.app.get("/library"), "/library/feed-link").submit(status=303)
    link = shop.app.get("/library").html.find("input", id="feed-opds")["value"]
    feed_path = "/feeds/" + str(link).split("/feeds/")[1]
    apps = TestApp(shop.app.app)  # a reading app: no cookies
    assert f"/content/{PAID}" not in apps.get(feed_path).text and f"/{PAID}/" not in apps.get(feed_path).text
    _member(shop)
    entries = feedparser.parse(apps.get(feed_path).body).entries
    hrefs = [urlsplit(x.href) for e in entries for x in e.links if "acquisition" in x.rel]
    mine = [h for h in hrefs if f"/{PAID}/" in h.path]
    assert mine, "a covered item is in the member's feed"
    got = apps.get(mine[0].path + (f"?{mine[0].query}" if mine[0].query else ""))
    assert got.status_int == 200 and got.body.startswith(b"%PDF")
    _member(shop, status="canceled", days=-1)
    assert f"/{PAID}/" not in apps.get(feed_path).text
    again = apps.get(mine[0].path + (f"?{mine[0].query}" if mine[0].query else ""), status="*")
    assert again.status_int in (403, 404)


def test_a_past_due_member_keeps_access_and_an_ended_period_gives_none(shop: Shop) -> None:
    _plan(shop)
    shop.login()
    _member(shop, status="past_due")
    assert shop.app.get(f"/content/{PAID}/download").status_int == 200
    assert "payment failed" in shop.app.get("/membership").text
    # set to cancel, its period ended a second ago, and no event said so: access ends at the period end
    _member(shop, status="active", days=-1 / 86400, cancel_at_period_end=True)
    assert shop.app.get(f"/content/{PAID}/download", status="*").status_int == 403
    assert "Buy for" in shop.app.get(f"/content/{PAID}").text


def test_a_tag_plan_covers_only_tagged_items(shop: Shop) -> None:
    items = [i for i in shop.store.view("catalog").all("content") if i["price"] and i["status"] == "active"]
    tagged, untagged = items[0], items[1]
    catalog.tag(shop.store, tagged["id"], ["members"])
    plans.add(shop.store, "tagged", title="Members Shelf", price_text="3", currency="usd", interval="month",
              covers="tag:members")
    shop.login()
    _member(shop, plan_id="tagged")
    assert "Included in your membership" in shop.app.get(f"/content/{tagged['id']}").text
    assert shop.app.get(f"/content/{untagged['id']}/download", status="*").status_int == 403
    library = shop.app.get("/library").text
    assert "Included in Members Shelf" in library
    assert tagged["id"] in library and untagged["id"] not in library


def test_manage_membership_opens_a_portal_session(shop: Shop) -> None:
    _plan(shop)
    shop.login()
    page = shop.app.get("/membership")
    assert "Manage membership" not in page.text
    token = form_for(page, f"/membership/join/{PLAN}")["csrf_token"].value
    assert shop.app.post("/membership/manage", {"csrf_token": token}, status="*").status_int == 404
    customer = shop.client.v1.customers.create(params={"email": BUYER}).id
    _member(shop, customer=customer)
    page = shop.app.get("/membership")
    assert "Manage membership" in page.text and "renews" in page.text
    assert shop.app.post("/membership/manage", {"csrf_token": "forged"}, status="*").status_int == 403
    answer = form_for(page, "/membership/manage").submit(status=303)
    assert answer.headers["Location"].startswith(shop.sl.url)
    with urllib.request.urlopen(answer.headers["Location"], timeout=10) as portal:  # the stand-in's portal
        assert portal.status == 200 and b"/library\">Return to the shop" in portal.read()


def _outbox(shop: Shop) -> list[EmailMessage]:
    folder = shop.data_dir / "outbox"
    found = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in found]  # type: ignore[misc]


def test_membership_mails_go_out_once_each(shop: Shop) -> None:
    """Welcome (with a sign-in link for a guest's account without a password), payment failed (the
    portal's way), cancellation confirmed and access ended: each queued once by the state change and
    sent once, however many times the sender runs."""
    _plan(shop)
    web = shop.app.app.web
    _member(shop, email=OTHER)
    _member(shop, email=OTHER)  # the same state again queues nothing
    for _ in range(3):
        web.receipts.kick()
        shop.drain_mail()
    mails = _outbox(shop)
    assert [m["Subject"] for m in mails] == ["Welcome to All Access · " + mails[0]["Subject"].split(" · ")[1]]
    assert mails[0]["To"] == OTHER and "/library" in mails[0].get_content()
    _member(shop, email=OTHER, status="past_due")
    _member(shop, email=OTHER, status="active", cancel_at_period_end=True)
    _member(shop, email=OTHER, status="canceled", days=-1, cancel_at_period_end=True)
    sent = sum(notice_mails.send_due(shop.store, web.mailer, base_url="http://shop.test", shop_name="Shop")
               for _ in range(2))
    shop.drain_mail()
    subjects = [m["Subject"].split(" · ")[0] for m in _outbox(shop)]
    assert sent == 3 and subjects.count("Welcome to All Access") == 1
    assert "Your payment for All Access failed" in subjects
    assert "Your All Access membership is canceled" in subjects
    assert "Your All Access membership has ended" in subjects and len(subjects) == 4
    failed = next(m for m in _outbox(shop) if "failed" in m["Subject"]).get_content()
    assert "Manage membership" in failed and "http://shop.test/membership" in failed
    assert all(n["status"] == notices.SENT for n in shop.store.view(SALES).all(notices.NOTICES))


def test_a_guest_members_welcome_mail_signs_them_in(shop: Shop) -> None:
    from paidpdf.accounts import guest_accounts

    _plan(shop)
    guest_accounts.account_for_checkout(shop.store, "newreader@example.com", "join_test")  # no password
    _member(shop, email="newreader@example.com")
    assert notice_mails.send_due(shop.store, shop.app.app.web.mailer, base_url="http://shop.test",
                                 shop_name="Shop") == 1
    shop.drain_mail()
    (mail,) = _outbox(shop)
    assert "http://shop.test/signin/" in mail.get_content()


def test_orders_reconcile_sends_due_membership_mails_once(shop: Shop) -> None:
    """A shop whose webhooks never arrive: the notices queued by reconcile (or the CLI) are mailed by
    `orders reconcile` itself, once however often it runs."""
    from typer.testing import CliRunner

    from tests.cli_app import paidpdf_app

    _plan(shop)
    _member(shop)  # queued in the unit that made the change, as reconcile's own changes are
    for _ in range(2):
        done = CliRunner().invoke(
            paidpdf_app(), ["--data", str(shop.data_dir), "orders", "reconcile", "--since", "2000-01-01"],
            env={**shop.cli_env(), "COLUMNS": "200"},
        )
        assert done.exit_code == 0, done.output
    assert [m["Subject"].split(" · ")[0] for m in _outbox(shop)] == ["Welcome to All Access"]
    assert "membership mails sent" in done.output


def test_the_success_page_answers_only_the_reader_who_joined(shop: Shop) -> None:
    """The success URL proves nothing: a reader's join is confirmed for that reader only; another
    logged-in reader who opens it gets the 404 page and nothing about the membership."""
    plans.add(shop.store, "month-pass", title="Month Pass", price_text="25", currency="usd", pass_text="30d")
    shop.login()
    answer = form_for(shop.app.get("/membership"), "/membership/join/month-pass").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(session_id)
    other = shop.login(OTHER, app=_browser(shop, "203.0.113.8"))
    refused = other.get(f"/membership/success?session_id={session_id}", status="*")
    assert refused.status_int == 404 and "Month Pass" not in refused.text
    done = shop.app.get(f"/membership/success?session_id={session_id}")
    assert "Welcome to Month Pass" in done.text and 'href="/library"' in done.text
    assert other.get(f"/content/{PAID}/download", status="*").status_int == 403
    assert shop.app.get(f"/content/{PAID}/download").status_int == 200


def test_a_free_item_stays_free_for_a_member(shop: Shop) -> None:
    from tests.payments.shop import FREE

    _plan(shop)
    shop.login()
    _member(shop)
    page = shop.app.get(f"/content/{FREE}")
    assert "Included in your membership" not in page.text and "Free" in page.text
    assert "Included in your membership" in shop.app.get(f"/content/{PAID}").text


def test_a_cancel_at_once_mail_does_not_promise_access(shop: Shop) -> None:
    """`subscriptions cancel --now` (or a refund): the cancellation mail says access has ended, never
    "you keep access until" the period end it will not get."""
    _plan(shop)
    web = shop.app.app.web
    _member(shop)
    _member(shop, status="canceled", days=20)  # canceled now, its paid period not over
    notice_mails.send_due(shop.store, web.mailer, base_url="http://shop.test", shop_name="Shop")
    shop.drain_mail()
    mails = {m["Subject"].split(" · ")[0]: m.get_content() for m in _outbox(shop)}
    canceled = mails["Your All Access membership is canceled"]
    assert "access has ended" in canceled and "keep access" not in canceled and "Resume" not in canceled
    assert "Your All Access membership has ended" in mails
    shop.login()
    assert shop.app.get(f"/content/{PAID}/download", status="*").status_int == 403
