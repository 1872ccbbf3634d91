"""Launch day: new buyers and anonymous visitors at once on a shop that has sold a lot, on `paidpdf serve
--workers 2` against the same run on `--workers 1`.

Not a test: run `python3 bench/launch.py` from the repo root. Options: `--items 1000 --orders 100000
--buyers 300 --visitors 2000 --duration 60 --size-mb 20 --workers 2 --rounds 2 --threads N` (threads
per process; default: serve's own); `--quick`
(20 items, 100 orders, 6 buyers, 16 visitors, 2 s, 1 MB files, one round, the `--workers` side only) is
what the test suite runs.

The shop: bench/web.py's seed (N items cloned from one real upload; every item's file is one random
`--size-mb` file) plus `--orders` paid orders of other readers with their library entries, written as
a compaction writes a base (bench/web.py's `with_history`), copied afresh for every run. Each run starts
the real `paidpdf serve` (a child process on a free port, with `--trusted-proxy 127.0.0.1`: every client
sends its own X-Forwarded-For, as behind nginx, so the per-address limits see each buyer alone) and the
real stand-in, `paidpdf stripe-local` (its own process), whose webhooks go to the shop.

Buyers arrive at random over the duration (the same schedule for both sides). Each, with its own cookies:
the catalog, an item page, Buy (a guest's checkout: 303 to the stand-in), the stand-in's hosted page and
its Pay button with an email (the test card), the success page (must confirm and offer the guest's
download), waiting for the receipt in the outbox ("receipt"; not a request), its sign-in link (form,
then POST), the library (must list the item), the item's download (every byte counted). "webhook" is
the stand-in's own delivery of `checkout.session.completed`, timed by the stand-in; any delivery not
answered 2xx is an error. Visitors (anonymous) arrive likewise and view the catalog, an item, page 2
of the catalog and another item, 0.2-1.5 s apart (less in `--quick`). The client is one asyncio process (aiohttp).

Per side: purchases completed, p50/p99 per step (pooled over the rounds), errors, the server's CPU
(user + system of the `serve` process tree over the load, from /proc) and peak RSS (summed over the
tree, and its largest process), the stand-in's and this client's CPU. Sides run in turn, A B then B A.
Checks, on the store after the servers stop: 0 errors, and every buyer who paid owns the item exactly
once (one live library entry, one paid order with one "paid" in its history, one receipt mail). The
issue's target, reported: p99 of the success page <= 250 ms with 2 workers. When `paidpdf serve` has
no `--workers` option yet, only the 1-worker side runs, and the output says so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp  # noqa: E402
from web import BIG_ID, seed, server_env, with_history  # noqa: E402  (bench/web.py: its shop and helpers)

from paidpdf.accounts import users  # noqa: E402
from paidpdf.ownership import library  # noqa: E402
from paidpdf.store import Store  # noqa: E402
from paidpdf.testing.process_tree import MemoryWatch, descendants, tree_cpu_seconds  # noqa: E402

API_KEY = "sk_test_launch_bench"
WEBHOOK_SECRET = "whsec_launch_bench_secret"  # noqa: S105 - a throwaway secret for the bench
STEPS = ("catalog", "item page", "buy", "hosted page", "pay", "success page", "webhook", "receipt",
         "sign-in form", "sign in", "library", "download", "visitor catalog", "visitor item", "visitor page 2")


class Failed(Exception):
    def __init__(self, step: str, why: str) -> None:
        super().__init__(f"{step}: {why}")
        self.step = step


@dataclass
class Run:
    """What one side's run saw."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    paid: dict[str, str] = field(default_factory=dict)  # buyer email -> item bought
    completed: int = 0
    figures: dict[str, float] = field(default_factory=dict)
    server_times: dict[str, list[float]] = field(default_factory=dict)  # from the access log


