"""Three `paidpdf serve` processes on one PostgreSQL behind a round-robin proxy (nginx), the stand-in
delivering Billing webhooks through the proxy while each join's completed checkout is also posted to a
random server directly (as a success page would land): a burst of 30 joins, one server `kill -9`ed
mid-burst. Afterwards every paid subscription is active exactly once: one subscription document and
one grant per member, each first invoice recorded once, each welcome mail queued once."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe

from paidpdf.accounts import users
from paidpdf.config import Settings
from paidpdf.maintenance import migrate
from paidpdf.memberships import invoices, joins, notices, plans, records, subscriptions
from paidpdf.store import SALES, Store
from paidpdf.stripe_local import start_in_thread
from paidpdf.testing.serve_process import stop
from tests.demo_seed import seed_demo_folder
from tests.payments.shop import API_KEY, WEBHOOK_SECRET, wait_until
from tests.payments.test_three_servers import SECRET, round_robin_proxy, serve_on

JOINS = 30


def _post_signed(url: str, event: dict[str, Any]) -> None:
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET)
    with contextlib.suppress(requests.ConnectionError):  # the killed server: the stand-in's own delivery
        requests.post(url + "/stripe/webhook", data=payload.encode(), timeout=30,  # through the proxy comes
                      headers={"Stripe-Signature": header, "Content-Type": "application/json"})


@pytest.mark.slow
def test_thirty_joins_on_three_servers_one_killed(postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    seed_demo_folder(data)
    sl = start_in_thread(webhook_secret=WEBHOOK_SECRET, retry_base=0.05, retry_max_delay=0.5, max_attempts=60)
    with round_robin_proxy() as (proxy_url, ports):
        env = {
            **os.environ, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1",
            "PAIDPDF_DATABASE_URL": postgres_url, "PAIDPDF_SECRET_KEY": SECRET, "PAIDPDF_BASE_URL": proxy_url,
            "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": sl.url,
        }
        settings = Settings.from_env(env, data_dir=data)
        store = settings.open_store()
        migrate.migrate(Store(data), store)
        plans.add(store, "all-access", title="All access", price_text="9.99", currency="usd")
        password = "a long member password"
        members = [users.sign_up(store, f"member{n}@example.com", password) for n in range(JOINS)]
        sl.set_webhook(proxy_url + "/stripe/webhook", WEBHOOK_SECRET)
        servers = [serve_on(data, env, port) for port in ports]
        direct = [f"http://127.0.0.1:{p}" for p in ports]
        client = stripe.StripeClient(API_KEY, base_addresses={"api": sl.url})
        errors: list[str] = []
        try:
            def member_joins(n: int) -> None:
                try:
                    started = joins.start_join(store, client, settings, user=members[n], plan_id="all-access")
                    assert started.join is not None
                    session_id = str(started.join["stripe_session_id"])
                    sl.pay(session_id)
                    done = [e for e in sl.events("checkout.session.completed")
                            if e["data"]["object"]["id"] == session_id]
                    for event in done:
                        _post_signed(random.choice(direct), event)
                except Exception as exc:  # reported below, with the join's number
                    errors.append(f"join {n}: {exc!r}")

            threads = []
            for n in range(JOINS):
                if n == JOINS // 2:
                    servers[1].send_signal(signal.SIGKILL)  # mid-burst
                thread = threading.Thread(target=member_joins, args=(n,))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            assert errors == []

            def all_active() -> bool:
                rows = store.view(SALES).all(subscriptions.SUBSCRIPTIONS)
                return len(rows) == JOINS and all(s["status"] == "active" for s in rows)

            wait_until(all_active, timeout=90, what="every join active")
            assert sl.wait_for_deliveries(60)
            view = store.view(SALES)
            subs = view.all(subscriptions.SUBSCRIPTIONS)
            assert sorted(s["user_id"] for s in subs) == sorted(m["id"] for m in members)
            for member in members:
                (grant,) = records.grants(view, member["id"])
                assert grant.plan_id == "all-access" and grant.status == "active"
            bills = view.all(invoices.INVOICES)
            assert len(bills) == JOINS and len({b["subscription_id"] for b in bills}) == JOINS
            welcomes = [n for n in view.all(notices.NOTICES) if n["kind"] == "welcome"]
            assert len(welcomes) == JOINS
            assert all(j["status"] == "complete" for j in view.all("joins"))
        finally:
            for process in servers:
                if process.poll() is None:
                    stop(process)
            sl.stop()
            close: Any = getattr(store, "close", None)
            if close is not None:
                close()
