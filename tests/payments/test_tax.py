"""Tax end to end (docs/tax.md), through the real app, the real `stripe` library and the stand-in:
a German buyer of a VAT-inclusive item, tax added on top of an exclusive price, refunds in the tax
report, Managed Payments sessions (the stand-in refuses what Stripe manages) and `serve` refusing an
item Managed Payments cannot sell."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from typing import Any

from typer.testing import CliRunner
from webtest import TestApp

from paidpdf.content.catalog import CONTENT
from paidpdf.content.tax_codes import managed_refusal
from paidpdf.sales import sales_stats
from paidpdf.store import CATALOG
from paidpdf.web import create_app
from tests.cli_app import paidpdf_app
from tests.payments.shop import OTHER, PAID, Shop

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def _taxed(shop: Shop, mode: str, *, inclusive: bool) -> Shop:
    """The same shop and stand-in, served with `PAIDPDF_TAX=mode` (and the prices' tax behaviour)."""
    settings = shop.settings.replace(tax=mode, prices_include_tax=inclusive)
    app = TestApp(create_app(settings, store=shop.store), extra_environ={"REMOTE_ADDR": "127.0.0.1"})
    return dataclasses.replace(shop, settings=settings, app=app)


def _cli(shop: Shop, *args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(
        paidpdf_app(), ["--data", str(shop.data_dir), *args], env={**shop.cli_env(), **(env or {})}
    )


def _report(shop: Shop) -> list[dict[str, Any]]:
    today = datetime.now(UTC).date().isoformat()
    done = _cli(shop, "orders", "tax-report", "--from", today, "--to", today, "--json")
    assert done.exit_code == 0, done.output
    rows: list[dict[str, Any]] = json.loads(done.stdout)["rows"]
    return rows


def _receipt(shop: Shop) -> str:
    shop.drain_mail()
    mails = sorted((shop.data_dir / "outbox").glob("*.eml"))
    bodies = [BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in mails]
    found = [m.get_content() for m in bodies if "receipt" in str(m["Subject"]).lower()]
    assert len(found) == 1
    return str(found[0])


def test_a_german_buyer_pays_vat_inside_the_price_and_the_report_shows_it_and_its_refund(shop: Shop) -> None:
    taxed = _taxed(shop, "stripe_tax", inclusive=True)
    assert "incl. VAT" in taxed.app.get(f"/content/{PAID}").text
    assert "incl. VAT" in taxed.app.get("/").text
    taxed.login()
    order, session_id = taxed.buy()
    sent = taxed.client.v1.checkout.sessions.retrieve(session_id)
    assert sent.automatic_tax.enabled and sent.billing_address_collection == "required"
    assert sent.tax_id_collection is not None and sent.tax_id_collection.enabled
    assert sent.invoice_creation is not None and sent.invoice_creation.enabled
    (line,) = taxed.client.v1.checkout.sessions.line_items.list(session_id).data
    assert line.price is not None and line.price.tax_behavior == "inclusive"

    taxed.sl.pay(session_id, country="DE")
    done = taxed.app.get(f"/checkout/success?session_id={session_id}")
    assert "Thank you" in done.text and "$0.80" in done.text and "(DE)" in done.text
    stored = taxed.order(order["id"])
    assert stored["status"] == "paid" and stored["amount"] == 499
    assert (stored["subtotal"], stored["discount"], stored["tax"], stored["total"]) == (499, 0, 80, 499)
    assert stored["buyer_country"] == "DE" and stored["invoice"].startswith("in_")

    body = _receipt(taxed)
    assert "Tax (DE) $0.80" in body and "Net $4.19" in body and "Total $4.99" in body
    assert f"/orders/{order['id']}/invoice" in body
    hosted = taxed.app.get(f"/orders/{order['id']}/invoice", status=303).headers["Location"]
    assert hosted.startswith(taxed.sl.url + "/i/in_")
    assert f"/orders/{order['id']}/invoice" in taxed.app.get("/library").text
    stranger = taxed.login(OTHER, app=TestApp(taxed.app.app, extra_environ={"REMOTE_ADDR": "127.0.0.1"}))
    stranger.get(f"/orders/{order['id']}/invoice", status=404)  # only the buyer is sent to the invoice

    (row,) = _report(taxed)
    assert row == {
        **row,
        "currency": "usd", "place": "DE", "rate": "19", "sales": 1,
        "gross": 499, "net": 419, "tax": 80, "refunds": 0, "refunded_tax": 0, "tax_due": 80,
    }  # fmt: skip
    refunded = _cli(taxed, "orders", "refund", order["id"], "--yes")
    assert refunded.exit_code == 0, refunded.output
    assert taxed.order(order["id"])["status"] == "refunded"
    (row,) = _report(taxed)
    assert (row["sales"], row["refunds"], row["refunded"], row["refunded_tax"], row["tax_due"]) == (
        1,
        1,
        499,
        80,
        0,
    )
    assert row["net_after_refunds"] == 0
    table = _cli(taxed, "orders", "tax-report", "--from", "2026-01-01", "--to", "2099-12-31")
    assert table.exit_code == 0 and "DE" in table.output and "19%" in table.output


def test_an_exclusive_price_gets_tax_on_top_and_the_order_is_paid_not_flagged(shop: Shop) -> None:
    taxed = _taxed(shop, "stripe_tax", inclusive=False)
    assert "+ tax" in taxed.app.get(f"/content/{PAID}").text
    taxed.login()
    order, session_id = taxed.buy()
    taxed.sl.pay(session_id, country="US", state="WA", tax_id="us_ein:12-3456789")
    done = taxed.app.get(f"/checkout/success?session_id={session_id}")
    assert "$5.31" in done.text  # 4.99 + 6.5% Washington test rate (0.32)
    stored = taxed.order(order["id"])
    assert stored["status"] == "paid" and stored["amount"] == 499
    assert (stored["tax"], stored["total"], stored["buyer_country"]) == (32, 531, "US")
    assert stored["tax_ids"] == [{"type": "us_ein", "value": "12-3456789"}]
    (row,) = [r for r in _report(taxed) if r["place"] == "US"]
    assert (row["net"], row["tax"], row["rate"]) == (499, 32, "6.5")
    csv_out = _cli(taxed, "orders", "tax-report", "--from", "2026-01-01", "--to", "2099-12-31", "--csv")
    assert csv_out.exit_code == 0 and "usd,US,6.5,1,531,499,32" in csv_out.stdout
    # stats count what was charged, the figure refunds are counted against (a partial refund of it
    # must come off the same figure)
    assert sales_stats.compute(taxed.store.view("sales")).totals["usd"].revenue == 531
    refunded = _cli(taxed, "orders", "refund", order["id"], "--yes")
    assert refunded.exit_code == 0, refunded.output
    assert taxed.order(order["id"])["status"] == "refunded"  # the whole charge (with its tax) came back


def test_managed_payments_sends_nothing_stripe_manages_and_serve_refuses_an_item_without_a_code(
    shop: Shop,
) -> None:
    managed = _taxed(shop, "managed", inclusive=True)
    managed.login()
    order, session_id = managed.buy()  # the stand-in refuses automatic_tax, invoice_creation, ... here
    sent = managed.client.v1.checkout.sessions.retrieve(session_id)
    assert sent.managed_payments is not None and sent.managed_payments.enabled
    assert sent.invoice_creation is not None and not sent.invoice_creation.enabled  # Stripe's default
    assert sent.tax_id_collection is None
    managed.sl.pay(session_id, country="FR")
    managed.app.get(f"/checkout/success?session_id={session_id}")
    stored = managed.order(order["id"])
    assert stored["status"] == "paid" and (stored["tax"], stored["total"]) == (83, 499)  # 4.99 / 1.2

    items = shop.store.view(CATALOG).all(CONTENT)
    assert managed_refusal(items) is None  # every demo format has an eligible default
    bad = _cli(shop, "content", "edit", PAID, "--tax-code", "ebook")
    assert bad.exit_code != 0 and "txcd_" in bad.output and len(bad.output.strip().splitlines()) == 1
    set_code = _cli(shop, "content", "edit", PAID, "--tax-code", "txcd_99999999")
    assert set_code.exit_code == 0, set_code.output
    shown = _cli(shop, "content", "show", PAID, "--json")
    assert json.loads(shown.stdout)["tax_code"] == "txcd_99999999"
    refused = _cli(shop, "serve", "--port", "0", "--workers", "1", env={"PAIDPDF_TAX": "managed"})
    assert refused.exit_code != 0
    message = refused.output.strip()
    assert len(message.splitlines()) == 1 and PAID in message and "txcd_99999999" in message
    wrong = _cli(shop, "orders", "list", env={"PAIDPDF_TAX": "merchant"})
    assert wrong.exit_code != 0 and "PAIDPDF_TAX" in wrong.output


def test_memberships_carry_the_tax_mode_too(shop: Shop) -> None:
    """A pass with tax on top (its join still completes), and a monthly plan under Managed Payments
    (the stand-in accepts its session: a code, and nothing Stripe manages)."""
    from paidpdf.memberships import plans
    from paidpdf.store import SALES
    from tests.forms import form_for

    plans.add(shop.store, "month-pass", title="Month Pass", price_text="25", currency="usd", pass_text="30d")
    taxed = _taxed(shop, "stripe_tax", inclusive=False)
    taxed.login()
    answer = form_for(taxed.app.get("/membership"), "/membership/join/month-pass").submit(status=303)
    session_id = answer.headers["Location"].rsplit("/", 1)[1]
    sent = taxed.client.v1.checkout.sessions.retrieve(session_id)
    assert sent.automatic_tax.enabled and sent.invoice_creation is not None
    taxed.sl.pay(session_id, country="DE")
    done = taxed.app.get(f"/membership/success?session_id={session_id}")
    assert "Welcome to Month Pass" in done.text
    (join,) = shop.store.view(SALES).all("joins")
    assert join["status"] == "complete" and join["tax_behavior"] == "exclusive"  # 2500 + 19% on top

    plans.add(shop.store, "club", title="Club", price_text="5", currency="usd", interval="month")
    managed = _taxed(shop, "managed", inclusive=True)
    managed.login()
    answer = form_for(managed.app.get("/membership"), "/membership/join/club").submit(status=303)
    club = managed.client.v1.checkout.sessions.retrieve(answer.headers["Location"].rsplit("/", 1)[1])
    assert club.mode == "subscription" and club.managed_payments is not None and club.managed_payments.enabled