def build_shop(root: Path, items: int, orders: int, size_mb: int) -> tuple[Path, dict[str, Any]]:
    """The shop every run copies: bench/web.py's items, each item's file the one `size_mb` file, and
    `orders` past orders of other readers. Returns its folder and what the buyers need to know."""
    seeded = root / "seed"
    seeded.mkdir()
    seed(seeded, items, size_mb)
    store = Store(seeded)
    big = store.view("catalog").require("content", BIG_ID, "the bench's big file")
    ids, paid = [], []
    with store.unit("catalog") as unit:
        for doc in unit.all("content"):
            if doc["id"] == BIG_ID:
                continue
            item = {**doc, "sha256": big["sha256"], "size": big["size"]}
            item.pop("versions", None)  # its one version is then the top-level file
            unit.put("content", item)
            ids.append(doc["id"])
            if doc["price"]:
                paid.append(doc["id"])
    base = with_history(seeded, root / "base", orders)
    shutil.rmtree(seeded)
    return base, {"items": ids, "paid": paid, "size": int(big["size"])}


def outbox_name(email: str) -> str:
    """How the outbox names a mail to `email` (its local part, all but letters and digits as "_")."""
    return "".join(c if c.isalnum() else "_" for c in email.partition("@")[0])[:40]


def check_store(data: Path, paid: dict[str, str]) -> list[str]:
    """Every buyer who paid: one live library entry for the item, one paid order with one "paid" in
    its history, one receipt in the outbox. Read from the store after the servers stopped."""
    store = Store(data)
    view = store.view("sales")
    who = {}
    for email in paid:
        user = users.find_user(store, email)
        if user is not None:
            who[user["id"]] = email
    orders: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for order in view.each("orders"):
        if order.get("user_id") in who and order["status"] == "paid":
            orders[who[order["user_id"]]].append(order)
    problems = []
    for email, item in paid.items():
        user = users.find_user(store, email)
        if user is None:
            problems.append(f"check: {email} paid but has no account")
            continue
        entries = [e for e in library.for_user(view, user["id"]) if e["content_id"] == item]
        marks = [h for o in orders[email] for h in o.get("history", []) if h.get("event") == "paid"]
        mails = list((data / "outbox").glob(f"*-{outbox_name(email)}.eml"))
        found = (len(entries), len(orders[email]), len(marks), len(mails))
        if found != (1, 1, 1, 1):
            problems.append(f"check: {email}: library entries, paid orders, paid marks, receipts = {found}")
    return problems


def token_in(page: bytes, name: str) -> str:
    found = re.search(rb'name="' + name.encode() + rb'" value="([^"]+)"', page)
    if not found:
        raise Failed(name, "no such hidden field on the page")
    return found.group(1).decode()


async def fetch(
    http: aiohttp.ClientSession, run: Run, step: str, url: str, *, expect: int = 200,
    data: dict[str, str] | None = None, count_only: bool = False,
) -> tuple[bytes, int, str]:
    """One request, timed to its last byte: (body, or b"" when only counted; body size; Location)."""
    began = time.perf_counter()
    try:
        async with http.request("POST" if data else "GET", url, data=data, allow_redirects=False) as answer:
            if count_only:
                body, size = b"", 0
                async for chunk in answer.content.iter_any():
                    size += len(chunk)
            else:
                body = await answer.read()
                size = len(body)
            status, location = answer.status, answer.headers.get("Location", "")
    except (TimeoutError, aiohttp.ClientError) as exc:
        raise Failed(step, f"{type(exc).__name__} {exc} ({url})") from None
    run.times[step].append(time.perf_counter() - began)
    if status != expect:
        raise Failed(step, f"{status} from {url}")
    return body, size, location


def client(address: str) -> aiohttp.ClientSession:
    """A browser: its own cookies and connection, behind the proxy with its own address."""
    return aiohttp.ClientSession(
        cookie_jar=aiohttp.CookieJar(unsafe=True),
        headers={"X-Forwarded-For": address},
        timeout=aiohttp.ClientTimeout(total=180),
        connector=aiohttp.TCPConnector(limit=2),
    )


