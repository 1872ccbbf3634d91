"""Receipt mails: exactly one per paid order, whichever paths fulfil it, never on a replay."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path

from typer.testing import CliRunner

from paidpdf.content import catalog
from paidpdf.sales import receipts
from tests.cli_app import paidpdf_app
from tests.payments.shop import PAID, Shop

BOTH_BACKENDS = True  # every shop test here also runs on PostgreSQL


def _receipts(shop: Shop) -> list[Path]:
    shop.drain_mail()
    outbox = shop.data_dir / "outbox"
    found = sorted(outbox.glob("*.eml")) if outbox.exists() else []
    return [p for p in found if "receipt" in p.read_text(errors="replace").lower()]


def test_success_page_webhook_replays_and_reconcile_send_one_receipt(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    assert "Thank you" in shop.app.get(f"/checkout/success?session_id={session_id}").text
    (completed,) = shop.stand_in_events("checkout.session.completed")
    for _ in range(3):  # the webhook arrives late, and again
        shop.post_event(completed)
    done = CliRunner().invoke(
        paidpdf_app(), ["--data", str(shop.data_dir), "orders", "reconcile", "--since", "2000-01-01"],
        env=shop.cli_env(),
    )
    assert done.exit_code == 0, done.output
    (mail,) = _receipts(shop)
    message = BytesParser(policy=policy.default).parsebytes(mail.read_bytes())
    title = catalog.get_item(shop.store, PAID)["title"]
    assert message["To"] == "buyer@example.com" and title in message["Subject"]
    body = message.get_content()
    assert order["id"] in body and "$4.99" in body and "/library" in body
    stored = shop.order(order["id"])
    assert stored["receipt"] == receipts.SENT
    assert [h["event"] for h in stored["history"]].count("receipt") == 1


def test_a_webhook_alone_sends_the_receipt(shop: Shop) -> None:
    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    (completed,) = shop.stand_in_events("checkout.session.completed")
    assert shop.post_event(completed).json["outcome"] == "fulfilled"
    assert len(_receipts(shop)) == 1 and shop.order(order["id"])["receipt"] == receipts.SENT


def test_two_senders_at_once_send_one_receipt(shop: Shop) -> None:
    import threading

    from paidpdf.mail import OutboxMailer

    shop.login()
    order, session_id = shop.buy()
    shop.sl.pay(session_id)
    shop.app.get(f"/checkout/success?session_id={session_id}")
    shop.drain_mail()
    with shop.store.unit("sales") as unit:  # make it due again, as if the first send never happened
        current = unit.get("orders", order["id"])
        assert current is not None
        unit.put("orders", {**current, "receipt": receipts.DUE})
    outbox = OutboxMailer(shop.data_dir / "outbox-race", sender="shop@example.com")
    counts: list[int] = []
    threads = [
        threading.Thread(target=lambda: counts.append(receipts.send_due(
            shop.store, outbox, base_url="http://shop.example", shop_name="Shop")))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(counts) == 1 and len(list((shop.data_dir / "outbox-race").glob("*.eml"))) == 1
