"""The shop on PostgreSQL: configuration, `db init` / `db migrate` / `db info`, and a database outage.

Real engines only: Debian's PostgreSQL (a throwaway cluster), the real app over WSGI.
"""

from __future__ import annotations

import json
import shutil
import threading
import time
from pathlib import Path

import orjson
import pytest
import stripe
from typer.testing import CliRunner, Result
from webtest import TestApp

from paidpdf.config import Settings
from paidpdf.content import catalog
from paidpdf.errors import ConfigError
from paidpdf.store import Store, open_store
from paidpdf.store.layout import INDEXED_FIELDS
from paidpdf.store.postgres.backend import SCHEMA_VERSION, PgStore
from paidpdf.testing.postgres_cluster import Cluster, new_database, scratch_folder
from paidpdf.web import create_app
from tests.cli_app import paidpdf_app
from tests.demo_seed import seed_demo_folder
from tests.payments.shop import wait_until

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"
WEBHOOK_SECRET = "whsec_outage"


def _cli(data_dir: Path, url: str | None, *args: str) -> Result:
    env = {"PAIDPDF_DATABASE_URL": url} if url else {}
    return CliRunner().invoke(paidpdf_app(), ["--data", str(data_dir), *args], env=env)


def _small_shop(data_dir: Path) -> Store:
    """The demo's catalog (real items), an account and 30 orders."""
    data_dir.rmdir()  # the demo seeds a folder of its own making
    seed_demo_folder(data_dir)
    store = Store(data_dir)
    with store.unit("accounts") as unit:
        unit.put("users", {"id": "u1", "email": "a@example.com"})
    with store.unit("sales") as unit:
        for n in range(30):
            unit.put("orders", {"id": f"ord_{n}", "user_id": "u1", "status": "paid", "amount": n})
    return store


def test_migrate_copies_verifies_refuses_a_full_target_and_reruns(data_dir: Path, postgres_url: str) -> None:
    _small_shop(data_dir)
    done = _cli(data_dir, None, "db", "migrate", "--to", postgres_url, "--json")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["documents"]["sales"] == {"orders": 30} and len(report["sha256"]["sales"]) == 64
    target = open_store(data_dir, postgres_url)
    source = Store(data_dir).export("sales") or b""
    assert orjson.loads(target.export("sales") or b"{}") == orjson.loads(source)
    again = _cli(data_dir, None, "db", "migrate", "--to", postgres_url)
    assert again.exit_code == 4 and "--replace" in again.stderr
    with Store(data_dir).unit("sales") as unit:
        unit.put("orders", {"id": "ord_new", "user_id": "u1", "status": "pending", "amount": 1})
    assert _cli(data_dir, None, "db", "migrate", "--to", postgres_url, "--replace").exit_code == 0
    assert open_store(data_dir, postgres_url).view("sales").count("orders") == 31


def test_db_init_info_and_a_redacted_url(data_dir: Path, postgres_url: str) -> None:
    secret_url = postgres_url.replace("postgres@", "postgres:hunter2secret@")
    done = _cli(data_dir, secret_url, "db", "init")
    assert done.exit_code == 0 and f"schema version {SCHEMA_VERSION} in place" in done.stdout
    info = _cli(data_dir, secret_url, "db", "info", "--json")
    assert info.exit_code == 0, info.output
    assert "hunter2secret" not in info.stdout
    assert json.loads(info.stdout)["documents"].startswith("postgresql://postgres@127.0.0.1")
    plain = _cli(data_dir, secret_url, "db", "info")
    assert plain.exit_code == 0, plain.output
    assert "hunter2secret" not in plain.stdout
    assert "PostgreSQL" in plain.stdout and "postgres@" in plain.stdout.replace("│", "").replace(" ", "")


def test_postgresql_needs_a_secret_key(data_dir: Path, postgres_url: str) -> None:
    settings = Settings.from_env({"PAIDPDF_DATABASE_URL": postgres_url}, data_dir=data_dir)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set when the shop keeps its data in Postgre"):
        create_app(settings)