async def receipt_link(outbox: Path, local: str, run: Run, timeout: float = 30.0) -> str:
    """The sign-in link in the buyer's receipt, once the shop has written it to the outbox."""
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        for path in outbox.glob(f"*-{local}.eml"):
            text = BytesParser(policy=policy.default).parsebytes(path.read_bytes()).get_content()
            link = re.search(r"https?://[^/\s]+(/signin/\S+)", text)
            if not link:
                raise Failed("receipt", f"no sign-in link in {path.name}")
            run.times["receipt"].append(time.perf_counter() - began)
            return link.group(1)
        await asyncio.sleep(0.05)
    raise Failed("receipt", f"no receipt for {local} within {timeout:.0f} s")


async def buyer(n: int, at: float, shop: str, outbox: Path, item: str, size: int, run: Run) -> None:
    await asyncio.sleep(at)
    email = f"launch.buyer.{n:04d}@example.com"
    async with client(f"10.1.{n // 250}.{1 + n % 250}") as http:
        try:
            await fetch(http, run, "catalog", shop + "/")
            page, _, _ = await fetch(http, run, "item page", f"{shop}/content/{item}")
            csrf = token_in(page, "csrf_token")
            _, _, pay_url = await fetch(http, run, "buy", f"{shop}/checkout/{item}", expect=303,
                                        data={"csrf_token": csrf})
            if "/pay/cs_" not in pay_url:
                raise Failed("buy", f"Buy sent the buyer to {pay_url!r}")
            hosted, _, _ = await fetch(http, run, "hosted page", pay_url)
            form = {"token": token_in(hosted, "token"), "email": email, "action": "pay"}
            _, _, success_url = await fetch(http, run, "pay", pay_url, expect=303, data=form)
            run.paid[email] = item
            done, _, _ = await fetch(http, run, "success page", success_url)
            if b"Thank you for your purchase" not in done or b"/download/" not in done:
                raise Failed("success page", "no thanks and download link on the success page")
            link = await receipt_link(outbox, outbox_name(email), run)
            form_page, _, _ = await fetch(http, run, "sign-in form", shop + link)
            _, _, where = await fetch(http, run, "sign in", shop + link, expect=303,
                                      data={"csrf_token": token_in(form_page, "csrf_token")})
            if not where.endswith("/library"):
                raise Failed("sign in", f"went to {where!r}, not the library")
            shelf, _, _ = await fetch(http, run, "library", shop + "/library")
            if f"/content/{item}/download".encode() not in shelf:
                raise Failed("library", f"{item} is not in the buyer's library")
            _, got, _ = await fetch(http, run, "download", f"{shop}/content/{item}/download", count_only=True)
            if got != size:
                raise Failed("download", f"{got:,} bytes, not {size:,}")
            run.completed += 1
        except Failed as failure:
            run.errors.append(f"buyer {n}: {failure}")


async def visitor(n: int, at: float, shop: str, items: list[str], rng: random.Random, run: Run,
                  longest: float) -> None:
    await asyncio.sleep(at)
    pages = [("visitor catalog", "/"), ("visitor item", f"/content/{rng.choice(items)}"),
             ("visitor page 2", "/?page=2"), ("visitor item", f"/content/{rng.choice(items)}")]
    pauses = [rng.uniform(longest / 7.5, longest) for _ in pages]  # 0.2-1.5 s (shorter in --quick)
    async with client(f"10.2.{n // 250}.{1 + n % 250}") as http:
        try:
            for (step, path), pause in zip(pages, pauses, strict=True):
                await fetch(http, run, step, shop + path)
                await asyncio.sleep(pause)
        except Failed as failure:
            run.errors.append(f"visitor {n}: {failure}")


