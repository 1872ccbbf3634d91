"""Reader-site speed and memory, each against a baseline measured in the same run.

Not a test: run `python3 bench/web.py` from the repo root (needs wrk, nginx and curl:
`scripts/install-system-deps`). Options: `--items 1000 --connections 32 --duration 8 --threads 8
--size-mb 512 --rounds 3`; `--quick` (tiny sizes, seconds) is what the test suite runs.

The sides, exactly:
- "paidpdf": `paidpdf serve` as shipped (waitress, `--threads`). It keeps rendered pages per version of
  the catalog: each catalog card once (a catalog page joins the cards it shows), each anonymous item page
  once (the visitor's CSRF token put in per request), and a logged-in reader's item and catalog pages
  once per what they show of the reader (their header, owned marks, Download or Buy: web/reader_pages.py),
  their session's token put in per request.
- "caches off": the same server (`build_server`, same threads) running `create_app(page_caches=False)`
  (bench/peers/paidpdf_uncached.py): nothing kept, every card and every item page rendered on every
  request. This, not the cached figure, is the framework comparison with Flask.
- "Flask": bench/peers/flask_catalog.py, a minimal Flask app rendering the same templates from the same
  data (read through our `Store` on the same folder, as ours) on every request, on waitress with the same
  threads. It does less per request than ours (no security headers, CSRF cookie or session lookup) and
  has no accounts (anonymous only).
- "nginx": Debian's nginx serving a static copy of our catalog page's bytes, and the download file (the
  physical limit of sending bytes).
Every figure is a median of at least 3 rounds taken in turns A B C, then C B A (so no side always goes
first and a noisy machine slows all alike).

1. Pages at C concurrent keep-alive connections (wrk): the catalog with N items, an item page and a
   search (`?q=`): paidpdf, caches off and Flask, anonymous; paidpdf logged in (Flask has no sessions).
   The catalog also against nginx static, and the server's CPU per request (from /proc/<pid>/stat)
   logged in against anonymous.
2. A 512 MB download alone and 8 at once (curl to /dev/null): `paidpdf serve` (logged in, the owner-
   checked route) vs Debian's nginx serving the same file from a temp config on a random port; each
   `--rounds` times (at least 3), nginx and ours in turns A B / B A; medians.
3. Peak memory of our server while the 8 downloads run: VmHWM from /proc/<pid>/status (peak reset via
   /proc/<pid>/clear_refs first) and sampled VmRSS, the highest over the rounds, against its VmRSS just
   before.
5. Catalog page 1 with 10,000 items against 100 items, in-process through WebTest (the server's own
   cost, no HTTP), A B / B A: the first page must cost about the same whatever the catalog's size.
4. The order history: the same catalog page, anonymous and logged in, from a copy of the shop whose
   sales file also holds `--orders` orders (default 100,000, with their library entries, other
   readers'), against the shop without them, A B / B A: a shop that has sold a lot must not serve its
   catalog slower.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import orjson  # noqa: E402
from peak_memory import status_kb  # noqa: E402

from paidpdf.accounts import sessions, users  # noqa: E402
from paidpdf.clock import now_iso  # noqa: E402
from paidpdf.config import Settings  # noqa: E402
from paidpdf.content import browse, catalog, demo  # noqa: E402
from paidpdf.ownership import library  # noqa: E402
from paidpdf.store import Store  # noqa: E402
from paidpdf.store.embedded.base_writer import write_base_file  # noqa: E402
from paidpdf.testing.serve_process import serve_command  # noqa: E402

BIG_ID = "bench-big-file"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed(data: Path, items: int, size_mb: int) -> tuple[str, Path]:
    """N catalog items (one real upload, cloned) plus one large free item; returns a session token."""
    settings = Settings.from_env({}, data_dir=data)
    store = Store(data)
    with tempfile.TemporaryDirectory() as scratch:
        pdf = demo.make_sample_pdfs(Path(scratch))[0]
        first = catalog.add_item(
            store,
            pdf,
            title="Bench item 0",
            price_text="4.99",
            currency="usd",
            description="A catalog item for the benchmark.",
        )
    with store.unit("catalog") as unit:
        for n in range(1, items):
            unit.insert(
                "content",
                {
                    **first,
                    "id": f"bench-item-{n}",
                    "title": f"Bench item {n}",
                    "price": 0 if n % 5 == 0 else 499 + n,
                    "created_at": now_iso(),
                },
            )
    # the large file: written straight into the content store (hashing 512 MB through the PDF checks
    # is the upload path's job, not what this bench measures)
    content = data / "content"
    content.mkdir(exist_ok=True)
    tmp = content / ".bench.tmp"
    digest = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with tmp.open("wb") as handle:
        handle.write(b"%PDF-1.4\n")
        digest.update(b"%PDF-1.4\n")
        for _ in range(size_mb):
            handle.write(block)
            digest.update(block)
    big = content / digest.hexdigest()
    tmp.rename(big)
    with store.unit("catalog") as unit:
        unit.insert(
            "content",
            {
                **first,
                "id": BIG_ID,
                "title": "Bench big file",
                "price": 0,
                "sha256": digest.hexdigest(),
                "size": big.stat().st_size,
                "status": "retired",
            },
        )
    user = users.sign_up(store, "bench@example.com", "bench password")
    library.grant(store, user["id"], BIG_ID)  # retired and owned: the owner-only path
    token = sessions.open_session(store, user["id"])
    assert settings
    return token, big


def with_history(data: Path, target: Path, orders: int) -> Path:
    """A copy of the shop whose sales also hold `orders` paid orders and library entries of other
    readers, written as a compaction writes a base (with its index, no journal), as a shop that sold
    that much would have. Streamed: the orders never sit in memory at once."""
    shutil.copytree(data, target, symlinks=True)
    tables = orjson.loads(Store(data).export("sales") or b"{}")

    def order(i: int) -> dict[str, Any]:
        return {
            "id": f"ord_{i:016x}", "status": "paid", "content_id": f"bench-item-{1 + i % 19}",
            "user_id": f"usr_{i % 50_000:016x}", "buyer": f"r{i % 50_000}@example.com", "amount": 499,
            "currency": "usd", "stripe_session_id": f"cs_test_{i:024x}", "created_at": now_iso(),
            "history": [],
        }

    def entry(i: int) -> dict[str, Any]:
        o = order(i)
        return {
            "id": f"{o['user_id']}:{o['id']}", "user_id": o["user_id"], "content_id": o["content_id"],
            "source": "bought", "order_id": o["id"], "acquired_at": now_iso(), "revoked_at": None,
            "revoked_reason": None,
        }

    (target / "sales.journal").unlink(missing_ok=True)
    write_base_file(
        target / "sales.json",
        {
            **{name: iter(rows.values()) for name, rows in tables.items()},
            "orders": itertools.chain(tables.get("orders", {}).values(), map(order, range(orders))),
            "library": itertools.chain(tables.get("library", {}).values(), map(entry, range(orders))),
        },
    )
    return target


def page_one_scaling(root: Path, small: int, large: int, rounds: int) -> tuple[float, float]:
    """Median ms of catalog page 1 (anonymous) with `small` and with `large` items, A B A B."""
    from webtest import TestApp

    from paidpdf.web import create_app

    apps = []
    for count in (small, large):
        folder = root / f"scaling-{count}"
        folder.mkdir()
        seed(folder, count, 1)
        app = TestApp(create_app(Settings.from_env({}, data_dir=folder), store=Store(folder)))
        app.get("/")  # cards rendered once per catalog version, as in a running server
        apps.append(app)
    times: tuple[list[float], list[float]] = ([], [])
    for k in range(rounds):  # A B, then B A
        for side, app in enumerate(apps) if k % 2 == 0 else reversed(list(enumerate(apps))):
            began = time.perf_counter()
            app.get("/")
            times[side].append(time.perf_counter() - began)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def start(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if not match:
        process.kill()
        raise SystemExit(f"server did not start: {line!r}")
    return process, match.group(0)


def warm(url: str, options: argparse.Namespace, cookie: str | None, seconds: int = 1) -> None:
    """Warm a page up before it is measured: wrk for a second, or in `--quick` (which only checks that
    the bench runs) one request."""
    if options.quick:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})).read()
    else:
        wrk(url, options.connections, seconds, cookie)


def wrk(url: str, connections: int, duration: int, cookie: str | None = None) -> float:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"wrk saw errors from {url}:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def curl(urls: list[str], cookie: str | None) -> tuple[float, int]:
    """Download every URL at once; returns (seconds, total bytes)."""
    cmd_base = ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}"]
    if cookie:
        cmd_base += ["-H", f"Cookie: {cookie}"]
    started = time.monotonic()
    procs = [subprocess.Popen([*cmd_base, url], stdout=subprocess.PIPE, text=True) for url in urls]
    sizes = [int(p.communicate()[0] or 0) for p in procs]
    return time.monotonic() - started, sum(sizes)


def eight_of_ours(pid: int, url: str, cookie: str) -> tuple[float, int, int]:
    """Eight downloads at once from our server: (seconds, total bytes, its peak RSS in kB meanwhile, from
    VmHWM after a reset through clear_refs, and sampled VmRSS)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    peak = [status_kb(pid, "VmRSS")]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], status_kb(pid, "VmRSS"))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    secs, got = curl([url] * 8, cookie)
    done.set()
    sampler.join()
    return secs, got, max(status_kb(pid, "VmHWM"), peak[0])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (/proc/<pid>/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def nginx(root: Path, file: Path, page: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Debian's nginx serving `file` as /big.pdf and `page` (our catalog's bytes) as /catalog.html."""
    port = free_port()
    prefix = root / "nginx"
    (prefix / "logs").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
user root;
worker_processes auto;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log;
events {{ worker_connections 256; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location = /big.pdf {{ alias {file}; default_type application/pdf; }}
        location = /catalog.html {{ alias {page}; default_type text/html; }}
    }}
}}
""")
    process = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"])
    url = f"http://127.0.0.1:{port}/big.pdf"
    for _ in range(100):
        try:
            urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=1).close()
            return process, url
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("nginx did not start")


