"""A refund takes the item out of the buyer's private feeds at once: the OPDS entry and the podcast
episode go, and the links the apps already hold (file links with the feed token, Range too) are
refused. The real flow: Checkout on the stand-in, the CLI's `orders refund`, Stripe's webhooks (each
twice), on the data folder and on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import feedparser
from typer.testing import CliRunner
from webtest import TestApp

from paidpdf.accounts import feed_tokens
from paidpdf.content import demo_media, item_file_changes
from paidpdf.web.feed_documents import OPDS_ACQUISITION
from tests.cli_app import paidpdf_app
from tests.payments.shop import PAID, Shop

BOTH_BACKENDS = True


def _path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_refunded_item_leaves_the_feeds_and_its_feed_links_stop(shop: Shop, tmp_path: Path) -> None:
    epub = demo_media.make_epub(tmp_path / "sourdough.epub", "Sourdough", [("One", "Flour and water.")])
    audio = demo_media.make_audio(tmp_path / "sourdough.m4a", 3.0)
    for path in (epub, audio):
        item_file_changes.add_file(shop.store, PAID, path, sample_seconds=0)
    browser = shop.login()
    web = shop.app.app.web
    token = feed_tokens.reset(shop.store, web.secret_key, shop.user()["id"])
    app = TestApp(shop.app.app)  # an app: no cookies, only the token

    def feeds() -> tuple[Any, Any]:
        return (feedparser.parse(app.get(f"/feeds/{token}/opds").body),
                feedparser.parse(app.get(f"/feeds/{token}/podcast.xml").body))

    opds, podcast = feeds()
    assert f"urn:paidpdf:item:{PAID}" not in {e.id for e in opds.entries} and podcast.entries == []
    order, session_id = shop.buy(app=browser)
    shop.sl.pay(session_id)
    browser.get(f"/checkout/success?session_id={session_id}")
    opds, podcast = feeds()
    entry = next(e for e in opds.entries if e.id == f"urn:paidpdf:item:{PAID}")
    links = [_path(link.href) for link in entry.links if link.rel == OPDS_ACQUISITION]
    links += [_path(e.enclosures[0].href) for e in podcast.entries]
    assert len(links) == 3 and all(app.get(url).status_int == 200 for url in links)

    order = shop.order(order["id"])
    done = CliRunner().invoke(
        paidpdf_app(), ["--data", str(shop.data_dir), "orders", "refund", order["id"], "--yes"],
        env=shop.cli_env(),
    )
    assert done.exit_code == 0, done.stderr
    intent = str(order["stripe_payment_intent"])
    events = [e for k in ("charge.refunded", "refund.created") for e in shop.stand_in_events(k)
              if intent in json.dumps(e)]
    assert events
    for event in [*events, *reversed(events)]:
        shop.post_event(event, status=200)
    assert not shop.owns(PAID)
    opds, podcast = feeds()
    assert f"urn:paidpdf:item:{PAID}" not in {e.id for e in opds.entries} and podcast.entries == []
    for url in links:
        assert app.get(url, status="*").status_int == 403
        assert app.get(url, headers={"Range": "bytes=10-"}, status="*").status_int == 403