async def load(shop: str, outbox: Path, items: list[str], paid: list[str], size: int,
               options: argparse.Namespace, run: Run) -> None:
    rng = random.Random(22)  # the same arrivals, items and pauses on both sides
    tasks = [buyer(n, rng.uniform(0, options.duration), shop, outbox, rng.choice(paid), size, run)
             for n in range(options.buyers)]
    longest = min(1.5, options.duration / 20)
    tasks += [visitor(n, rng.uniform(0, options.duration), shop, items, random.Random(n), run, longest)
              for n in range(options.visitors)]
    await asyncio.gather(*tasks)


def start(command: list[str], env: dict[str, str], pattern: str, log: Path | None = None
          ) -> tuple[subprocess.Popen[str], str]:
    """Start a server and read its address from its output; the rest of its output is drained, its
    log (stderr) goes to `log`."""
    with log.open("w") if log else open(os.devnull, "w") as errors:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    assert process.stdout is not None
    for _ in range(40):
        line = process.stdout.readline()
        found = re.search(pattern, line)
        if found:
            threading.Thread(target=lambda: [None for _ in process.stdout or ()], daemon=True).start()
            return process, found.group(0)
        if not line:
            break
    stop(process)
    raise SystemExit(f"{command[3:5]} did not announce its address")


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM the server, then kill what is left of its process tree (its workers)."""
    tree = descendants(process.pid) if process.poll() is None else [process.pid]
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in tree[1:]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def control(stand_in: str, path: str) -> Any:
    request = urllib.request.Request(stand_in + path, headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def webhooks(stand_in: str, run: Run) -> None:
    """Wait for the stand-in's deliveries to settle; their timings and failures go into `run`."""
    deadline = time.monotonic() + 60
    while control(stand_in, "/_local/webhooks")["deliveries"].get("pending") and time.monotonic() < deadline:
        time.sleep(0.2)
    for delivery in control(stand_in, "/_local/deliveries")["data"]:
        for attempt in delivery["attempts"]:
            if attempt["status"] is None or not 200 <= attempt["status"] < 300:
                why = attempt["status"] or attempt["error"]
                run.errors.append(f"webhook attempt {delivery['type']}: {why} (Stripe retries it)")
            elif delivery["type"] == "checkout.session.completed":
                run.times["webhook"].append(attempt["duration_ms"] / 1000)
        if delivery["status"] != "delivered":
            run.errors.append(f"webhook {delivery['type']} {delivery['event']}: {delivery['status']}")


def one_run(base: Path, root: Path, workers: int, has_workers: bool, shop_facts: dict[str, Any],
            options: argparse.Namespace) -> Run:
    data = root / f"run-{workers}-{time.monotonic_ns()}"
    shutil.copytree(base, data)
    env = {**server_env(), "STRIPE_SECRET_KEY": API_KEY, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET}
    cli = [sys.executable, "cli.py"]
    stand_in, stand_url = start([*cli, "stripe-local", "--port", "0", "--retry-base", "0.5"], env,
                                r"http://127\.0\.0\.1:\d+")
    serve = [*cli, "--data", str(data), "serve", "--port", "0", "--trusted-proxy", "127.0.0.1",
             *(["--threads", str(options.threads)] if options.threads else []),
             *(["--workers", str(workers)] if has_workers else [])]
    log = root / f"{data.name}.log"
    run = Run()
    try:
        server, shop = start(serve, {**env, "STRIPE_API_BASE": stand_url}, r"http://127\.0\.0\.1:\d+", log)
        try:
            control_post(stand_url, "/_local/webhooks", {"url": shop + "/stripe/webhook"})
            measure(server, stand_in, shop, data, shop_facts, options, run)
            webhooks(stand_url, run)
        finally:
            stop(server)
    finally:
        stop(stand_in)
    run.errors += check_store(data, run.paid)
    run.server_times = access_times(log)
    shutil.rmtree(data, ignore_errors=True)
    return run


