"""Webhook fulfilment latency with 1k, 10k and 100k existing orders: paidpdf's store vs stock TinyDB.

Not a test: run `python3 bench/webhooks.py [--sizes 1000,10000,100000] [--samples N]` from the repo root.

What is timed, per webhook: the work the shop does for one signed `checkout.session.completed` event —
verify the Stripe-Signature over the raw body, check the event id was not processed, load the order,
check the session against it, mark it paid, add the library entry, record the event id.

- "paidpdf": a signed POST to `/stripe/webhook` through the real WSGI app (`create_app`, called
  in-process through WebTest, so Bottle routing and the app's wrappers are included) →
  `payments.verify_event` + `payments.handle_event` → `orders.fulfil` on `paidpdf.store` (one locked,
  atomic write of sales.json per webhook; the parsed file cached between units).
- "stock": the same logic written the obvious way on stock TinyDB (`TinyDB(path)`, default
  JSONStorage, `Query()` searches, `update`/`insert`), which parses the file on every operation and
  rewrites it in place for every write (and is not crash-safe: see docs/storage notes).

Both start from byte-identical data (N paid orders with library entries and event ids) and fulfil the
same pending orders, in the same run. The table shows median and p95 per webhook and the ratio.
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

import orjson
import stripe
from tinydb import Query, TinyDB
from webtest import TestApp

from paidpdf.config import Settings
from paidpdf.store import Store
from paidpdf.web import create_app
from tests.payments.helpers import session_for

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


def dataset(existing: int, pending: int) -> dict[str, list[dict[str, Any]]]:
    paid = [make_order(i, "paid") for i in range(existing)]
    todo = [make_order(existing + i, "pending") for i in range(pending)]
    for o in todo:
        o["history"] = o["history"][:1]
    library = [
        {
            "id": f"{o['user_id']}:{o['content_id']}:{o['id']}",
            "user_id": o["user_id"],
            "content_id": o["content_id"],
            "source": "bought",
            "order_id": o["id"],
            "acquired_at": STAMP,
            "revoked_at": None,
            "revoked_reason": None,
        }
        for o in paid
    ]
    events = [
        {
            "id": f"evt_{o['id'][4:]}",
            "type": "checkout.session",
            "order_id": o["id"],
            "outcome": "fulfilled",
            "processed_at": STAMP,
        }
        for o in paid
    ]
    return {"orders": paid + todo, "library": library, "events": events}


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


def run_paidpdf(
    folder: Path, data: dict[str, list[dict[str, Any]]], todo: list[dict[str, Any]]
) -> list[float]:
    tables = {name: {d["id"]: d for d in rows} for name, rows in data.items()}
    folder.mkdir()
    (folder / "sales.json").write_bytes(orjson.dumps(tables))
    settings = Settings.from_env(
        {
            "STRIPE_WEBHOOK_SECRET": SECRET,
            "STRIPE_SECRET_KEY": "sk_test_bench",
            "PAIDPDF_SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnop",
        },
        data_dir=folder,
    )
    store = Store(folder)
    app = TestApp(create_app(settings, store=store))
    store.view("sales")  # the server has the file parsed and cached once it has served anything
    times = []
    for n, order in enumerate(todo):
        body, header = signed_event(order, n)
        start = time.perf_counter()
        answer = app.post(
            "/stripe/webhook", body, headers={"Stripe-Signature": header, "Content-Type": "application/json"}
        )
        times.append(time.perf_counter() - start)
        assert answer.json["outcome"] == "fulfilled", answer.text
    view = store.view("sales")
    assert sum(1 for o in view.find("orders", "status", "paid")) == len(data["library"]) + len(todo)
    return times


# -- stock TinyDB ---------------------------------------------------------------------------------


def stock_fulfil(db: TinyDB, event: dict[str, Any]) -> str:
    """The same checks and effects as `orders.fulfil`, on stock TinyDB."""
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
        orders_t.update({"status": "flagged"}, q.id == order["id"])
        return "flagged"
    if session["status"] != "complete" or session["payment_status"] != "paid":
        return "processing"
    if order["status"] != "pending":
        return "already"
    history = [*order["history"], {"at": STAMP, "event": "paid", "detail": "paid", "source": "webhook"}]
    orders_t.update(
        {
            "status": "paid",
            "paid_at": STAMP,
            "stripe_payment_intent": session["payment_intent"],
            "history": history,
        },
        q.id == order["id"],
    )
    entry_id = f"{order['user_id']}:{order['content_id']}"
    if library.get((q.id == entry_id) & (q.revoked_at == None)) is None:  # noqa: E711 - TinyDB query syntax
        library.insert(
            {
                "id": entry_id,
                "user_id": order["user_id"],
                "content_id": order["content_id"],
                "source": "bought",
                "order_id": order["id"],
                "acquired_at": STAMP,
                "revoked_at": None,
                "revoked_reason": None,
            }
        )
    events.insert(
        {
            "id": event["id"],
            "type": event["type"],
            "order_id": order["id"],
            "outcome": "fulfilled",
            "processed_at": STAMP,
        }
    )
    return "fulfilled"


def run_stock(folder: Path, data: dict[str, list[dict[str, Any]]], todo: list[dict[str, Any]]) -> list[float]:
    folder.mkdir()
    path = folder / "sales.json"
    stock = {name: {str(i + 1): d for i, d in enumerate(rows)} for name, rows in data.items()}
    path.write_text(json.dumps(stock))
    db = TinyDB(path)
    times = []
    for n, order in enumerate(todo):
        body, header = signed_event(order, n)
        start = time.perf_counter()
        event = stripe.Webhook.construct_event(body.decode(), header, SECRET).to_dict()
        outcome = stock_fulfil(db, event)
        times.append(time.perf_counter() - start)
        assert outcome == "fulfilled", outcome
    db.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--samples", type=int, default=0, help="webhooks per size (default: 40/20/8 by size)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-"))
    rows = []
    try:
        for size in sizes:
            samples = args.samples or (40 if size <= 1000 else 20 if size <= 10000 else 8)
            data = dataset(size, samples)
            todo = data["orders"][size:]
            ours = run_paidpdf(root / f"ours-{size}", data, todo)
            stock = run_stock(root / f"stock-{size}", data, todo)
            file_mb = (root / f"ours-{size}" / "sales.json").stat().st_size / 1e6
            rows.append((size, samples, file_mb, ours, stock))
            print(f"  done {size} orders", file=sys.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    def ms(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    print(
        "| existing orders | webhooks | sales.json | paidpdf median | paidpdf p95 | stock median | stock p95 "
        "| median ratio (stock / paidpdf) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for size, samples, file_mb, ours, stock in rows:
        om, sm = statistics.median(ours) * 1000, statistics.median(stock) * 1000
        print(
            f"| {size:,} | {samples} | {file_mb:.1f} MB | {om:.1f} ms | {ms(ours, 0.95):.1f} ms | {sm:.1f} ms "
            f"| {ms(stock, 0.95):.1f} ms | {sm / om:.1f}x |"
        )


if __name__ == "__main__":
    main()
