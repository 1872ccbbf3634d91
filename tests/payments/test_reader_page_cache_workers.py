"""A logged-in reader's kept pages across processes: `paidpdf serve --workers 2` (each worker its own page
cache), changed by a CLI in its own process (grant, revoke) and by a purchase whose webhook the stand-in
delivers to whichever worker accepts it. Every answer after each change, from either worker, shows it.
On the data folder and on PostgreSQL; the ways of changing entitlement one by one are in
test_reader_page_cache.py."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from paidpdf.accounts import sessions
from paidpdf.sales import checkout
from paidpdf.testing.serve_process import REPO, start_serve, stop
from tests.payments.shop import API_KEY, BUYER, PAID, SHOP_SECRET, WEBHOOK_SECRET, Shop, wait_until

BOTH_BACKENDS = True  # tests/conftest.py: on the data folder, then on PostgreSQL
#: Answers per look: each on a new connection, so both workers answer some of them.
LOOKS = 8

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


def _states(url: str, cookie: dict[str, str]) -> set[tuple[bool, bool]]:
    """(item page shows Owned, catalog card shows Owned) of LOOKS answers, each on its own connection."""
    seen = set()
    for _ in range(LOOKS):
        item = requests.get(f"{url}/content/{PAID}", cookies=cookie, timeout=30).text
        catalog = requests.get(f"{url}/", cookies=cookie, timeout=30).text
        assert BUYER in item and BUYER in catalog and "\x00" not in item + catalog
        card = catalog.split(f'href="/content/{PAID}"', 1)[1].split("</li>", 1)[0]
        seen.add(('<span class="badge">Owned</span>' in item, "Owned" in card))
    return seen


def test_every_worker_shows_another_processs_change_on_the_next_page(shop: Shop, tmp_path: Path) -> None:
    env = {
        **os.environ, "PYTHONUNBUFFERED": "1", "PAIDPDF_ARGON2_PROFILE": "test",
        "PAIDPDF_SECRET_KEY": SHOP_SECRET, "STRIPE_SECRET_KEY": API_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": shop.sl.url,
    }
    env.pop("PAIDPDF_BASE_URL", None)
    env.update(shop.cli_env())
    buyer = shop.user(BUYER)
    cookie = {"paidpdf_session": sessions.open_session(shop.store, buyer["id"])}

    def cli(*args: str) -> None:  # the CLI in its own process, as an admin runs it beside the server
        done = subprocess.run([sys.executable, "cli.py", "--data", str(shop.data_dir), *args],
                              cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    process, url = start_serve(shop.data_dir, env, threads=4, workers=2, stderr=(tmp_path / "log").open("w"))
    try:
        assert len(_children(process.pid)) == 2
        shop.sl.set_webhook(url + "/stripe/webhook", WEBHOOK_SECRET)
        assert _states(url, cookie) == {(False, False)}  # now kept by the workers that answered
        cli("users", "grant", BUYER, PAID)
        assert _states(url, cookie) == {(True, True)}
        cli("users", "revoke", BUYER, PAID)
        assert _states(url, cookie) == {(False, False)}
        started = checkout.start_checkout(shop.store, shop.client, shop.settings, user=buyer, content_id=PAID)
        assert started.order is not None
        shop.sl.pay(started.order["stripe_session_id"])  # the webhook goes to a worker
        wait_until(lambda: shop.owns(PAID), timeout=30, what="the webhook's fulfilment")
        assert _states(url, cookie) == {(True, True)}
    finally:
        stop(process)