def server_env() -> dict[str, str]:
    """The environment the benches' servers run in: cheap argon2 (here and in the children), a local
    shop (no base URL, key or mail server from the caller's environment), unbuffered output."""
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1"}
    for name in ("PAIDPDF_BASE_URL", "PAIDPDF_SECRET_KEY", "PAIDPDF_SMTP_URL"):
        env.pop(name, None)
    os.environ["PAIDPDF_ARGON2_PROFILE"] = "test"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3, help="A B A B ... rounds; medians are shown")
    parser.add_argument("--orders", type=int, default=100_000, help="order history for section 4")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    options = parser.parse_args()
    if options.quick:
        options.items, options.duration, options.size_mb, options.connections = 20, 1, 4, 4
        options.orders = 200
    # medians need 3 rounds at least; --quick only proves the bench runs to its table: one round
    rounds = 1 if options.quick else max(3, options.rounds)
    for tool in ("wrk", "nginx", "curl"):
        if not shutil.which(tool) and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is missing: run scripts/install-system-deps")

    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-web-"))
    data = root / "data"
    data.mkdir()
    env = server_env()
    processes: list[subprocess.Popen[Any]] = []
    rows: list[tuple[str, str, str, str]] = []
    try:
        print(f"seeding {options.items} items and a {options.size_mb} MB file in {data} ...", flush=True)
        token, big = seed(data, options.items, options.size_mb)
        cookie = f"paidpdf_session={token}"
        ours, ours_url = start(serve_command(data, options.threads), env)
        processes.append(ours)
        flask, flask_url = start(
            [sys.executable, "bench/peers/flask_catalog.py", str(data), str(options.threads)], env
        )
        processes.append(flask)
        uncached, uncached_url = start(
            [sys.executable, "bench/peers/paidpdf_uncached.py", str(data), str(options.threads)], env
        )
        processes.append(uncached)
        ours_page = urllib.request.urlopen(ours_url + "/").read()
        flask_page = urllib.request.urlopen(flask_url + "/").read()
        uncached_page = urllib.request.urlopen(uncached_url + "/").read()
        cards = tuple(page.count(b'class="card"') for page in (ours_page, uncached_page, flask_page))
        shown = min(options.items, browse.PAGE_SIZE)  # the first page (the big file is retired: not listed)
        assert cards == (shown, shown, shown), cards
        print(
            f"catalog page: ours {len(ours_page)} bytes, caches off {len(uncached_page)} bytes, "
            f"flask {len(flask_page)} bytes, {cards[0]} cards"
        )

        static_page = root / "catalog.html"
        static_page.write_bytes(ours_page)  # the very same bytes, for nginx
        web, nginx_url = nginx(root, big, static_page)
        nginx_page = nginx_url.replace("/big.pdf", "/catalog.html")

        # 1. pages (warm up, then alternate so every side sees the same machine state)
        item = f"/content/bench-item-{min(3, options.items - 1)}"
        search = "/?q=item+1"
        runs = {
            "ours": (ours_url + "/", None), "flask": (flask_url + "/", None), "user": (ours_url + "/", cookie),
            "nginx": (nginx_page, None),
            "item": (ours_url + item, None), "flask item": (flask_url + item, None),
            "user item": (ours_url + item, cookie),
            "search": (ours_url + search, None), "flask search": (flask_url + search, None),
            "uncached": (uncached_url + "/", None), "uncached item": (uncached_url + item, None),
            "uncached search": (uncached_url + search, None), "uncached user item": (uncached_url + item, cookie),
        }
        for url, who in runs.values():
            warm(url, options, who)
        samples: dict[str, list[float]] = {name: [] for name in runs}
        cpu: dict[str, list[float]] = {"ours": [], "user": []}  # server CPU ms per request
        for k in range(rounds):  # A B C, then C B A: all see the same machine state
            for name, (url, who) in list(runs.items()) if k % 2 == 0 else list(runs.items())[::-1]:
                before = cpu_seconds(ours.pid)
                rps = wrk(url, options.connections, options.duration, who)
                samples[name].append(rps)
                if name in cpu:
                    cpu[name].append((cpu_seconds(ours.pid) - before) * 1000 / (rps * options.duration))
        ours_rps, flask_rps, ours_user_rps = (statistics.median(samples[k]) for k in ("ours", "flask", "user"))
        med = {name: statistics.median(values) for name, values in samples.items()}
        cpu_anon, cpu_user = statistics.median(cpu["ours"]), statistics.median(cpu["user"])
        rows.append(
            (
                f"catalog, {options.items} items, {options.connections} conns (req/s)",
                f"{ours_rps:,.0f}",
                f"Flask {flask_rps:,.0f}",
                f"{ours_rps / flask_rps:.2f}x",
            )
        )
        rows.append(
            (
                "  same, caches off (ours) vs Flask",
                f"{med['uncached']:,.0f}",
                f"Flask {flask_rps:,.0f}",
                f"{med['uncached'] / flask_rps:.2f}x",
            )
        )
        rows.append(
            (
                "  same, logged in (ours) vs Flask anonymous",
                f"{ours_user_rps:,.0f}",
                f"Flask {flask_rps:,.0f}",
                f"{ours_user_rps / flask_rps:.2f}x",
            )
        )
        for label, mine, peer in (
            ("item page, anonymous (req/s)", "item", "flask item"),
            ("  same, caches off (ours) vs Flask", "uncached item", "flask item"),
            ("item page, logged in (ours) vs Flask anonymous", "user item", "flask item"),
            ("  same, logged in, caches off (ours) vs Flask anonymous", "uncached user item", "flask item"),
            ("search ?q=, anonymous (req/s)", "search", "flask search"),
            ("  same, caches off (ours) vs Flask", "uncached search", "flask search"),
        ):
            rows.append((label, f"{med[mine]:,.0f}", f"Flask {med[peer]:,.0f}", f"{med[mine] / med[peer]:.2f}x"))
        rows.append(
            ("catalog, anonymous vs nginx static (req/s)", f"{ours_rps:,.0f}", f"nginx {med['nginx']:,.0f}",
             f"{ours_rps / med['nginx']:.2f}x")
        )
        rows.append(
            ("server CPU per catalog request, logged in vs anonymous (ms)", f"{cpu_user:.3f}",
             f"anon {cpu_anon:.3f}", f"{cpu_user / cpu_anon:.2f}x")
        )
        flask.terminate()
        uncached.terminate()

        # 4. the same catalog with an order history beside it
        history = with_history(data, root / "history", options.orders)
        sold, sold_url = start(serve_command(history, options.threads), env)
        processes.append(sold)
        for url in (sold_url, ours_url):
            warm(url + "/", options, cookie, min(2, options.duration))
        by_history: dict[str, list[float]] = {"empty": [], "sold": [], "empty user": [], "sold user": []}
        turns = [("empty", ours_url, None), ("sold", sold_url, None), ("empty user", ours_url, cookie),
                 ("sold user", sold_url, cookie)]
        for k in range(rounds):  # A B C D, then D C B A
            for key, url, who in turns if k % 2 == 0 else turns[::-1]:
                by_history[key].append(wrk(url + "/", options.connections, options.duration, who))
        medians = {k: statistics.median(v) for k, v in by_history.items()}
        for who, key in (("anonymous", ""), ("logged in", " user")):
            rows.append(
                (
                    f"catalog {who}, {options.orders:,} orders in the shop (req/s)",
                    f"{medians['sold' + key]:,.0f}",
                    f"no orders {medians['empty' + key]:,.0f}",
                    f"{medians['sold' + key] / medians['empty' + key]:.2f}x",
                )
            )
        sold.terminate()

        # 5. page 1 at 10,000 items against 100 items
        small, large = (20, 200) if options.quick else (100, 10_000)
        few, many = page_one_scaling(root, small, large, 30 if options.quick else 300)
        rows.append(
            (f"catalog page 1, {large:,} vs {small} items (server ms)", f"{many:.3f}", f"{few:.3f}",
             f"{many / few:.2f}x")
        )

        # 2. downloads: several rounds, nginx and ours in turns A B / B A, medians
        processes.append(web)
        ours_dl = f"{ours_url}/content/{BIG_ID}/download"
        size = big.stat().st_size
        mb = size / 2**20
        curl([nginx_url], None)  # warm the page cache for both
        download_rounds = 1 if options.quick else max(3, options.rounds)
        one: dict[str, list[float]] = {"ours": [], "nginx": []}  # MB/s
        for k in range(download_rounds):
            for side in ("ours", "nginx") if k % 2 == 0 else ("nginx", "ours"):
                secs, got = curl([ours_dl], cookie) if side == "ours" else curl([nginx_url], None)
                assert got == size, (side, got)
                one[side].append(mb / secs)
        o_mbs, n_mbs = statistics.median(one["ours"]), statistics.median(one["nginx"])
        rows.append((f"one {options.size_mb} MB download (MB/s)", f"{o_mbs:,.0f}", f"nginx {n_mbs:,.0f}",
                     f"{o_mbs / n_mbs:.0%}"))

        before = status_kb(ours.pid, "VmRSS")
        hwm = before
        eight: dict[str, list[float]] = {"ours": [], "nginx": []}  # MB/s, total
        for k in range(download_rounds):
            for side in ("nginx", "ours") if k % 2 == 0 else ("ours", "nginx"):
                if side == "nginx":
                    secs, got = curl([nginx_url] * 8, None)
                else:
                    secs, got, peak_kb = eight_of_ours(ours.pid, ours_dl, cookie)
                    hwm = max(hwm, peak_kb)
                assert got == 8 * size, (side, got)
                eight[side].append(8 * mb / secs)
        o8, n8 = statistics.median(eight["ours"]), statistics.median(eight["nginx"])
        rows.append(("8 downloads at once (MB/s, total)", f"{o8:,.0f}", f"nginx {n8:,.0f}", f"{o8 / n8:.0%}"))
        rows.append(
            (
                f"server RSS before -> peak during 8 downloads ({download_rounds} rounds)",
                f"{before / 1024:.1f} -> {hwm / 1024:.1f} MB",
                "",
                f"+{(hwm - before) / 1024:.1f} MB",
            )
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(root, ignore_errors=True)

    width = max(len(r[0]) for r in rows)
    print()
    print(
        "paidpdf = `paidpdf serve` as shipped (page caches on); caches off = the same server with "
        "create_app(page_caches=False); Flask = bench/peers/flask_catalog.py (renders every request); "
        "nginx = static bytes. Medians of rounds in A B / B A turns."
    )
    print(f"{'measure'.ljust(width)}  {'paidpdf':>22}  {'baseline':>16}  {'ratio':>10}")
    for name, ours_value, base, ratio in rows:
        print(f"{name.ljust(width)}  {ours_value:>22}  {base:>16}  {ratio:>10}")
    print(
        "\ntargets: catalog >= 1.50x Flask; item page >= 1.2x Flask anonymous, >= 1x logged in; logged-in CPU"
        " <= 1.3x anonymous; catalog >= 50% of nginx static; one download >= 50% of nginx; memory growth < 50 MB"
    )


if __name__ == "__main__":
    main()
