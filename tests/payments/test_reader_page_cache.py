"""A logged-in reader's item page and catalog come from a cache (`web/reader_pages.py`), and every change
to what they show is on the very next page: a purchase (webhook, or the success page of a bundle), a free
item's first download, a refund, a dispute and its win, a membership starting, ending and running out by
itself, an admin's grant and revoke, a CSV import (both through the CLI, another writer), a price change,
the account disabled, another reader in the same browser. Each test first shows the page twice, so that
what it changes is a page the cache holds. The CSRF token of a kept page is each session's own.

Real app under WebTest, real stand-in, real CLI, on the data folder and on PostgreSQL. Across processes
(`serve --workers 2`, a CLI in its own process): test_reader_page_cache_workers.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from webtest import TestApp

from paidpdf import clock
from paidpdf.memberships import records
from paidpdf.store import SALES
from paidpdf.testing import platform_exports as exports
from tests.forms import form_for
from tests.payments.shop import BUYER, FREE, OTHER, PAID, Shop
from tests.payments.test_membership_web import _member, _plan
from tests.payments.test_refund_covers import _bundle, _events_for, _intent, _refund, cli

BOTH_BACKENDS = True  # tests/conftest.py: on the data folder, then on PostgreSQL

OWNED = '<span class="badge">Owned</span>'


def _item(app: TestApp, content_id: str = PAID) -> str:
    """What the reader's item page offers: "owned", "included" (a membership), "download" or "buy"."""
    text = app.get(f"/content/{content_id}").text
    assert "\x00" not in text  # the token's placeholder never leaves the server
    if OWNED in text:
        return "owned"
    if "Included in your membership" in text:
        return "included"
    if f'href="/content/{content_id}/download"' in text:
        return "download"
    assert "Buy for" in text or 'action="/checkout/' in text, text
    return "buy"


def _card_owned(app: TestApp, content_id: str = PAID) -> bool:
    """Whether the reader's catalog marks `content_id` as owned."""
    page = app.get("/")
    assert "\x00" not in page.text
    card = page.html.find("a", href=f"/content/{content_id}").find_parent("li")
    return OWNED in str(card)


def _seen(shop: Shop, app: TestApp, content_id: str = PAID) -> tuple[str, bool]:
    """The item page and catalog card (the first answers after a change: what is asserted), then
    again, and checked to be kept now (a page just after login carries a flash and is not kept): so the
    next change in a test changes pages the cache holds."""
    first = (_item(app, content_id), _card_owned(app, content_id))
    assert (_item(app, content_id), _card_owned(app, content_id)) == first
    kept = {str(key[0]).split(":", 2)[-1] for key in shop.app.app.web.reader_pages.kept_keys()}  # l:c:path
    assert f"/content/{content_id}" in kept and any(str(k).startswith("/?page=1&") for k in kept)
    return first


def _browser(shop: Shop) -> TestApp:
    """Another browser on the shop's app (its own cookies)."""
    return TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})


def _ok(shop: Shop, *args: str) -> None:
    done = cli(shop, *args)
    assert done.exit_code == 0, (done.stdout, done.stderr)


def _pay_then_webhook(shop: Shop, app: TestApp, page: str, action: str) -> str:
    """Buy, pay at the stand-in, and let the webhook (not the success page) fulfil; the order's id."""
    answer = form_for(app.get(page), action).submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(session_id)
    (completed,) = [e for e in shop.stand_in_events("checkout.session.completed")
                    if e["data"]["object"]["id"] == session_id]
    assert shop.post_event(completed).json["outcome"] == "fulfilled"
    return str(shop.order_for_session(session_id)["id"])


def test_a_purchase_by_webhook_then_its_refund_show_on_the_next_page(shop: Shop) -> None:
    app = shop.login()
    assert _seen(shop, app) == ("buy", False)
    order_id = _pay_then_webhook(shop, app, f"/content/{PAID}", f"/checkout/{PAID}")
    assert _seen(shop, app) == ("owned", True)
    _refund(shop, shop.order(order_id))  # `orders refund` (CLI), then its webhooks
    assert _seen(shop, app) == ("buy", False)


def test_a_bundle_through_the_success_page_shows_on_the_next_page(shop: Shop) -> None:
    second = _bundle(shop)
    app = shop.login()
    assert _seen(shop, app) == ("buy", False) and _seen(shop, app, second) == ("buy", False)
    answer = form_for(app.get("/bundles/starter-set"), "/checkout/bundle/starter-set").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    shop.sl.pay(session_id)
    app.get(f"/checkout/success?session_id={session_id}")  # fulfils (the webhook comes later)
    assert _seen(shop, app) == ("owned", True) and _seen(shop, app, second) == ("owned", True)


def test_a_dispute_and_a_won_dispute_show_on_the_next_page(shop: Shop) -> None:
    app = shop.login()
    order = shop.order(_pay_then_webhook(shop, app, f"/content/{PAID}", f"/checkout/{PAID}"))
    assert _seen(shop, app) == ("owned", True)
    dispute = shop.sl.dispute(_intent(order))
    (opened,) = _events_for(shop, "charge.dispute.created", order)
    shop.post_event(opened, status=200)
    assert _seen(shop, app) == ("buy", False)
    shop.sl.close_dispute(dispute["id"], "won")
    (closed,) = _events_for(shop, "charge.dispute.closed", order)
    shop.post_event(closed, status=200)
    assert _seen(shop, app) == ("owned", True)


