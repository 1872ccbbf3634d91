"""`paidpdf demo` as a newcomer runs it: a real process that seeds, starts the shop and the local Stripe
stand-in, and prints what to do next."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow  # real `paidpdf demo` processes, started and stopped: tens of seconds


def _run_demo(folder: Path, cwd: Path) -> tuple[str, str]:
    """Run `paidpdf demo` as a process until it printed the way in; returns (output, shop URL) and
    leaves it stopped (SIGINT, as Ctrl-C)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAIDPDF_", "STRIPE_"))}
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), "demo", "--folder", str(folder), "--port", "0"],
        cwd=cwd,
        env={**env, "COLUMNS": "200", "PAIDPDF_ARGON2_PROFILE": "test"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert proc.stdout is not None
        printed = ""
        deadline = time.monotonic() + 60
        while "export STRIPE_SECRET_KEY" not in printed and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed += line
        shop = re.search(r"open at (http://127\.0\.0\.1:\d+)", printed)
        assert shop, printed
        with urllib.request.urlopen(shop.group(1) + "/", timeout=10) as page:
            return printed + page.read().decode(), shop.group(1)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_running_the_demo_twice_keeps_the_shop_and_the_export_line(tmp_path: Path) -> None:
    from paidpdf.content import catalog, demo
    from paidpdf.store import Store

    folder = tmp_path / "demo"
    first, _ = _run_demo(folder, tmp_path)
    extra = demo.make_sample_pdfs(tmp_path / "more")[0]
    catalog.add_item(Store(folder), extra, title="Added between runs", price_text="2", currency="usd")
    second, _ = _run_demo(folder, tmp_path)
    assert "Reusing the demo shop" in second and "Added between runs" in second
    export = re.compile(r"export STRIPE_SECRET_KEY=\S+ STRIPE_WEBHOOK_SECRET=\S+ STRIPE_API_BASE=\S+")
    assert export.search(first) and export.search(first).group(0) == export.search(second).group(0)


def test_demo_serves_the_seeded_shop_and_prints_the_way_in(tmp_path: Path) -> None:
    printed, shop = _run_demo(tmp_path / "demo", tmp_path)  # it served its catalog page at `shop`
    assert shop.startswith("http://127.0.0.1:") and "demo@example.com" in printed
    assert re.search(r"STRIPE_API_BASE=http://127\.0\.0\.1:\d+", printed), printed
    for title in ("Field Notes on City Birds", "Sourdough at Home", "Git for Writers"):
        assert title in printed  # the catalog page, appended by _run_demo
    assert "Free" in printed
    assert 'href="/membership"' in printed  # the demo sells one plan: the header links it
    assert (tmp_path / "demo" / "catalog.json").is_file()
