"""Payments act on the item, so on all of its files: a paid checkout gives the buyer every file, and
a refund (the CLI's `orders refund`, then Stripe's webhooks, each twice) takes every one of them
back, the old main-file link included. Real site, real `stripe` library against the stand-in, real
webhook and CLI, on the data folder and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from paidpdf.content import demo_media, item_file_changes
from tests.cli_app import paidpdf_app
from tests.payments.shop import PAID, Shop

BOTH_BACKENDS = True


def _cli(shop: Shop, *args: str) -> Any:
    return CliRunner().invoke(paidpdf_app(), ["--data", str(shop.data_dir), *args], env=shop.cli_env())


def test_a_refund_revokes_every_file_of_the_item(shop: Shop, tmp_path: Path) -> None:
    epub = demo_media.make_epub(tmp_path / "sourdough.epub", "Sourdough", [("One", "Flour and water.")])
    audio = demo_media.make_audio(tmp_path / "sourdough.m4a", 3.0)
    added = [item_file_changes.add_file(shop.store, PAID, p, sample_seconds=0)[1] for p in (epub, audio)]
    keys = [row["key"] for row in added]
    urls = [f"/content/{PAID}/download", *(f"/content/{PAID}/files/{key}" for key in keys)]
    app = shop.login()
    for url in urls:
        app.get(url, status=403)  # not bought yet
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    app.get(f"/checkout/success?session_id={session_id}")
    order = shop.order(order["id"])
    assert order["status"] == "paid"
    assert [app.get(url).status_int for url in urls] == [200, 200, 200]
    assert app.get(urls[1]).body == epub.read_bytes() and app.get(urls[2]).body == audio.read_bytes()
    library_page = app.get("/library").text
    assert all(f'href="{url}"' in library_page for url in urls)

    done = _cli(shop, "orders", "refund", order["id"], "--yes")
    assert done.exit_code == 0, done.stderr
    kinds = ("charge.refunded", "refund.created")
    intent = str(order["stripe_payment_intent"])
    events = [e for k in kinds for e in shop.stand_in_events(k) if intent in json.dumps(e)]
    assert events
    for event in [*events, *reversed(events)]:
        shop.post_event(event, status=200)
    assert shop.order(order["id"])["status"] == "refunded"
    assert not shop.owns(PAID)
    for url in urls:
        app.get(url, status=403)
        app.get(url, headers={"Range": "bytes=10-"}, status=403)  # no resume either
    assert all(url not in app.get("/library").text for url in urls)


def test_a_guest_gets_every_file_of_the_item_in_the_browser_that_paid(shop: Shop, tmp_path: Path) -> None:
    from webtest import TestApp

    epub = demo_media.make_epub(tmp_path / "sourdough.epub", "Sourdough", [("One", "Flour and water.")])
    _item, row = item_file_changes.add_file(shop.store, PAID, epub, sample_seconds=0)
    guest = TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    order, session_id = shop.buy(app=guest)
    shop.sl.pay(session_id, email="guest.reader@example.com")
    page = guest.get(f"/checkout/success?session_id={session_id}")
    links = [str(a["href"]) for a in page.html.find_all("a", class_="button") if "/download/" in a["href"]]
    main = f"/checkout/{order['id']}/download/{PAID}"
    other = f"{main}/{row['key']}"
    assert links == [main, other]
    assert guest.get(main).body.startswith(b"%PDF") and guest.get(other).body == epub.read_bytes()
    stranger = TestApp(shop.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    stranger.get(other, status=404)  # the order's files are this browser's only
