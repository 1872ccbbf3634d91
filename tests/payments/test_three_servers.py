"""Three `paidpdf serve` processes on one PostgreSQL and one S3 store (SeaweedFS) behind a round-robin
proxy (Debian's nginx), the local Stripe stand-in delivering webhooks through the proxy: purchases paid
while their success pages load on random servers and one server is `kill -9`ed mid-burst. Afterwards
every paid order is fulfilled exactly once, each buyer owns the item through exactly one library entry,
and downloads work from every surviving server (presigned redirect on one, streamed with Range on the
other). A CLI `content add` is then on every server's catalog at the next request."""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from typer.testing import CliRunner

from paidpdf.accounts import sessions, users
from paidpdf.config import Settings
from paidpdf.content import catalog, demo
from paidpdf.maintenance import migrate
from paidpdf.store import Store
from paidpdf.stripe_local import start_in_thread
from paidpdf.testing.serve_process import start_serve, stop
from tests.cli_app import paidpdf_app
from tests.demo_seed import seed_demo_folder
from tests.payments.shop import API_KEY, PAID, WEBHOOK_SECRET, wait_until

PURCHASES = 50
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
SECRET = "a-shared-secret-key-for-all-three-servers-0123456789"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[int]]]:
    with round_robin_proxy() as found:
        yield found


@contextmanager
def round_robin_proxy() -> Iterator[tuple[str, list[int]]]:
    """nginx round-robin over three ports (the servers bind them later); skips a dead server. Also
    used by the memberships' three-server test."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.fail("nginx is missing: run scripts/install-system-deps")
    ports = [_free_port() for _ in range(3)]
    port = _free_port()
    prefix = Path(tempfile.mkdtemp(prefix="paidpdf-proxy-"))
    (prefix / "logs").mkdir()
    upstreams = "\n".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=30s;" for p in ports)
    (prefix / "nginx.conf").write_text(f"""
