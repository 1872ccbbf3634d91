"""Receipts with `paidpdf serve --workers 2`: each worker runs its own receipt runner and mail queue, and
both are kicked at once (webhooks and success pages land on either worker). A real SMTP server then
holds exactly one receipt per paid order: a receipt is claimed in a store unit before it is sent, so
two processes never both send it, and each mail is queued by one process only."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
import requests

from paidpdf.accounts import sessions, users
from paidpdf.sales import checkout
from paidpdf.testing.serve_process import start_serve, stop
from tests.payments.shop import API_KEY, PAID, SHOP_SECRET, WEBHOOK_SECRET, Shop, wait_until
from tests.smtp import smtp_catcher

BOTH_BACKENDS = True  # tests/conftest.py: on the data folder, then on PostgreSQL
BUYERS = 24

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def test_two_workers_send_one_receipt_per_paid_order(shop: Shop, tmp_path: Path) -> None:
    buyers = [users.sign_up(shop.store, f"w{i}@example.com", "correct horse 1") for i in range(BUYERS)]
    started = [checkout.start_checkout(shop.store, shop.client, shop.settings, user=u, content_id=PAID)
               for u in buyers]
    with smtp_catcher() as smtp:
        env = {
            **os.environ, "PYTHONUNBUFFERED": "1", "PAIDPDF_ARGON2_PROFILE": "test",
            "PAIDPDF_SECRET_KEY": SHOP_SECRET, "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": shop.sl.url,
            "PAIDPDF_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
        }
        env.pop("PAIDPDF_BASE_URL", None)
        env.update(shop.cli_env())
        log = (tmp_path / "server.log").open("w")
        process, url = start_serve(shop.data_dir, env, threads=4, workers=2, stderr=log)
        try:
            assert len(_children(process.pid)) == 2
            shop.sl.set_webhook(url + "/stripe/webhook", WEBHOOK_SECRET)

            def success_page(user_id: str, session_id: str) -> None:  # fulfils and kicks too
                cookie = {"paidpdf_session": sessions.open_session(shop.store, user_id)}
                requests.get(f"{url}/checkout/success?session_id={session_id}", cookies=cookie, timeout=30)

            pages = []
            for buyer, s in zip(buyers, started, strict=True):
                assert s.order is not None
                shop.sl.pay(s.order["stripe_session_id"])
                page = threading.Thread(target=success_page, args=(buyer["id"], s.order["stripe_session_id"]))
                page.start()
                pages.append(page)
            for page in pages:
                page.join(60)
            assert shop.sl.state.wait_idle(60)
            wait_until(lambda: len(smtp.messages) >= BUYERS, timeout=60, what="a receipt for every buyer")
            process.send_signal(signal.SIGTERM)  # graceful: every worker drains its receipts and mails
            assert process.wait(timeout=60) == 0
        finally:
            stop(process)
        receipts = [m for m in smtp.messages if m["Subject"].startswith("Your receipt from")]
    assert sorted(m["To"] for m in receipts) == sorted(u["email"] for u in buyers)  # once each
    for s in started:
        assert s.order is not None
        assert sum(s.order["id"] in m.get_content() for m in receipts) == 1
