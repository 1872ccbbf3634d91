"""The demo's payment wiring: a stand-in on loopback, shop settings pointing at it, a demo login, and
webhooks reaching the real shop server, so a newcomer can buy without any account anywhere."""

from __future__ import annotations

import re
import shlex
import threading
from pathlib import Path

import requests
from typer.testing import CliRunner

from paidpdf.accounts import users
from paidpdf.admin.demo_payments import DEMO_EMAIL, DEMO_PASSWORD, demo_payments
from paidpdf.admin.site_server import build_server, server_url
from paidpdf.config import Settings
from paidpdf.ownership import library
from paidpdf.sales import checkout, stripe_gateway
from paidpdf.store import Store
from tests.cli_app import paidpdf_app
from tests.payments.shop import BUYER, PAID, wait_until
from tests.web.site import copy_seed

TOKEN = re.compile(r'name="(?:csrf_token|token)" value="([^"]+)"')


def test_demo_buyer_can_buy_and_download(seeded: Path, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    copy_seed(seeded, folder)
    settings = Settings.from_env({}, data_dir=folder)
    store = Store(folder)
    with demo_payments(settings, store) as pay:
        assert pay.settings.stripe_api_base == pay.stand_in.url
        assert pay.stand_in.url.startswith("http://127.0.0.1:")
        server = build_server(pay.settings, host="127.0.0.1", port=0, store=store)
        threading.Thread(target=server.run, daemon=True).start()
        try:
            url = server_url(server)
            pay.connect(url)
            browser = requests.Session()
            login = browser.get(f"{url}/login")
            browser.post(
                f"{url}/login",
                data={
                    "csrf_token": TOKEN.search(login.text).group(1),
                    "email": DEMO_EMAIL,
                    "password": DEMO_PASSWORD,
                },
            )
            item = browser.get(f"{url}/content/{PAID}")
            buy = browser.post(
                f"{url}/checkout/{PAID}",
                data={"csrf_token": TOKEN.search(item.text).group(1)},
                allow_redirects=False,
            )
            assert buy.status_code == 303 and buy.headers["Location"].startswith(pay.stand_in.url + "/pay/")
            page = browser.get(buy.headers["Location"])
            action = re.search(r'<form method="post" action="([^"]+)"', page.text).group(1)
            paid = browser.post(
                requests.compat.urljoin(page.url, action),
                data={"token": TOKEN.search(page.text).group(1), "action": "pay"},
            )
            assert paid.url.startswith(f"{url}/checkout/success")
            wait_until(lambda: "Sourdough at Home" in browser.get(f"{url}/library").text, what="library")
            download = browser.get(f"{url}/content/{PAID}/download")
            assert download.status_code == 200 and download.content.startswith(b"%PDF")
            orders = store.view("sales").all("orders")
            assert [o["status"] for o in orders] == ["paid"]
            wait_until(lambda: pay.stand_in.state.wait_idle(1), what="webhooks delivered")
            delivered = pay.stand_in.deliveries(type="checkout.session.completed")
            assert [d["status"] for d in delivered] == ["delivered"]
        finally:
            server.close()


def test_demo_prints_the_environment_for_admin_commands(seeded: Path, tmp_path: Path) -> None:
    """The printed `export ...` line is all another terminal needs to reconcile against the demo."""
    folder = tmp_path / "demo"
    copy_seed(seeded, folder)
    store = Store(folder)
    with demo_payments(Settings.from_env({}, data_dir=folder), store) as pay:
        line = pay.export_line()
        words = shlex.split(line)
        assert words[0] == "export"
        env = dict(word.split("=", 1) for word in words[1:])
        assert set(env) == {"STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "PAIDPDF_DATA"}
        assert env["STRIPE_API_BASE"] == pay.stand_in.url
        assert Path(env["PAIDPDF_DATA"]) == folder.resolve()
        # a purchase whose webhook never arrives (the shop is not connected) ...
        buyer = users.require_user(store, BUYER)
        client = stripe_gateway.make_client(pay.settings)
        started = checkout.start_checkout(store, client, pay.settings, user=buyer, content_id=PAID)
        assert started.order is not None
        pay.stand_in.pay(started.order["stripe_session_id"])
        # ... is fulfilled by `orders reconcile` run with nothing but the printed environment
        result = CliRunner().invoke(paidpdf_app(), ["orders", "reconcile"], env=env)
        assert result.exit_code == 0, result.stderr
        assert library.owns(store.view(library.SALES), buyer["id"], PAID)
        [order] = store.view("sales").all("orders")
        assert order["status"] == "paid"


def test_the_demo_stand_in_takes_only_the_demos_own_key(seeded: Path, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    copy_seed(seeded, folder)
    with demo_payments(Settings.from_env({}, data_dir=folder), Store(folder)) as pay:
        own = pay.settings.stripe_secret_key
        assert own is not None
        url = f"{pay.stand_in.url}/v1/events"
        assert requests.get(url, headers={"Authorization": f"Bearer {own.reveal()}"}).status_code == 200
        other = requests.get(url, headers={"Authorization": "Bearer sk_test_someone_else_123"})
        assert other.status_code == 401 and other.json()["error"]["type"] == "invalid_request_error"
        rebound = requests.get(
            url, headers={"Authorization": f"Bearer {own.reveal()}", "Host": "evil.example"}
        )
        assert rebound.status_code == 421