@pytest.mark.slow
def test_an_outage_is_a_503_then_everything_continues(data_dir: Path) -> None:
    cluster = Cluster(scratch_folder("paidpdf-pg-outage-"))
    cluster.start()
    try:
        url = new_database(cluster.url)
        _small_shop(data_dir)
        _cli(data_dir, None, "db", "migrate", "--to", url)
        env = {
            "PAIDPDF_DATABASE_URL": url, "PAIDPDF_SECRET_KEY": SECRET, "STRIPE_SECRET_KEY": "sk_test_x",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
        settings = Settings.from_env(env, data_dir=data_dir)
        store = PgStore(url, data_dir, wait=1.0)  # fail fast while the database is away
        app = TestApp(create_app(settings, store=store), extra_environ={"REMOTE_ADDR": "127.0.0.1"})
        assert app.get("/healthz").text == "ok\n"
        item = catalog.list_items(open_store(data_dir, url))[0]
        assert item["title"] in app.get("/").text
        cluster.stop()
        down = app.get("/healthz", status=503)
        assert down.text.startswith("unavailable: documents (postgresql://postgres@127.0.0.1")
        page = app.get(f"/content/{item['id']}", status=503)
        assert "<!doctype html>" in page.text  # the styled page, no traceback
        event = {
            "id": "evt_outage", "object": "event", "type": "checkout.session.completed", "livemode": False,
            "created": int(time.time()), "api_version": "2025-01-27.acacia",
            "data": {"object": {"id": "cs_test_outage", "object": "checkout.session", "livemode": False}},
        }
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(body, WEBHOOK_SECRET)
        hook = app.post(
            "/stripe/webhook", body.encode(), headers={"Stripe-Signature": header}, status="*",
            content_type="application/json",
        )
        assert hook.status_int == 503  # Stripe retries it later; nothing was recorded
        cluster.start()
        wait_until(lambda: app.get("/healthz", status="*").status_int == 200, timeout=20, what="recovery")
        assert item["title"] in app.get(f"/content/{item['id']}").text
        assert open_store(data_dir, url).view("sales").count("orders") == 30
    finally:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)  # outside tmp_path: the postgres user writes it


def test_a_migrated_shop_answers_the_cli_exactly_as_the_original(data_dir: Path, postgres_url: str) -> None:
    """orders, users and content listings (JSON) and `orders show` read the same from PostgreSQL."""
    from paidpdf.accounts import users
    from paidpdf.ownership import library
    from paidpdf.sales import orders

    data_dir.rmdir()
    seed_demo_folder(data_dir)
    store = Store(data_dir)
    buyer = users.sign_up(store, "buyer@example.com", "a long buyer password")
    item = catalog.list_items(store)[0]
    made = [
        orders.create_pending(
            store, user_id=buyer["id"], buyer=buyer["email"], content_id=item["id"], amount=499 + n,
            currency="usd", livemode=False,
        )
        for n in range(3)
    ]
    library.grant(store, buyer["id"], item["id"])
    assert _cli(data_dir, None, "db", "migrate", "--to", postgres_url).exit_code == 0
    for command in (
        ["orders", "list", "--json", "--limit", "0"], ["users", "list", "--json"],
        ["content", "list", "--json"], ["orders", "show", made[1]["id"], "--json"],
        ["users", "show", "buyer@example.com", "--json"],
    ):
        original = _cli(data_dir, None, *command)
        migrated = _cli(data_dir, postgres_url, *command)
        assert original.exit_code == migrated.exit_code == 0, (command, original.output, migrated.output)
        assert json.loads(migrated.stdout) == json.loads(original.stdout), command


def test_an_older_schema_is_upgraded_in_place(data_dir: Path, postgres_url: str) -> None:
    """A version-1 database (before the download log's indexes) is brought up to date on open, its
    documents untouched, and every looked-up field has its index."""
    import psycopg

    store = open_store(data_dir, postgres_url)
    with store.unit("sales") as unit:
        unit.put("orders", {"id": "ord_old", "user_id": "u1", "status": "paid", "amount": 1})
    store.close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("drop index paidpdf_by_downloads_user_id")
        conn.execute("drop index paidpdf_by_orders_promo")
        conn.execute("update paidpdf_schema set version = 1")
    done = _cli(data_dir, postgres_url, "db", "init")
    assert done.exit_code == 0 and f"schema version {SCHEMA_VERSION} in place" in done.stdout
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute("select version from paidpdf_schema").fetchall() == [(SCHEMA_VERSION,)]
        listed = conn.execute("select indexname from pg_indexes where tablename = 'paidpdf_documents'")
        names = {r[0] for r in listed}
    wanted = {f"paidpdf_by_{table}_{field}" for table, fields in INDEXED_FIELDS.items() for field in fields}
    assert wanted <= names
    assert open_store(data_dir, postgres_url).view("sales").get("orders", "ord_old")["amount"] == 1


def _release_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name == "paidpdf-pg-release" and t.is_alive())


def test_views_give_their_connections_back_off_the_readers_thread(data_dir: Path, postgres_url: str) -> None:
    """A finished view's rollback runs on a background thread (`store/postgres/release.py`). With a
    pool of two connections, 300 units and views in a row never run out of connections (each view's
    connection came back), each view sees the unit just before it (a connection is never reused with
    an old transaction still open), and closing the store stops the thread."""
    before = _release_threads()
    store = PgStore(postgres_url, data_dir, pool_size=2, wait=2.0)
    try:
        for n in range(300):
            with store.unit("sales") as unit:
                unit.put("orders", {"id": "o", "n": n})
            view = store.view("sales")
            found = view.get("orders", "o")
            assert found is not None and found["n"] == n
            assert view.count("orders") == 1
            del view  # dropped: its connection goes to the background thread
        assert _release_threads() == before + 1
    finally:
        store.close()
    assert _release_threads() == before
