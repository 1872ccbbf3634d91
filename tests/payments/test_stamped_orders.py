"""A bought copy of a stamped item names its order; `orders trace` finds the order and the buyer,
on the data folder and on PostgreSQL; `orders show` lists the buyer's downloads."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paidpdf.content import stamping
from paidpdf.content.item_options import set_options
from tests.cli_app import paidpdf_app
from tests.payments.shop import BUYER, PAID, Shop

BOTH_BACKENDS = True


def test_a_bought_copy_traces_to_its_order(shop: Shop, tmp_path: Path) -> None:
    set_options(shop.store, PAID, stamp=True)
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    body = shop.app.get(f"/content/{PAID}/download").body
    assert f"order {order['id']}".encode("cp1252").hex().encode() in body
    assert stamping.identifier(shop.store, order["id"], 1).encode().hex().encode() in body
    leaked = tmp_path / "leak.pdf"
    leaked.write_bytes(body)
    run = CliRunner().invoke(
        paidpdf_app(),
        ["--data", str(shop.data_dir), "orders", "trace", str(leaked), "--json"],
        env=shop.cli_env(),
    )
    assert run.exit_code == 0, run.stderr
    assert json.loads(run.stdout) == {
        "identifier": stamping.identifier(shop.store, order["id"], 1),
        "version": 1,
        "order": order["id"],
        "item": PAID,
        "buyer": BUYER,
        "user_id": shop.user()["id"],
    }
    shop.app.app.web.download_recorder.drain()
    shown = CliRunner().invoke(
        paidpdf_app(),
        ["--data", str(shop.data_dir), "orders", "show", order["id"], "--json"],
        env=shop.cli_env(),
    )
    downloads = json.loads(shown.stdout)["downloads"]
    assert [(d["content_id"], d["bytes"], d["resumed"]) for d in downloads] == [(PAID, len(body), False)]
