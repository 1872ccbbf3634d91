"""Which currency a checkout is created in, and when it asks for Adaptive Pricing (no storage: the
decision is a pure function of the item and the settings)."""

from __future__ import annotations

from pathlib import Path

from paidpdf.config import Settings
from paidpdf.sales.checkout_currency import Sold, presentment, sold_in


def test_adaptive_pricing_only_where_stripe_takes_it(tmp_path: Path) -> None:
    item = {"id": "x", "price": 499, "currency": "usd", "prices": {"eur": 450}}
    shop_settings = Settings(data_dir=tmp_path, adaptive_pricing=True)
    assert sold_in(item, "eur", shop_settings) == Sold({**item, "price": 450, "currency": "eur",
                                                         "base_price": 499, "base_currency": "usd"})
    assert sold_in(item, "gbp", shop_settings) == Sold(item, adaptive=True)
    assert sold_in(item, None, shop_settings) == Sold(item, adaptive=True)
    assert sold_in(item, "gbp", shop_settings.replace(tax="managed")) == Sold(item, adaptive=False)
    assert sold_in(item, "gbp", shop_settings.replace(adaptive_pricing=False)) == Sold(item, adaptive=False)


def test_presentment_is_kept_only_when_stripe_converted() -> None:
    shown = {"presentment_amount": 459, "presentment_currency": "EUR"}
    converted = {"currency": "usd", "presentment_details": shown}
    assert presentment(converted) == {"presentment_amount": 459, "presentment_currency": "eur"}
    same = {"currency": "usd", "presentment_details": {**shown, "presentment_currency": "usd"}}
    assert presentment(same) == {}
    assert presentment({"currency": "usd", "presentment_details": None}) == {}
    assert presentment({"currency": "usd", "presentment_details": {"presentment_amount": True}}) == {}