def test_a_free_items_first_download_shows_on_the_next_page(shop: Shop) -> None:
    app = shop.login()
    assert _seen(shop, app, FREE) == ("download", False)
    assert app.get(f"/content/{FREE}/download").status_int == 200  # kept in the library from now on
    assert _seen(shop, app, FREE) == ("owned", True)


def test_a_membership_starting_ending_and_running_out_shows_on_the_next_page(shop: Shop) -> None:
    _plan(shop)
    app = shop.login()
    assert _seen(shop, app) == ("buy", False)
    _member(shop)  # what a subscription's webhook applies
    assert _seen(shop, app) == ("included", False)  # included, not owned: the card shows no mark
    _member(shop, status="canceled", days=-1)
    assert _seen(shop, app) == ("buy", False)
    # a membership whose period runs out with no event saying so: nothing is written, yet the next
    # page after its end offers Buy again
    _member(shop, days=2 / 86400, cancel_at_period_end=True)  # no renewal grace: ends in 2 s
    (grant,) = records.grants(shop.store.view(SALES), shop.user()["id"], live_only=False)
    assert _seen(shop, app) == ("included", False)
    assert grant.access_until <= clock.iso(clock.now() + timedelta(seconds=3))
    while clock.iso(clock.now()) < grant.access_until:  # no request, no write: time passes
        time.sleep(0.05)
    assert _seen(shop, app) == ("buy", False)


def test_an_admin_grant_and_revoke_by_the_cli_show_on_the_next_page(shop: Shop) -> None:
    app = shop.login()
    assert _seen(shop, app) == ("buy", False)
    _ok(shop, "users", "grant", BUYER, PAID)
    assert _seen(shop, app) == ("owned", True)
    _ok(shop, "users", "revoke", BUYER, PAID)
    assert _seen(shop, app) == ("buy", False)


def test_a_csv_import_shows_on_the_next_page(shop: Shop, tmp_path: Path) -> None:
    app = shop.login()
    assert _seen(shop, app) == ("buy", False)
    sale = exports.Sale("Ab1==", BUYER, "qmgy", "Sourdough", 499)
    path = exports.gumroad(tmp_path / "Sales.csv", [sale])
    _ok(shop, "import", "gumroad", str(path), "--map", f"qmgy={PAID}")
    assert _seen(shop, app) == ("owned", True)


def test_a_price_change_by_the_cli_shows_on_a_readers_next_page(shop: Shop) -> None:
    app = shop.login()
    assert "$77.00" not in app.get(f"/content/{PAID}").text
    _seen(shop, app)
    _ok(shop, "content", "price", PAID, "77.00")
    assert "$77.00" in app.get(f"/content/{PAID}").text and "$77.00" in app.get("/").text


def test_each_reader_sees_their_own_header_and_a_disabled_one_none(shop: Shop) -> None:
    buyer, other = shop.login(), shop.login(OTHER, _browser(shop))
    _ok(shop, "users", "grant", BUYER, PAID)
    pages: dict[str, Callable[[TestApp], str]] = {
        "item": lambda app: app.get(f"/content/{PAID}").text, "catalog": lambda app: app.get("/").text,
    }
    for name, page in pages.items():
        for _ in range(2):
            mine, theirs = page(buyer), page(other)
            assert BUYER in mine and OTHER not in mine, name
            assert OTHER in theirs and BUYER not in theirs and OWNED not in theirs, name
    _ok(shop, "users", "disable", BUYER)  # its sessions end: the next page is a visitor's
    for name, page in pages.items():
        text = page(buyer)
        assert BUYER not in text and 'href="/login' in text and OWNED not in text, name
    # the same browser, now logged in as the other reader: their header, their (empty) marks
    shop.login(OTHER, buyer)
    assert OTHER in pages["item"](buyer) and BUYER not in pages["catalog"](buyer)


def test_a_kept_page_carries_each_sessions_own_csrf_token(shop: Shop) -> None:
    """Two browsers of one reader share the kept page, never its token: each token posts only from its
    own browser (Log out, on every page), and the Buy form's token is the header's."""
    one = shop.login()
    two = shop.login(BUYER, _browser(shop))

    def tokens(app: TestApp, path: str) -> set[str]:
        page = app.get(path)
        return {str(i["value"]) for i in page.html.find_all("input", attrs={"name": "csrf_token"})}

    for path in (f"/content/{PAID}", "/"):
        mine, again, theirs = tokens(one, path), tokens(one, path), tokens(two, path)
        assert len(mine) == 1 and mine == again and theirs and not mine & theirs, path
    (mine,), (theirs,) = tokens(one, "/"), tokens(two, "/")
    assert one.post("/logout", {"csrf_token": theirs}, status=403).status_int == 403
    assert one.post("/logout", {"csrf_token": mine}, status=303).status_int == 303
    assert BUYER not in one.get("/").text and BUYER in two.get("/").text
