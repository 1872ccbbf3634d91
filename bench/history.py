"""What a shop's order history costs a running server and the CLI: time and memory, 0 to 1M orders.

Not a test: run `python3 bench/history.py [--sizes 0,100000,1000000] [--mix 200] [--rounds 3]` from the
repo root; `--quick` (tiny sizes, seconds) is what the test suite runs.

Each size N is a shop with the same catalog and the same reader (who owns a few items), plus N paid
orders of other readers with their library entries and webhook event ids, written as a compaction
writes a base (streamed, with its index: `write_base_file`), plus pending orders for the webhooks.
The peer of every row is the same shop with no history (N = 0), measured in the same run.

1. First logged-in request: a fresh `paidpdf serve` (real process), one anonymous page, then the
   reader's library page: its time, and the memory it added. Fresh servers take the sizes in turn, A B then
   B A (so no size always goes first), for `--rounds` rounds; medians.
2. Serving: after that, `--mix` rounds of library page + item page + an 8 MB download + a signed
   webhook that fulfils a pending order; the server's peak RSS (VmHWM) over the whole run.
3. `paidpdf orders list --csv` (a real process): time to its first row, total time, peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from peak_memory import status_kb
from web import BIG_ID, seed, with_history
from webhooks import SECRET, event_record, library_entry, order_at, signed_event

from paidpdf.store import Store
from paidpdf.store.embedded.base_writer import write_base_file
from paidpdf.testing.serve_process import REPO, start_serve, stop

ITEM = "bench-item-1"


def build(base: Path, target: Path, orders: int, pending: int) -> Path:
    """A copy of the seeded shop with `orders` paid orders of other readers, then `pending` ones."""
    with_history(base, target, 0)
    view = Store(target).view("sales")
    tables = {name: view.all(name) for name in {*view.tables(), "orders", "library", "events"}}
    make = order_at(orders)
    write_base_file(
        target / "sales.json",
        {
            **{name: iter(rows) for name, rows in tables.items()},
            "orders": itertools.chain(tables["orders"], map(make, range(orders + pending))),
            "library": itertools.chain(tables["library"], (library_entry(make(i)) for i in range(orders))),
            "events": itertools.chain(tables["events"], (event_record(make(i)) for i in range(orders))),
        },
    )
    return target


def get(url: str, cookie: str | None = None) -> bytes:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return bytes(answer.read())


def post_webhook(url: str, body: bytes, header: str) -> None:
    request = urllib.request.Request(
        url + "/stripe/webhook",
        data=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as answer:
        assert b"fulfilled" in answer.read()


def first_logged_in(data: Path, env: dict[str, str], cookie: str) -> tuple[float, float]:
    """(ms, MB added) of the first logged-in request to a fresh server."""
    process, url = start_serve(data, env, threads=8)
    try:
        get(url + "/")
        before = status_kb(process.pid, "VmRSS")
        began = time.perf_counter()
        page = get(url + "/library", cookie)
        took = time.perf_counter() - began
        assert b"Bench big file" in page, "the reader's library did not show"
        return took * 1000, (status_kb(process.pid, "VmRSS") - before) / 1024
    finally:
        stop(process)


def serve_mix(data: Path, env: dict[str, str], cookie: str, orders: int, mix: int) -> float:
    """Peak RSS (MB) of a server through `mix` rounds of pages, downloads and webhooks."""
    process, url = start_serve(data, env, threads=8)
    make = order_at(orders)
    try:
        for n in range(mix):
            get(url + "/library", cookie)
            get(url + f"/content/{ITEM}", cookie)
            get(url + f"/content/{BIG_ID}/download", cookie)
            post_webhook(url, *signed_event(make(orders + n), n))
        return status_kb(process.pid, "VmHWM") / 1024
    finally:
        stop(process)


def orders_csv(data: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(s to the first row, s in all, peak MB) of `paidpdf orders list --csv`. The peak is the last
    VmHWM read while it ran (a high-water mark only grows; `wait4`'s maxrss would include this
    process's own, inherited at the fork)."""
    began = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "cli.py", "--data", str(data), "orders", "list", "--csv"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            with contextlib.suppress(OSError, ValueError):
                peak[0] = max(peak[0], status_kb(process.pid, "VmHWM"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    assert process.stdout is not None
    process.stdout.readline()
    process.stdout.readline()  # the header, then the first row
    first = time.perf_counter() - began
    for _ in process.stdout:
        pass
    done.set()
    sampler.join()
    assert process.wait() == 0
    return first, time.perf_counter() - began, peak[0] / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="0,100000", help="order history sizes; 0 is the peer")
    parser.add_argument("--mix", type=int, default=200, help="rounds of pages, downloads and webhooks")
    parser.add_argument("--rounds", type=int, default=3, help="fresh servers per size, alternating")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    if options.quick:
        sizes, options.mix, options.rounds = [0, 300], 3, 1
    if 0 not in sizes:
        sizes.insert(0, 0)
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1"}
    env.update({"STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_SECRET_KEY": "sk_test_bench"})
    env["PAIDPDF_SECRET_KEY"] = "bench-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105 - a bench key
    os.environ["PAIDPDF_ARGON2_PROFILE"] = "test"
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-history-"))
    base = root / "seed"
    base.mkdir()
    token, _ = seed(base, 20, 8)
    cookie = f"paidpdf_session={token}"
    shops = {}
    for n in sizes:
        print(f"writing a shop with {n:,} orders ...", flush=True)
        shops[n] = build(base, root / f"shop-{n}", n, options.mix)
    first: dict[int, list[tuple[float, float]]] = {n: [] for n in sizes}
    for round_number in range(options.rounds):  # A B, then B A: no size always goes first
        for n in sizes if round_number % 2 == 0 else sizes[::-1]:
            first[n].append(first_logged_in(shops[n], env, cookie))
    rows: list[tuple[Any, ...]] = []
    for n in sizes:
        ms = statistics.median(t for t, _ in first[n])
        added = statistics.median(m for _, m in first[n])
        peak = serve_mix(shops[n], env, cookie, n, options.mix)
        csv_first, csv_all, csv_peak = orders_csv(shops[n], env)
        size_mb = (shops[n] / "sales.json").stat().st_size / 1e6
        rows.append((n, size_mb, ms, added, peak, csv_first, csv_all, csv_peak))
    empty_ms = rows[0][2]
    print()
    print("| orders | sales.json MB | 1st logged-in ms | × empty | MB added | serve peak MB | "
          "csv 1st row s | csv all s | csv peak MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, size_mb, ms, added, peak, csv_first, csv_all, csv_peak in rows:
        print(
            f"| {n:,} | {size_mb:,.0f} | {ms:.1f} | {ms / empty_ms:.2f}× | {added:.1f} | {peak:,.0f} | "
            f"{csv_first:.2f} | {csv_all:.1f} | {csv_peak:,.0f} |"
        )


if __name__ == "__main__":
    main()
