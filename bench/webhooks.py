"""Webhook fulfilment latency at 1k to 1M existing orders: the journal store vs the 0.1 whole-file
store vs stock TinyDB.

Not a test: run `python3 bench/webhooks.py [--sizes 1000,10000,100000,1000000] [--samples N]` from the
repo root.

What is timed, per webhook: the work the shop does for one signed `checkout.session.completed` event —
verify the Stripe-Signature over the raw body, check the event id was not processed, load the order,
check the session against it, mark it paid, add the library entry, record the event id.

- "paidpdf": a signed POST to `/stripe/webhook` through the real WSGI app (`create_app`, called
  in-process through WebTest, so Bottle routing and the app's wrappers are included) →
  `stripe_gateway.verify_event` + `webhook_events.handle_event` → `fulfilment.fulfil` on
  `paidpdf.store` (one locked unit per webhook: its changed documents appended to the journal).
- "whole-file": the same app on `bench/peers/whole_file_store.py`, the store of paidpdf 0.1 (one
  locked, atomic rewrite of the whole sales.json per webhook), the design the journal replaced.
- "stock": the same logic on stock TinyDB as a careful user writes it: `CachingMiddleware` (the file
  is parsed once), `Query()` lookups, changes in the cache and one `flush()` per webhook (one write),
  so the ratio measures the design (atomic, locked, crash-safe units) rather than a strawman.

All start from byte-identical data (N paid orders with library entries and event ids) and fulfil the
same pending orders, in the same run, alternating A B C / C B A per webhook (a noisy machine slows all
alike). The table shows the median per webhook, the p95 when there are at least 20 samples, and the
ratios. The peers run up to 100,000 orders (at 1M one of their webhooks takes many seconds); the data
files are written directly by streaming chunks of documents (`paidpdf.testing.big_files`), so 1M
orders never sit in one list. `--quick` (tiny sizes, seconds) is what the test suite runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent / "peers"))

import stripe
from tinydb import Query, TinyDB
from tinydb.middlewares import CachingMiddleware
from tinydb.storages import JSONStorage
from webtest import TestApp
from whole_file_store import WholeFileStore

from paidpdf.config import Settings
from paidpdf.store import Store
from paidpdf.testing.big_files import write_tables
from paidpdf.testing.stripe_objects import session_for
from paidpdf.web import create_app

SECRET = "whsec_bench"  # noqa: S105 - a throwaway signing secret for the bench
STAMP = "2026-11-27T10:00:00Z"


def make_order(i: int, status: str) -> dict[str, Any]:
    oid = f"ord_{i:016x}"
    return {
        "id": oid,
        "status": status,
        "content_id": f"item-{i % 40}",
        "user_id": f"usr_{i % 5000:016x}",
        "buyer": f"reader{i % 5000}@example.com",
        "amount": 1999,
        "currency": "usd",
        "livemode": False,
        "stripe_session_id": f"cs_test_{oid[4:]}",
        "stripe_payment_intent": f"pi_{oid[4:]}" if status == "paid" else None,
        "created_at": STAMP,
        "updated_at": STAMP,
        "paid_at": STAMP if status == "paid" else None,
        "refunded_amount": 0,
        "refunds": {},
        "flag_reason": None,
        "history": [
            {"at": STAMP, "event": "created", "detail": "pending order", "source": "shop"},
            {"at": STAMP, "event": "paid", "detail": "paid 1999 usd", "source": "webhook"},
        ],
    }


def library_entry(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"{order['user_id']}:{order['content_id']}:{order['id']}",
        "user_id": order["user_id"],
        "content_id": order["content_id"],
        "source": "bought",
        "order_id": order["id"],
        "acquired_at": STAMP,
        "revoked_at": None,
        "revoked_reason": None,
    }


def event_record(order: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": f"evt_{order['id'][4:]}",
        "type": "checkout.session",
        "order_id": order["id"],
        "outcome": "fulfilled",
        "processed_at": STAMP,
    }


def order_at(existing: int) -> Any:
    """Order number `i`: paid below `existing`, a pending order (one history entry) from there on."""

    def make(i: int) -> dict[str, Any]:
        if i < existing:
            return make_order(i, "paid")
        pending = make_order(i, "pending")
        pending["history"] = pending["history"][:1]
        return pending

    return make


def write_shop(
    path: Path, existing: int, pending: int, *, stock_ids: bool = False, indexed: bool = False
) -> None:
    """The sales file: `existing` paid orders with their library entries and events, then `pending`."""
    make = order_at(existing)
    write_tables(
        path,
        {
            "orders": (existing + pending, make),
            "library": (existing, lambda i: library_entry(make(i))),
            "events": (existing, lambda i: event_record(make(i))),
        },
        stock_ids=stock_ids,
        indexed=indexed,
    )


def signed_event(order: dict[str, Any], n: int) -> tuple[bytes, str]:
    session = session_for(order)  # the same paid session the payments tests build
    event = {
        "id": f"evt_new_{n:08d}",
        "object": "event",
        "type": "checkout.session.completed",
        "livemode": False,
        "created": int(time.time()),
        "data": {"object": session},
    }
    payload = json.dumps(event)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, SECRET)


# -- paidpdf --------------------------------------------------------------------------------------


class Ours:
    """The shop: signed POSTs to `/stripe/webhook` through the real app, on `paidpdf.store` (or, as the
    whole-file peer, on the store of 0.1)."""

    def __init__(self, folder: Path, existing: int, pending: int, store_class: Any = Store) -> None:
        folder.mkdir()
        write_shop(folder / "sales.json", existing, pending, indexed=store_class is Store)
        settings = Settings.from_env(
            {
                "STRIPE_WEBHOOK_SECRET": SECRET,
                "STRIPE_SECRET_KEY": "sk_test_bench",
                "PAIDPDF_SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnop",
            },
            data_dir=folder,
        )
        self.store = store_class(folder)
        self.app = TestApp(create_app(settings, store=self.store))
        self.store.view("sales")  # a running server has the file parsed and cached

    def one(self, body: bytes, header: str) -> float:
        start = time.perf_counter()
        answer = self.app.post(
            "/stripe/webhook", body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
        )
        took = time.perf_counter() - start
        assert answer.json["outcome"] == "fulfilled", answer.text
        return took


# -- stock TinyDB ---------------------------------------------------------------------------------


def stock_fulfil(db: TinyDB, event: dict[str, Any]) -> str:
    """The same checks and effects as `fulfilment.fulfil`, on stock TinyDB (in its cache)."""
    q = Query()
    events, orders_t, library = db.table("events"), db.table("orders"), db.table("library")
    if events.get(q.id == event["id"]) is not None:
        return "duplicate"
    session = event["data"]["object"]
    order = orders_t.get(q.id == session["metadata"]["order_id"])
    if order is None:
        return "ignored"
    if not (
        session["client_reference_id"] == order["id"]
        and session["mode"] == "payment"
        and bool(session["livemode"]) is False
        and session["amount_total"] == order["amount"]
        and session["currency"] == order["currency"]
        and order["stripe_session_id"] == session["id"]
    ):
        orders_t.update({"status": "flagged"}, doc_ids=[order.doc_id])
        return "flagged"
    if session["status"] != "complete" or session["payment_status"] != "paid":
        return "processing"
    if order["status"] != "pending":
        return "already"
    history = [*order["history"], {"at": STAMP, "event": "paid", "detail": "paid", "source": "webhook"}]
    orders_t.update(
        {"status": "paid", "paid_at": STAMP, "stripe_payment_intent": session["payment_intent"], "history": history},
        doc_ids=[order.doc_id],
    )
    entry_id = f"{order['user_id']}:{order['content_id']}"
    if library.get((q.id == entry_id) & (q.revoked_at == None)) is None:  # noqa: E711 - TinyDB query syntax
        library.insert({**library_entry(order), "id": entry_id})
    events.insert(
        {"id": event["id"], "type": event["type"], "order_id": order["id"], "outcome": "fulfilled",
         "processed_at": STAMP}
    )
    return "fulfilled"


class Stock:
    """The peer: what a careful user of stock TinyDB writes. `CachingMiddleware` so the file is parsed
    once (the one read), every change goes to the cache, and one `flush()` per webhook writes the file
    once (the one write) so the fulfilment is on disk before the answer, as ours is. Fair: the same
    signature check and the same checks and effects; unfair only in its favour (no locks, no fsync, no
    atomic rename, not crash-safe)."""

    def __init__(self, folder: Path, existing: int, pending: int) -> None:
        folder.mkdir()
        path = folder / "sales.json"
        write_shop(path, existing, pending, stock_ids=True)
        self.db = TinyDB(path, storage=CachingMiddleware(JSONStorage))
        self.db.table("orders").all()  # the one read: parse into the cache, as ours is warm

    def one(self, body: bytes, header: str) -> float:
        start = time.perf_counter()
        event = stripe.Webhook.construct_event(body.decode(), header, SECRET).to_dict()
        outcome = stock_fulfil(self.db, event)
        self.db.storage.flush()  # the one write
        took = time.perf_counter() - start
        assert outcome == "fulfilled", outcome
        return took

    def close(self) -> None:
        self.db.close()


PEERS_UP_TO = 100_000


def run(root: Path, size: int, samples: int) -> tuple[float, dict[str, list[float]]]:
    """Fulfil the same `samples` pending orders on each side, A B C then C B A per webhook (so no side
    always goes first)."""
    todo = [order_at(size)(size + i) for i in range(samples)]
    sides: dict[str, Any] = {"journal": Ours(root / f"ours-{size}", size, samples)}
    if size <= PEERS_UP_TO:
        sides["whole-file"] = Ours(root / f"whole-{size}", size, samples, WholeFileStore)
        sides["stock"] = Stock(root / f"stock-{size}", size, samples)
    times: dict[str, list[float]] = {name: [] for name in sides}
    for n, order in enumerate(todo):
        body, header = signed_event(order, n)
        in_turn = list(sides.items()) if n % 2 == 0 else list(sides.items())[::-1]
        for name, side in in_turn:
            times[name].append(side.one(body, header))
    if "stock" in sides:
        sides["stock"].close()
    view = sides["journal"].store.view("sales")
    assert sum(1 for _ in view.find("orders", "status", "paid")) == size + samples
    file_mb = (root / f"ours-{size}" / "sales.json").stat().st_size / 1e6
    return file_mb, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--samples", type=int, default=0, help="webhooks per size (default: 40, 30 above 10k)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.samples = "200", 20
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-"))
    rows = []
    try:
        for size in sizes:
            samples = args.samples or (40 if size <= 10000 else 30)
            file_mb, times = run(root, size, samples)
            rows.append((size, samples, file_mb, times))
            print(f"  done {size} orders", file=sys.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    def p95(values: list[float] | None) -> str:
        if not values or len(values) < 20:  # fewer samples say nothing about a tail
            return "–"
        ordered = sorted(values)
        return f"{ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] * 1000:.1f} ms"

    def median(values: list[float] | None) -> str:
        return f"{statistics.median(values) * 1000:.1f} ms" if values else "–"

    print(
        "sides: journal = paidpdf.store through the app; whole-file = the 0.1 store (whole sales.json rewritten"
        " per webhook) through the same app; stock = stock TinyDB with CachingMiddleware, one flush per webhook"
        " (the same peer as bench/storage.py's)"
    )
    print(
        "| existing orders | webhooks | sales.json | journal median | journal p95 | whole-file median "
        "| whole-file p95 | stock median | stock p95 |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, samples, file_mb, times in rows:
        print(
            f"| {size:,} | {samples} | {file_mb:.1f} MB | {median(times['journal'])} | {p95(times['journal'])} "
            f"| {median(times.get('whole-file'))} | {p95(times.get('whole-file'))} "
            f"| {median(times.get('stock'))} | {p95(times.get('stock'))} |"
        )
    smallest, biggest = rows[0], rows[-1]
    ratio = statistics.median(biggest[3]["journal"]) / statistics.median(smallest[3]["journal"])
    print(f"journal median at {biggest[0]:,} / at {smallest[0]:,} orders: {ratio:.2f}x")


if __name__ == "__main__":
    main()
