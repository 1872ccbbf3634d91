"""Memberships at 1k to 100k members, on both backends: a renewal webhook, and a member's access check.

Not a test: run `python3 bench/memberships.py [--sizes 1000,10000,100000] [--samples N]` from the repo
root (PostgreSQL binaries needed: `scripts/install-system-deps`). `--quick` (tiny sizes, seconds) is
what the test suite runs.

1. Renewal webhook: a signed `invoice.paid` for a member's renewal, POSTed to `/stripe/webhook` through
   the real WSGI app (WebTest, in process) on a shop holding N members (each with a subscription, a
   membership record, three invoices and three events), the stand-in (`paidpdf.stripe_local`, in a
   thread) answering the retrievals (`lifecycle.sync_subscription`: the invoice, the subscription, and
   the confirming retrieval). The same renewals go to every size's shop, alternating the order of the
   sizes per event (A B C / C B A). Shown: the median per size and its ratio to 1k's (goal: within
   1.5x: nothing in the path reads more than the member's own documents).
2. Access check: `ownership.access.downloadable_item` for a member reading an item they do not own
   (their library entry missed, then ONE lookup of their membership record) against a buyer reading
   an item they bought (their library entry), both among N members and N buyers, alternating member /
   buyer per sample. Shown: the medians and member / buyer (goal: within 1.2x).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import orjson
import psycopg
import stripe
from webtest import TestApp

from paidpdf.config import Settings
from paidpdf.content import catalog
from paidpdf.memberships import joins, plans
from paidpdf.ownership import access
from paidpdf.store import DataStore
from paidpdf.store.embedded.base_writer import write_base_file
from paidpdf.store.postgres.backend import PgStore
from paidpdf.stripe_local import start_in_thread
from paidpdf.testing.postgres_cluster import Cluster, new_database
from paidpdf.web import create_app

SECRET = "whsec_bench_members"  # noqa: S105 - a throwaway signing secret for the bench
API_KEY = "sk_test_bench_members"
KEY = "bench-secret-key-0123456789-abcdefghijklmnop"
STAMP = "2026-11-27T10:00:00Z"
FAR = "2099-01-01T00:00:00Z"
PLAN = "all-access"
ITEMS = 40


# -- the synthetic shop ----------------------------------------------------------------------------


def member_docs(n: int) -> dict[str, Iterable[dict[str, Any]]]:
    """N members (subscription, record, three invoices, three events) and N buyers (a library entry)."""

    def subs() -> Iterator[dict[str, Any]]:
        for i in range(n):
            yield {
                "id": f"sub_bench{i:012d}", "kind": "subscription", "plan_id": PLAN, "plan_title": "All access",
                "covers": "all", "user_id": f"usr_m{i:015d}", "email": f"m{i}@example.com",
                "customer": f"cus_bench{i:012d}", "status": "active", "access_status": "active",
                "access_until": FAR, "period_start": STAMP, "period_end": FAR, "cancel_at_period_end": False,
                "latest_invoice": f"in_bench{i:012d}_2", "revoked_invoices": [], "amount": 999,
                "currency": "usd", "interval": "month", "created_at": STAMP, "updated_at": STAMP,
                "history": [{"at": STAMP, "event": "state", "detail": "active", "source": "bench"}],
            }

    def records() -> Iterator[dict[str, Any]]:
        for i in range(n):
            grant = {"subscription_id": f"sub_bench{i:012d}", "plan_id": PLAN, "plan_title": "All access",
                     "covers": "all", "status": "active", "access_until": FAR, "until": 4070908800}
            yield {"id": f"usr_m{i:015d}", "user_id": f"usr_m{i:015d}", "grants": [grant]}

    def invoices() -> Iterator[dict[str, Any]]:
        for i in range(n):
            for k in range(3):
                yield {"id": f"in_bench{i:012d}_{k}", "subscription_id": f"sub_bench{i:012d}",
                       "user_id": f"usr_m{i:015d}", "status": "paid", "amount_paid": 999, "currency": "usd",
                       "payment_intent": f"pi_bench{i:012d}_{k}", "paid_at": STAMP, "created": STAMP,
                       "refunded_amount": 0, "refunds": {}}

    def events() -> Iterator[dict[str, Any]]:
        for i in range(n):
            for k in range(3):
                yield {"id": f"evt_bench{i:012d}_{k}", "type": "invoice.paid", "order_id": None,
                       "subscription_id": f"sub_bench{i:012d}", "outcome": "updated", "processed_at": STAMP}

    def library() -> Iterator[dict[str, Any]]:
        for i in range(n):
            user, item = f"usr_b{i:015d}", f"item-{i % ITEMS}"
            yield {"id": f"{user}:{item}", "user_id": user, "content_id": item, "source": "bought",
                   "order_id": f"ord_{i:016x}", "acquired_at": STAMP, "revoked_at": None,
                   "revoked_reason": None, "covers": [{"kind": "bought", "ref": f"ord_{i:016x}", "since": STAMP}]}

    return {"subscriptions": subs(), "memberships": records(), "invoices": invoices(), "events": events(),
            "library": library()}


def pg_load(url: str, tables: dict[str, Iterable[dict[str, Any]]]) -> None:
    """Stream documents into the `sales` file of a fresh database with COPY (never all in memory)."""
    PgStore(url, Path(tempfile.mkdtemp())).close()  # creates the schema
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("copy paidpdf_documents (file, tbl, id, doc) from stdin") as copy:
            for table, docs in tables.items():
                for doc in docs:
                    copy.write_row(["sales", table, doc["id"], orjson.dumps(doc).decode()])
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum (analyze) paidpdf_documents")


def item_doc(i: int) -> dict[str, Any]:
    return {"id": f"item-{i}", "title": f"Item {i}", "description": "", "price": 1999, "currency": "usd",
            "filename": f"item-{i}.pdf", "sha256": "0" * 64, "size": 10, "pages": 1, "cover": None,
            "status": "active", "version": 1, "tags": [], "created_at": STAMP, "updated_at": STAMP}


class Shop:
    """One shop of N members on one backend, through the real app."""

    def __init__(self, folder: Path, n: int, stand_in_url: str, database_url: str | None) -> None:
        folder.mkdir()
        if database_url:
            pg_load(database_url, member_docs(n))
        else:
            write_base_file(folder / "sales.json", member_docs(n))
        env = {"STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_SECRET_KEY": API_KEY, "STRIPE_API_BASE": stand_in_url,
               "PAIDPDF_SECRET_KEY": KEY, **({"PAIDPDF_DATABASE_URL": database_url} if database_url else {})}
        self.settings = Settings.from_env(env, data_dir=folder)
        self.store: DataStore = self.settings.open_store()
        with self.store.unit("catalog") as unit:
            for i in range(ITEMS):
                unit.put(catalog.CONTENT, item_doc(i))
        plans.add(self.store, PLAN, title="All access", price_text="9.99", currency="usd")
        self.app = TestApp(create_app(self.settings, store=self.store))
        self.store.view("sales")

    def post(self, event: dict[str, Any]) -> float:
        payload = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(payload, SECRET)
        start = time.perf_counter()
        answer = self.app.post("/stripe/webhook", payload.encode(),
                               headers={"Stripe-Signature": header, "Content-Type": "application/json"})
        took = time.perf_counter() - start
        assert answer.status_int == 200, answer.text
        return took

    def close(self) -> None:
        self.store.close()


# -- 1. renewals -----------------------------------------------------------------------------------


def renewals(root: Path, sizes: list[int], samples: int, pg_server: str | None) -> list[tuple[Any, ...]]:
    """Per backend and size: the median of `samples` renewal webhooks, and its ratio to the smallest's."""
    rows: list[tuple[Any, ...]] = []
    backends = [("embedded", None)] + ([("postgresql", pg_server)] if pg_server else [])
    for backend, server in backends:
        sl = start_in_thread(webhook_secret=SECRET)  # one per backend: its events are that shop's only
        client = stripe.StripeClient(API_KEY, base_addresses={"api": sl.url})
        try:
            shops = {n: Shop(root / f"{backend}-{n}", n, sl.url, new_database(server) if server else None)
                     for n in sizes}
            members = []
            for k in range(samples):  # real members through the stand-in, the same in every shop
                user = {"id": f"usr_s{backend[:3]}{k:012d}", "email": f"s{k}.{backend}@example.com"}
                for shop in shops.values():
                    with shop.store.unit("accounts") as unit:
                        unit.put("users", {**user, "password_hash": None, "disabled": False,
                                           "created_at": STAMP, "updated_at": STAMP})
                first = next(iter(shops.values()))
                started = joins.start_join(first.store, client, first.settings, user=user, plan_id=PLAN)
                assert started.join is not None
                for shop in list(shops.values())[1:]:
                    with shop.store.unit("sales") as unit:
                        unit.put("joins", started.join)
                sl.pay(str(started.join["stripe_session_id"]))
                members.append(user)
            for event in sl.events():  # the joins, untimed
                for shop in shops.values():
                    shop.post(event)
            seen = len(sl.events())
            sl.state.advance_all(32 * 86400)  # every sample renews
            paid = [e for e in sl.events()[seen:] if e["type"] == "invoice.paid"]
            assert len(paid) == samples, len(paid)
            times: dict[int, list[float]] = {n: [] for n in sizes}
            for k, event in enumerate(paid):
                order = sizes if k % 2 == 0 else sizes[::-1]
                for n in order:
                    times[n].append(shops[n].post(event))
            base = statistics.median(times[sizes[0]])
            for n in sizes:
                median = statistics.median(times[n])
                rows.append((backend, n, median * 1000, median / base))
            for shop in shops.values():
                shop.close()
        finally:
            sl.stop()
    return rows