def measure(server: subprocess.Popen[str], stand_in: subprocess.Popen[str], shop: str, data: Path,
            shop_facts: dict[str, Any], options: argparse.Namespace, run: Run) -> None:
    """The load itself, with the CPU of the server tree, the stand-in and this client around it."""
    for path in ("/", f"/content/{shop_facts['items'][0]}"):  # a shop that was already open
        urlopen_ok(shop + path)
    cpu = (tree_cpu_seconds(server.pid), tree_cpu_seconds(stand_in.pid), time.process_time())
    began = time.perf_counter()
    with MemoryWatch(server.pid) as memory:
        asyncio.run(load(shop, data / "outbox", shop_facts["items"], shop_facts["paid"],
                         shop_facts["size"], options, run))
    run.figures = {
        "wall": time.perf_counter() - began,
        "server cpu": tree_cpu_seconds(server.pid) - cpu[0],
        "stand-in cpu": tree_cpu_seconds(stand_in.pid) - cpu[1],
        "client cpu": time.process_time() - cpu[2],
        "rss total": memory.peak_total, "rss process": memory.peak_process,
        "processes": memory.processes,
    }


def control_post(stand_in: str, path: str, form: dict[str, str]) -> None:
    request = urllib.request.Request(stand_in + path, data=urllib.parse.urlencode(form).encode(),
                                     headers={"Authorization": f"Bearer {API_KEY}"})
    urllib.request.urlopen(request, timeout=30).close()


def urlopen_ok(url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(url, headers={"X-Forwarded-For": "10.9.9.9"}),
                           timeout=30).close()


#: The access log's routes, by step (the app's own time: from the WSGI call to its status line, so
#: neither the wait in the server's queue nor the sending of the body).
ROUTES = {
    "catalog": r"GET / ", "item page": r"GET /content/[\w-]+ ", "buy": r"POST /checkout/[\w-]+ ",
    "success page": r"GET /checkout/success ", "webhook": r"POST /stripe/webhook ", "library": r"GET /library ",
    "sign in": r"POST /signin/\S+ ",
}


def access_times(log: Path) -> dict[str, list[float]]:
    found: dict[str, list[float]] = defaultdict(list)
    patterns = {step: re.compile(route + r"\d{3} ([\d.]+)ms") for step, route in ROUTES.items()}
    for line in log.read_text(errors="replace").splitlines():
        for step, pattern in patterns.items():
            match = pattern.search(line)
            if match:
                found[step].append(float(match.group(1)) / 1000)
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else float("nan")


