"""The shop killed (`kill -9`) during a burst of 200 paid checkouts' webhooks while the CLI writes the
same files from another process. Afterwards (shop restarted, stand-in retries, `orders reconcile`):
every paid order fulfilled exactly once, every CLI write kept, every data file valid."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from paidpdf.accounts import users
from paidpdf.content import catalog
from paidpdf.sales import checkout
from paidpdf.testing.serve_process import REPO, start_serve, stop
from tests.data_files import documents, state
from tests.payments.shop import API_KEY, FREE, SHOP_SECRET, WEBHOOK_SECRET, Shop, wait_until

BOTH_BACKENDS = True  # tests/conftest.py: on the data folder, then on PostgreSQL
ITEMS = ("sourdough-at-home", "watercolour-in-ten-lessons")
ORDERS = 200

WRITER = r"""
import sys
from pathlib import Path
from typing import Any
from paidpdf.admin import build_app
data, stop, log, emails = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4].split(",")
i = 0
with log.open("a") as out:
    while not stop.exists():
        email = emails[i % len(emails)]
        price = f"{5 + i % 50}.00"
        for args in (["users", "grant", email, "FREE_ITEM"], ["content", "price", "PRICED_ITEM", price]):
            try:
                build_app()(["--data", data, *args], prog_name="paidpdf", standalone_mode=False)
            except SystemExit as exc:
                if exc.code:
                    raise
            out.write(" ".join(args) + "\n")
            out.flush()
        i += 1
""".replace("FREE_ITEM", FREE).replace("PRICED_ITEM", "git-for-writers")


def file_state(shop: Shop, name: str) -> dict[str, Any]:
    """A data file's documents: read from its files by a fresh store (as another process would) on
    the data folder, from the database on PostgreSQL."""
    return documents(shop.store, name) if shop.settings.database_url else state(shop.data_dir, name)


def start_shop(shop: Shop, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process, url = start_serve(shop.data_dir, env, threads=8)
    shop.sl.set_webhook(url + "/stripe/webhook", WEBHOOK_SECRET)
    return process, url


@pytest.mark.slow
def test_kill9_during_webhook_burst_with_cli_writing(shop: Shop, tmp_path: Path) -> None:
    buyers = [
        users.sign_up(shop.store, f"burst{i}@example.com", "correct horse 1") for i in range(ORDERS // 2)
    ]
    pairs = [(u, item) for u in buyers for item in ITEMS]
    client = shop.client
    started = [
        checkout.start_checkout(shop.store, client, shop.settings, user=u, content_id=item)
        for u, item in pairs
    ]
    assert len({s.order["id"] for s in started if s.order}) == ORDERS
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "PAIDPDF_ARGON2_PROFILE": "test",
        "PAIDPDF_SECRET_KEY": SHOP_SECRET,
        "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": shop.sl.url,
    }
    env.pop("PAIDPDF_BASE_URL", None)
    env.update(shop.cli_env())  # the shop's database, when it is PostgreSQL
    shop_process, _ = start_shop(shop, env)
    stop_file, log = tmp_path / "stop", tmp_path / "writes.log"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITER,
            str(shop.data_dir),
            str(stop_file),
            str(log),
            ",".join(u["email"] for u in buyers),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    restarted: subprocess.Popen[str] | None = None
    try:

        def pay_all() -> None:
            for s in started:
                assert s.order is not None
                shop.sl.pay(s.order["stripe_session_id"])

        payer = threading.Thread(target=pay_all)
        payer.start()

        def paid_count() -> int:
            return len(shop.store.view("sales").find("orders", "status", "paid"))

        wait_until(lambda: paid_count() >= 30, timeout=30, what="first fulfilments")
        os.kill(shop_process.pid, signal.SIGKILL)
        shop_process.wait()
        killed_at = paid_count()
        for name in ("sales", "catalog", "accounts"):  # valid right after the kill
            file_state(shop, name)
        restarted, _ = start_shop(shop, env)
        payer.join()
        assert shop.sl.state.wait_idle(60)
        stop_file.touch()
        assert writer.wait(timeout=60) == 0, writer.stderr.read() if writer.stderr else ""
        reconcile = subprocess.run(
            [
                sys.executable,
                "cli.py",
                "--data",
                str(shop.data_dir),
                "orders",
                "reconcile",
                "--since",
                "2000-01-01",
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert reconcile.returncode == 0, reconcile.stderr
    finally:
        stop_file.touch()
        stop(shop_process)
        if restarted is not None:
            stop(restarted)
        stop(writer)

    assert killed_at < ORDERS  # the kill really landed during the burst
    sales = file_state(shop, "sales")
    file_state(shop, "accounts")
    orders_by_id = sales["orders"]
    for s in started:
        assert s.order is not None
        order = orders_by_id[s.order["id"]]
        assert order["status"] == "paid", order
        assert [h["event"] for h in order["history"]].count("paid") == 1
        entry = sales["library"][f"{order['user_id']}:{order['content_id']}"]
        assert entry["order_id"] == order["id"] and entry["revoked_at"] is None
    # every CLI write that reported success is still there (no lost update)
    writes = log.read_text().splitlines()
    assert writes, "the CLI wrote nothing"
    granted = {line.split()[2] for line in writes if line.startswith("users grant")}
    for email in granted:
        user = users.require_user(shop.store, email)
        assert sales["library"][f"{user['id']}:{FREE}"]["source"] == "granted"
    last_price = next(line.split()[3] for line in reversed(writes) if line.startswith("content price"))
    assert catalog.get_item(shop.store, "git-for-writers")["price"] == int(last_price.replace(".", ""))
