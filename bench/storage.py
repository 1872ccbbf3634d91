"""Storage speed: our `Store` against stock TinyDB `JSONStorage`, measured in the same run.

    python3 bench/storage.py [--sizes 1000,10000,100000] [--repeat 7]

For each size, a sales file holding that many order-shaped documents is written once for each
backend, then the median of `--repeat` runs is taken for:

- write: add one order (stock: `table.insert`, which re-reads and re-writes the whole file; ours: one
  `store.unit("sales")` with a `put`, in a long-lived process such as the web server);
- write, cold: the same from a fresh `Store` (what one CLI command pays: it must parse the file once);
- read: fetch one order by id (stock parses the file on every call; ours re-parses only when the file
  changed, checked by file identity on every view);
- read, cold: the same from a fresh `Store` (what the first read after another process's write pays).

Then the catalog read (a fresh `Store`, all items) with 0 and with the largest number of orders in
the sales file: reading the catalog must not depend on the order history.

The peer is stock TinyDB with its default `JSONStorage` (what the docs show), used through its own
fastest paths (`insert`; `get(doc_id=...)`); each pair of operations runs alternately, A B A B, at
least 3 rounds. `--quick` (tiny sizes, seconds) is what the test suite runs.

Not a test: timings depend on the machine. The ratios are what matters, and both sides are measured
on the same machine, file system and data in one run.
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
from tinydb import TinyDB

from paidpdf.store import Store

TARGET_WRITE_SPEEDUP = 3.0
TARGET_CATALOG_RATIO = 1.2


def order(i: int) -> dict[str, Any]:
    """A document shaped like a paid order in sales.json (see the data model contract)."""
    return {
        "id": f"ord_{i:016x}",
        "status": "paid",
        "content_id": f"book-{i % 40}",
        "user_id": f"usr_{i % 5003:016x}",
        "buyer": f"reader{i % 5003}@example.com",
        "amount": 1999,
        "currency": "usd",
        "stripe_session_id": f"cs_test_{i:024x}",
        "stripe_payment_intent": f"pi_{i:024x}",
        "created_at": "2026-11-27T19:30:05Z",
        "paid_at": "2026-11-27T19:31:10Z",
        "history": [
            {"at": "2026-11-27T19:30:05Z", "event": "created", "detail": "pending order", "source": "shop"},
            {"at": "2026-11-27T19:31:10Z", "event": "paid", "detail": "checkout.session.completed",
             "source": "webhook"},
        ],
    }


def item(i: int) -> dict[str, Any]:
    return {
        "id": f"book-{i}", "title": f"Book {i}", "description": "A booklet. " * 20, "price": 1999,
        "currency": "usd", "filename": f"book-{i}.pdf", "sha256": f"{i:064x}", "size": 123456, "pages": 12,
        "cover": f"{i:064x}.png", "status": "active", "version": 1,
        "created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:00Z",
    }


def alternating_ms(
    stock: Callable[[int], object], ours: Callable[[int], object], repeat: int
) -> tuple[float, float]:
    """Median ms of each, run A B A B ... (at least 3 rounds) so machine noise hits both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for k in range(max(3, repeat)):
        for side, run in enumerate((stock, ours)):
            start = time.perf_counter()
            run(k)
            times[side].append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def bench_size(n: int, repeat: int, root: Path) -> dict[str, tuple[float, float]]:
    """{operation: (stock ms, ours ms)} for a sales file of `n` orders."""
    gc.collect()
    orders = [order(i) for i in range(n)]

    ours_dir = root / f"ours-{n}"
    ours_dir.mkdir()
    (ours_dir / "sales.json").write_bytes(orjson.dumps({"orders": {o["id"]: o for o in orders}}))
    store = Store(ours_dir)
    store.view("sales")  # warm, as in a running server

    stock_path = root / f"stock-{n}.json"
    stock_db = TinyDB(stock_path)
    stock_db.table("orders").insert_multiple(orders)
    stock_table = stock_db.table("orders", cache_size=0)
    target = f"ord_{n // 2:016x}"

    def ours_write(k: int) -> None:
        with store.unit("sales") as unit:
            unit.put("orders", order(10_000_000 + k))

    def ours_write_cold(k: int) -> None:
        with Store(ours_dir).unit("sales") as unit:
            unit.put("orders", order(20_000_000 + k))

    def stock_write(k: int) -> None:
        stock_table.insert(order(30_000_000 + k))

    def ours_read(_k: int) -> None:
        assert store.view("sales").get("orders", target) is not None

    def ours_read_cold(_k: int) -> None:
        assert Store(ours_dir).view("sales").get("orders", target) is not None

    def stock_read(_k: int) -> None:
        assert stock_table.get(doc_id=n // 2 + 1) is not None

    results = {
        "write": alternating_ms(stock_write, ours_write, repeat),
        "write, cold": alternating_ms(stock_write, ours_write_cold, repeat),
        "read": alternating_ms(stock_read, ours_read, repeat),
        "read, cold": alternating_ms(stock_read, ours_read_cold, repeat),
    }
    stock_db.close()
    results["file MB"] = (stock_path.stat().st_size / 1e6, (ours_dir / "sales.json").stat().st_size / 1e6)
    return results


def bench_catalog(orders: int, repeat: int, root: Path) -> tuple[float, float]:
    """(ms with 0 orders, ms with `orders` orders) to read the whole catalog from a fresh Store.

    Both folders are built first and the order documents freed, then the two reads alternate, so
    machine load and heap size affect both sides alike."""
    folders = []
    for count in (0, orders):
        folder = root / f"catalog-{count}"
        folder.mkdir()
        with Store(folder).unit("catalog") as unit:
            for i in range(40):
                unit.put("content", item(i))
        if count:
            payload = orjson.dumps({"orders": {o["id"]: o for o in map(order, range(count))}})
            (folder / "sales.json").write_bytes(payload)
            del payload
        folders.append(folder)
    gc.collect()
    timings: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat * 30):
        for side, folder in enumerate(folders):
            start = time.perf_counter()
            Store(folder).view("catalog").all("content")
            timings[side].append(time.perf_counter() - start)
    return statistics.median(timings[0]) * 1000, statistics.median(timings[1]) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated document counts")
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement (median is shown)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    args = parser.parse_args(argv)
    if args.quick:  # proves the bench runs; too small for the targets to mean anything
        args.sizes, args.repeat = "200", 3
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-"))
    try:
        print(f"{'docs':>8}  {'operation':<12} {'stock ms':>10} {'ours ms':>10} {'stock/ours':>11}")
        write_speedups: dict[int, float] = {}
        cold_speedups: dict[int, float] = {}
        for n in sizes:
            for op, (stock, ours) in bench_size(n, args.repeat, root).items():
                if op == "file MB":
                    print(f"{n:>8}  {'file MB':<12} {stock:>10.1f} {ours:>10.1f}")
                    continue
                ratio = stock / ours if ours else float("inf")
                if op == "write":
                    write_speedups[n] = ratio
                elif op == "write, cold":
                    cold_speedups[n] = ratio
                print(f"{n:>8}  {op:<12} {stock:>10.2f} {ours:>10.2f} {ratio:>10.1f}x")
        empty, full = bench_catalog(max(sizes), args.repeat, root)
        catalog_ratio = full / empty
        print()
        print(f"catalog read (40 items, fresh Store): {empty:.3f} ms with 0 orders, "
              f"{full:.3f} ms with {max(sizes)} orders: {catalog_ratio:.2f}x (target <= {TARGET_CATALOG_RATIO}x)")
        biggest = max(sizes)
        speedup = write_speedups[biggest]
        cold = cold_speedups[biggest]
        print(f"write at {biggest} docs: {speedup:.1f}x faster than stock (target >= {TARGET_WRITE_SPEEDUP}x)")
        print(f"write, cold at {biggest} docs: {cold:.1f}x faster than stock (target >= {TARGET_WRITE_SPEEDUP}x)")
        ok = min(speedup, cold) >= TARGET_WRITE_SPEEDUP and catalog_ratio <= TARGET_CATALOG_RATIO
        print("quick run: sizes too small to judge the targets" if args.quick else
              "targets met" if ok else "TARGETS MISSED")
        return 0 if ok or args.quick else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