def report(sides: dict[int, list[Run]], options: argparse.Namespace, note: str) -> bool:
    names = [f"{w} worker{'s' if w > 1 else ''}" for w in sides]
    print(f"\nLaunch day: {options.items:,} items, {options.orders:,} past orders; {options.buyers} buyers and "
          f"{options.visitors:,} visitors over {options.duration} s; {options.size_mb} MB downloads; "
          f"{options.threads or 'default'} threads; {options.rounds} round(s) per side, A B / B A{note}")
    print("| step | " + " | ".join(f"{n} p50 ms | {n} p99 ms" for n in names) + " |")
    print("|---|" + "---:|---:|" * len(sides))
    for step in STEPS:
        cells = []
        for runs in sides.values():
            pooled = [t for r in runs for t in r.times.get(step, [])]
            cells.append(f"{pct(pooled, 0.5):,.0f} | {pct(pooled, 0.99):,.0f}")
        label = f"{step} (stand-in)" if step in ("hosted page", "pay") else step
        label = "receipt (wait, not a request)" if step == "receipt" else label
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nThe app's own time per request, from the server's access log (no queueing, no sending):")
    print("| route | " + " | ".join(f"{n} p50 ms | {n} p99 ms" for n in names) + " |")
    print("|---|" + "---:|---:|" * len(sides))
    for step in ROUTES:
        cells = []
        for runs in sides.values():
            pooled = [t for r in runs for t in r.server_times.get(step, [])]
            cells.append(f"{pct(pooled, 0.5):,.0f} | {pct(pooled, 0.99):,.0f}")
        print(f"| {step}{' (buyers and visitors)' if step == 'catalog' else ''} | " + " | ".join(cells) + " |")
    print("\n| side | purchases completed | errors (webhook attempts failed, then retried) | server CPU s (% of a core) | server peak RSS MB, all "
          "processes (largest) | stand-in CPU s (%) | client CPU s (%) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    ok = True
    for name, runs in zip(names, sides.values(), strict=True):
        def med(key: str, runs: list[Run] = runs) -> float:
            return statistics.median(r.figures.get(key, float("nan")) for r in runs)

        def cpu(key: str) -> str:
            return f"{med(key):.1f} ({med(key) / med('wall'):.0%})"

        errors = sum(len(r.errors) for r in runs)
        retried = sum(1 for r in runs for e in r.errors if e.startswith("webhook attempt"))
        print(f"| {name} | {sum(r.completed for r in runs)} / {options.buyers * len(runs)} | {errors} ({retried}) | "
              f"{cpu('server cpu')} | {med('rss total'):,.0f} ({med('rss process'):,.0f}; "
              f"{med('processes'):.0f} process(es)) | {cpu('stand-in cpu')} | {cpu('client cpu')} |")
        for message in [e for r in runs for e in r.errors][:5]:
            print(f"  {name} error: {message}")
        ok = ok and errors == 0 and all(r.completed == options.buyers for r in runs)
    if len(sides) == 2:
        one, more = ([t for r in runs for t in r.times["success page"]] for runs in sides.values())
        print(f"\nsuccess page p99 {names[1]} / {names[0]}: {pct(more, 0.99) / pct(one, 0.99):.2f}×; "
              f"target with 2 workers: p99 <= 250 ms: {'met' if pct(more, 0.99) <= 250 else 'NOT met'}")
    print("checks: 0 errors, every purchase fulfilled exactly once: " + ("OK" if ok else "FAILED"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--buyers", type=int, default=300)
    parser.add_argument("--visitors", type=int, default=2000)
    parser.add_argument("--duration", type=float, default=60, help="seconds over which everyone arrives")
    parser.add_argument("--size-mb", type=int, default=20, help="size of every item's file")
    parser.add_argument("--workers", type=int, default=2, help="the side measured against 1 worker")
    parser.add_argument("--rounds", type=int, default=2, help="A B, then B A, ...")
    parser.add_argument("--threads", type=int, default=0, help="threads per process (default: serve's own)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    options = parser.parse_args()
    if options.quick:
        options.items, options.orders, options.buyers, options.visitors = 20, 100, 6, 16
        options.duration, options.size_mb, options.rounds = 2, 1, 1
    helped = subprocess.run([sys.executable, "cli.py", "serve", "--help"], cwd=REPO, env=server_env(),
                            capture_output=True, text=True).stdout
    has_workers = "--workers" in helped
    counts = [1, options.workers] if has_workers and options.workers > 1 else [1]
    if options.quick and len(counts) > 1:
        counts = counts[1:]  # the suite's check (0 errors, each purchase once) on the workers' side alone
    note = "" if has_workers else (
        "\nNOTE: `paidpdf serve` has no --workers option here: only the 1-worker side ran")
    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-launch-"))
    try:
        print(f"seeding {options.items:,} items and {options.orders:,} orders in {root} ...", flush=True)
        base, facts = build_shop(root, options.items, options.orders, options.size_mb)
        sides: dict[int, list[Run]] = {n: [] for n in counts}
        for round_no in range(options.rounds):
            for workers in counts if round_no % 2 == 0 else counts[::-1]:
                sides[workers].append(one_run(base, root, workers, has_workers, facts, options))
                print(f"round {round_no + 1}: {workers} worker(s) done", flush=True)
        ok = report(sides, options, note)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if not ok:
        failed = [e for runs in sides.values() for r in runs for e in r.errors]
        raise SystemExit("launch checks failed:\n" + "\n".join(failed[:10]))


if __name__ == "__main__":
    main()
