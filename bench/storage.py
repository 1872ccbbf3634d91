"""Storage speed at 1k to 1M orders: the journal store against the whole-file store it replaced and
against stock TinyDB, measured in the same run.

    python3 bench/storage.py [--sizes 1000,10000,100000,1000000] [--repeat 9] [--quick]

Sides (each on its own copy of byte-identical data):
- "journal": today's `paidpdf.store.Store` (base + journal, versioned tables), warm as in a server;
- "whole-file": `bench/peers/whole_file_store.py`, the store of paidpdf 0.1 (every unit rewrites the
  whole file atomically), the design the journal replaced;
- "stock": stock TinyDB as a careful user writes it, the same peer as bench/webhooks.py's:
  `CachingMiddleware(JSONStorage)` (the file is parsed once, reads come from that cache) and one `flush()`
  per write (the one write that puts the change on disk before the call returns, as ours does), through
  its own fastest calls (`table.insert`, `table.get(doc_id=)`). Unfair only in its favour: no lock, no
  fsync, no atomic rename, and a second process never sees its changes (so it has no catch-up row).

Operations, each timed in turns A B C then C B A (so no side always goes first; at least 3 rounds) and
reported as medians:
- write: put one order document (stock: `table.insert` + `flush()`);
- buy: `orders.create_pending`, the shop's own Buy click, on an order history of N;
- login: `users.authenticate` + `sessions.open_session` with N users (test password-hashing profile,
  so the figure is the store's cost, not argon2's);
- catch-up: a second store instance (a reader that shares nothing with the writer, as another process)
  reads a document the writer has just committed: the cost of seeing a change;
- read: get one order by id, warm.

The peers run only the operations they can (stock TinyDB has no domain code) and only up to 100,000
orders: at 1M one whole-file write takes seconds, so they are left out there (the table says so). The
1M data files are written directly as JSON by streaming chunks of documents (no list of a million
dicts is built). Then the catalog read (a fresh store, 40 items) with 0 and with the most orders in the
sales file: reading the catalog must not depend on the order history. `--quick` (tiny sizes, seconds)
is what the test suite runs.

Not a test: timings depend on the machine. The ratios are what matters.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

from tinydb import TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import JSONStorage
from whole_file_store import WholeFileStore

from paidpdf.accounts import passwords, sessions, users
from paidpdf.sales import orders as sales_orders
from paidpdf.store import Store
from paidpdf.testing.big_files import write_tables

PEERS_UP_TO = 100_000
PASSWORD = "kx7-qpzv-long-enough"  # noqa: S105 - the bench's throwaway readers
TARGET_BUY_LOGIN_MS = 15.0
TARGET_CATALOG_RATIO = 1.2


def order(i: int) -> dict[str, Any]:
    """A document shaped like a paid order in sales.json."""
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


def user(i: int, password_hash: str) -> dict[str, Any]:
    return {
        "id": f"usr_{i:016x}", "email": f"reader{i}@example.com", "password_hash": password_hash,
        "disabled": False, "created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:00Z",
    }


def item(i: int) -> dict[str, Any]:
    return {
        "id": f"book-{i}", "title": f"Book {i}", "description": "A booklet. " * 20, "price": 1999,
        "currency": "usd", "filename": f"book-{i}.pdf", "sha256": f"{i:064x}", "size": 123456, "pages": 12,
        "cover": f"{i:064x}.png", "status": "active", "version": 1,
        "created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:00Z",
    }


def rounds(sides: dict[str, Callable[[int], object]], repeat: int) -> dict[str, float]:
    """Median ms of each side, run in turns A B C, then C B A, ... so machine noise hits all alike and
    no side always goes first."""
    times: dict[str, list[float]] = {name: [] for name in sides}
    for k in range(max(3, repeat)):
        for name, run in list(sides.items()) if k % 2 == 0 else list(sides.items())[::-1]:
            start = time.perf_counter()
            run(k)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) * 1000 for name, t in times.items()}


def bench_size(n: int, repeat: int, root: Path) -> dict[str, dict[str, float]]:
    """{operation: {side: ms}} for a shop with `n` orders and `n` users."""
    gc.collect()
    peers = n <= PEERS_UP_TO
    hashed = passwords.hash_password(PASSWORD)
    folders = {"journal": root / f"journal-{n}", "whole-file": root / f"whole-{n}"}
    for side, folder in folders.items():
        if side != "journal" and not peers:
            continue
        folder.mkdir()
        ours = side == "journal"  # our files carry their index, as a compaction writes them
        write_tables(folder / "sales.json", {"orders": (n, order)}, indexed=ours)
        write_tables(folder / "accounts.json", {"users": (n, lambda i: user(i, hashed))}, indexed=ours)
    stores: dict[str, Any] = {"journal": Store(folders["journal"])}
    readers: dict[str, Any] = {"journal": Store(folders["journal"])}
    if peers:
        stores["whole-file"] = WholeFileStore(folders["whole-file"])
        readers["whole-file"] = WholeFileStore(folders["whole-file"])
    for store in (*stores.values(), *readers.values()):  # warm, as in a running server
        store.view("sales").count("orders")
        store.view("accounts").find("users", "email", "reader0@example.com")
    stock_db = None
    if peers:
        stock_path = root / f"stock-{n}.json"
        write_tables(stock_path, {"orders": (n, order)}, stock_ids=True)
        stock_db = TinyDB(stock_path, storage=CachingMiddleware(JSONStorage))
        stock_db.table("orders").all()  # the one read: parse into the cache, as ours is warm
    counter = itertools.count(50_000_000)
    results: dict[str, dict[str, float]] = {}

    def put(store: Any) -> Callable[[int], None]:
        def run(_k: int) -> None:
            with store.unit("sales") as unit:
                unit.put("orders", order(next(counter)))
        return run

    def buy(store: Any) -> Callable[[int], None]:
        def run(_k: int) -> None:
            i = next(counter)
            sales_orders.create_pending(
                store, user_id=f"usr_{i:016x}", buyer=f"buyer{i}@example.com", content_id="book-1",
                amount=1999, currency="usd", livemode=False,
            )
        return run

    def login(store: Any) -> Callable[[int], None]:
        def run(k: int) -> None:
            who = users.authenticate(store, f"reader{(k * 7919) % n}@example.com", PASSWORD, "192.0.2.1")
            sessions.open_session(store, who["id"])
        return run

    def catch_up(store: Any, reader: Any) -> Callable[[int], None]:
        def run(_k: int) -> None:
            doc = order(next(counter))
            with store.unit("sales") as unit:
                unit.put("orders", doc)
            start = time.perf_counter()
            assert reader.view("sales").get("orders", doc["id"]) is not None
            seen.append(time.perf_counter() - start)
        return run

    def read(store: Any) -> Callable[[int], None]:
        target = f"ord_{n // 2:016x}"

        def run(_k: int) -> None:
            assert store.view("sales").get("orders", target) is not None
        return run

    def stock_insert(_k: int) -> None:
        assert stock_db is not None
        stock_db.table("orders").insert(order(next(counter)))
        stock_db.storage.flush()  # the one write: on disk before the call returns, as ours

    def stock_read(_k: int) -> None:
        assert stock_db is not None
        assert stock_db.table("orders").get(doc_id=n // 2 + 1) is not None

    results["write"] = rounds(
        {**{s: put(st) for s, st in stores.items()}, **({"stock": stock_insert} if peers else {})}, repeat
    )
    results["buy"] = rounds({s: buy(st) for s, st in stores.items()}, repeat)
    results["login"] = rounds({s: login(st) for s, st in stores.items()}, repeat)
    catch = {}
    for side in stores:  # only the reader's part of each round is timed
        seen: list[float] = []
        rounds({side: catch_up(stores[side], readers[side])}, repeat)
        catch[side] = statistics.median(seen) * 1000
    results["catch-up"] = catch
    results["read"] = rounds(
        {**{s: read(st) for s, st in stores.items()}, **({"stock": stock_read} if peers else {})}, repeat
    )
    if stock_db is not None:
        stock_db.close()
    return results


def bench_catalog(orders_count: int, repeat: int, root: Path) -> tuple[float, float]:
    """(ms with 0 orders, ms with `orders_count` orders) to read the catalog from a fresh Store."""
    folders = []
    for count in (0, orders_count):
        folder = root / f"catalog-{count}"
        folder.mkdir()
        with Store(folder).unit("catalog") as unit:
            for i in range(40):
                unit.put("content", item(i))
        if count:
            write_tables(folder / "sales.json", {"orders": (count, order)}, indexed=True)
        folders.append(folder)
    gc.collect()
    timings: tuple[list[float], list[float]] = ([], [])
    for k in range(repeat * 30):  # A B, then B A
        for side, folder in enumerate(folders) if k % 2 == 0 else reversed(list(enumerate(folders))):
            start = time.perf_counter()
            Store(folder).view("catalog").all("content")
            timings[side].append(time.perf_counter() - start)
    return statistics.median(timings[0]) * 1000, statistics.median(timings[1]) * 1000


def table_rows(all_results: dict[int, dict[str, dict[str, float]]]) -> Iterator[str]:
    yield (
        "| orders / users | operation | journal (paidpdf.store) | whole-file (0.1, whole rewrite per unit) "
        "| stock TinyDB (CachingMiddleware, flush per write) | whole-file / journal |"
    )
    yield "|---:|---|---:|---:|---:|---:|"
    for n, results in all_results.items():
        for op, sides in results.items():
            ours = sides["journal"]
            whole = sides.get("whole-file")
            stock = sides.get("stock")
            ratio = f"{whole / ours:.1f}x" if whole is not None else "–"
            yield f"| {n:,} | {op} | {shown(ours)} | {shown(whole)} | {shown(stock)} | {ratio} |"


def shown(ms: float | None) -> str:
    """Milliseconds with enough digits for a cached read (microseconds), "–" for a side that did not run."""
    if ms is None:
        return "–"
    return f"{ms:.4f} ms" if ms < 0.1 else f"{ms:.2f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="comma-separated order/user counts")
    parser.add_argument("--repeat", type=int, default=9, help="rounds per measurement (medians shown)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    args = parser.parse_args(argv)
    os.environ["PAIDPDF_ARGON2_PROFILE"] = "test"  # the store's cost, not argon2's
    if args.quick:  # proves the bench runs; too small for the targets to mean anything
        args.sizes, args.repeat = "200", 3
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-"))
    try:
        all_results = {}
        for n in sizes:
            all_results[n] = bench_size(n, args.repeat, root)
            print(f"  done {n:,}", file=sys.stderr)
        for line in table_rows(all_results):
            print(line)
        biggest = max(sizes)
        empty, full = bench_catalog(biggest, args.repeat, root)
        catalog_ratio = full / empty
        print()
        print(f"catalog read (40 items, fresh Store): {empty:.3f} ms with 0 orders, {full:.3f} ms with "
              f"{biggest:,} orders: {catalog_ratio:.2f}x (target <= {TARGET_CATALOG_RATIO}x)")
        first = all_results[min(sizes)]["catch-up"]["journal"]
        last = all_results[biggest]["catch-up"]["journal"]
        print(f"catch-up read: {first:.3f} ms at {min(sizes):,}, {last:.3f} ms at {biggest:,} orders")
        at = all_results[biggest]
        buy, login = at["buy"]["journal"], at["login"]["journal"]
        print(f"at {biggest:,}: buy {buy:.2f} ms, login {login:.2f} ms (target < {TARGET_BUY_LOGIN_MS} ms)")
        ok = max(buy, login) < TARGET_BUY_LOGIN_MS and catalog_ratio <= TARGET_CATALOG_RATIO
        print("quick run: sizes too small to judge the targets" if args.quick else
              "targets met" if ok else "TARGETS MISSED")
        return 0 if ok or args.quick else 1
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