# -- 2. access checks ------------------------------------------------------------------------------


def access_checks(root: Path, n: int, samples: int, pg_server: str | None) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    backends = [("embedded", None)] + ([("postgresql", pg_server)] if pg_server else [])
    for backend, server in backends:
        shop = Shop(root / f"access-{backend}", n, "http://127.0.0.1:9", new_database(server) if server else None)
        member_times: list[float] = []
        buyer_times: list[float] = []
        for k in range(samples):
            i = (k * 7919) % n
            member = {"id": f"usr_m{i:015d}", "email": f"m{i}@example.com", "disabled": False, "member": True}
            buyer = {"id": f"usr_b{i:015d}", "email": f"b{i}@example.com", "disabled": False}
            item = f"item-{(i + 1) % ITEMS}"  # not the one the buyer's number bought: a member's read
            owned = f"item-{i % ITEMS}"
            turns = [(member_times, member, item), (buyer_times, buyer, owned)]
            for times, user, content_id in turns if k % 2 == 0 else turns[::-1]:
                start = time.perf_counter()
                got = access.downloadable_item(shop.store, user, content_id)
                times.append(time.perf_counter() - start)
                assert got["id"] == content_id
        m, b = statistics.median(member_times), statistics.median(buyer_times)
        rows.append((backend, n, m * 1e6, b * 1e6, m / b))
        shop.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--samples", type=int, default=15, help="renewal webhooks per size")
    parser.add_argument("--checks", type=int, default=400, help="access checks per side")
    parser.add_argument("--no-postgres", action="store_true", help="the embedded store only")
    parser.add_argument("--only", choices=("renewals", "access"), help="run one part only")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.samples, args.checks = "100,200", 3, 40
    sizes = [int(s) for s in args.sizes.split(",")]
    os.environ.setdefault("PAIDPDF_ARGON2_PROFILE", "test")
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-members-"))
    cluster = None if args.no_postgres else Cluster(Path(tempfile.mkdtemp(prefix="paidpdf-bench-pg-")))
    try:
        if cluster is not None:
            cluster.start()
        server = cluster.url if cluster is not None else None
        renewal_rows = renewals(root, sizes, args.samples, server) if args.only != "access" else []
        access_rows = access_checks(root, sizes[-1], args.checks, server) if args.only != "renewals" else []
    finally:
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
    print("1. renewal webhook (invoice.paid through the app; the stand-in answers the retrievals)")
    print("| backend | members | median | / smallest |")
    print("|---|---:|---:|---:|")
    for backend, n, median, ratio in renewal_rows:
        print(f"| {backend} | {n:,} | {median:.1f} ms | {ratio:.2f}x |")
    print("2. download access check (ownership.access.downloadable_item)")
    print("| backend | members and buyers | member median | buyer median | member / buyer access check |")
    print("|---|---:|---:|---:|---:|")
    for backend, n, member, buyer, ratio in access_rows:
        print(f"| {backend} | {n:,} | {member:.0f} µs | {buyer:.0f} µs | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