user root;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    upstream shop {{ {upstreams} }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://shop;
            proxy_next_upstream error timeout http_502;
            proxy_set_header Host $http_host;
        }}
    }}
}}
""")
    conf = str(prefix / "nginx.conf")
    process = subprocess.Popen([nginx, "-c", conf, "-p", str(prefix), "-g", "daemon off;"])
    try:
        yield f"http://127.0.0.1:{port}", ports
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(prefix, ignore_errors=True)


def serve_on(data: Path, env: dict[str, str], port: int) -> subprocess.Popen[str]:
    """`paidpdf serve` on a given port (the proxy's upstream): start_serve with --port swapped in."""
    process, url = start_serve(data, env, threads=4, port=port)
    assert url.endswith(f":{port}")
    return process


@pytest.mark.slow
def test_three_servers_one_database_one_bucket(
    proxy: tuple[str, list[int]], postgres_url: str, s3_endpoint: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy_url, ports = proxy
    data = tmp_path / "data"
    seed_demo_folder(data)
    aws = {"AWS_ACCESS_KEY_ID": "paidpdf-test", "AWS_SECRET_ACCESS_KEY": "secret"}
    aws["AWS_DEFAULT_REGION"] = "us-east-1"
    for name, value in aws.items():
        monkeypatch.setenv(name, value)
    files_url = f"s3://paidpdf-tests/three-{os.getpid()}-{random.randrange(1 << 30)}"
    sl = start_in_thread(webhook_secret=WEBHOOK_SECRET, retry_base=0.05, retry_max_delay=0.5, max_attempts=60)
    env = {
        **os.environ, **aws, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1",
        "PAIDPDF_DATABASE_URL": postgres_url, "PAIDPDF_FILES_URL": files_url,
        "PAIDPDF_S3_ENDPOINT_URL": s3_endpoint, "PAIDPDF_SECRET_KEY": SECRET, "PAIDPDF_BASE_URL": proxy_url,
        "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": sl.url,
        # every buyer here is 127.0.0.1: the shop of a crowd behind one address raises the limit
        "PAIDPDF_CHECKOUTS_PER_ADDRESS": str(PURCHASES * 2),
    }
    settings = Settings.from_env(env, data_dir=data)
    store = settings.open_store()
    assert store.objects is not None
    migrate.migrate(Store(data), store)
    migrate.migrate_files(Store(data), store.objects)
    buyers = []
    for n in range(PURCHASES):
        user = users.sign_up(store, f"buyer{n}@example.com", "a long buyer password")
        buyers.append((user, sessions.open_session(store, user["id"])))
    sl.set_webhook(proxy_url + "/stripe/webhook", WEBHOOK_SECRET)

    servers = [serve_on(data, {**env, "PAIDPDF_S3_DOWNLOADS": mode}, port)
               for port, mode in zip(ports, ["redirect", "redirect", "proxy"], strict=True)]
    direct = [f"http://127.0.0.1:{p}" for p in ports]
    killed = 1
    try:
        session_ids: list[str] = []
        errors: list[str] = []

        def buy(n: int) -> None:
            _user, token = buyers[n]
            browser = requests.Session()
            browser.cookies.set("paidpdf_session", token)
            page = browser.get(f"{proxy_url}/content/{PAID}", timeout=30)
            found = TOKEN.search(page.text)
            assert found is not None, page.status_code
            for _attempt in range(3):  # a Buy that reached the server killed mid-request gets a 502
                answer = browser.post(  # from the proxy (it never retries a POST); the buyer clicks again
                    f"{proxy_url}/checkout/{PAID}", data={"csrf_token": found.group(1)},
                    allow_redirects=False, timeout=30,
                )
                if answer.status_code not in (502, 504):
                    break
            if answer.status_code != 303:
                errors.append(f"buy {n}: {answer.status_code}")
                return
            session_id = answer.headers["Location"].rsplit("/", 1)[1]
            session_ids.append(session_id)
            sl.pay(session_id)
            success = f"/checkout/success?session_id={session_id}"
            try:  # a random server; the one killed meanwhile refuses, and the browser goes via the proxy
                browser.get(random.choice(direct) + success, timeout=30)
            except requests.ConnectionError:
                browser.get(proxy_url + success, timeout=30)

        threads = []
        for n in range(PURCHASES):
            if n == PURCHASES // 2:
                servers[killed].send_signal(signal.SIGKILL)  # mid-burst
            thread = threading.Thread(target=buy, args=(n,))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        assert errors == [] and len(session_ids) == PURCHASES

        def all_paid() -> bool:
            view = store.view("sales")
            return sum(1 for o in view.all("orders") if o["status"] == "paid") == PURCHASES

        wait_until(all_paid, timeout=60, what="every purchase fulfilled")
        view = store.view("sales")
        orders = view.all("orders")
        assert len(orders) == PURCHASES and all(o["status"] == "paid" for o in orders)
        for user, _token in buyers:
            entries = [e for e in view.find("library", "user_id", user["id"]) if e["content_id"] == PAID]
            assert len(entries) == 1 and entries[0]["revoked_at"] is None
        assert sum(1 for o in orders for h in o["history"] if h["event"] == "paid") == PURCHASES

        item = catalog.get_item(store, PAID)
        pdf = (data / "content" / item["sha256"]).read_bytes()
        _user, token = buyers[0]
        for index in (0, 2):
            browser = requests.Session()
            browser.cookies.set("paidpdf_session", token)
            hop = browser.get(f"{direct[index]}/content/{PAID}/download", allow_redirects=False, timeout=30)
            if index == 0:  # "redirect": a presigned GET straight to the bucket, not through the shop
                assert hop.status_code in (302, 303, 307), hop.status_code
                signed = hop.headers["Location"]
                assert signed.startswith(s3_endpoint) and "X-Amz-Signature=" in signed, signed
                got = requests.get(signed, timeout=30)
            else:  # "proxy": the shop streams the object itself
                assert hop.status_code == 200, hop.status_code
                got = hop
            assert got.content == pdf, index
            if index == 2:
                ranged = {"Range": "bytes=10-19"}
                part = browser.get(f"{direct[index]}/content/{PAID}/download", headers=ranged)
                assert part.status_code == 206 and part.content == pdf[10:20]

        new_pdf = demo.make_sample_pdfs(tmp_path / "new")[1]
        command = ["--data", str(data), "content", "add", str(new_pdf), "--title", "Fresh from the CLI"]
        added = CliRunner().invoke(paidpdf_app(), [*command, "--price", "3.00"], env=env)
        assert added.exit_code == 0, added.output
        for index in (0, 2):
            catalog_page = requests.get(f"{direct[index]}/", timeout=30).text
            assert "Fresh from the CLI" in catalog_page, index
    finally:
        for process in servers:
            if process.poll() is None:
                stop(process)
        sl.stop()
        close: Any = getattr(store, "close", None)
        if close is not None:
            close()
