"""Serving speed: `paidpdf serve` against a bare WSGI app on the same waitress answering the same bytes.

Not a test: run `python3 bench/serving.py` from the repo root (needs wrk). Options: `--items 1000
--duration 4 --rounds 3 --threads 4 --connections 1,4,32 --pages catalog,item,user catalog,user item
--workers 2`; `--quick` (20 items, 1 s, one round, 4 connections) is what the test suite runs.
The issue's one-worker targets are the 32-connection rows: `python3 bench/serving.py --connections 32`.

The sides, exactly:
- "paidpdf": `paidpdf serve` as shipped (waitress, `--threads`), on a shop of N items (bench/web.py's
  seed), anonymous and logged in (a session cookie).
- "bare": bench/peers/bare_waitress.py, a WSGI app of ten lines on waitress's `create_server` with the
  same threads, poll and connection limit and the same GIL switch interval, answering each page with the
  very bytes `paidpdf serve` sent for it (the catalog and an item page, anonymous and logged in, fetched
  once at start): no routing, no store, no templates, no headers but the length. Every one of its
  requests goes from waitress's loop to a request thread and back; `paidpdf serve` answers a kept page
  in the loop itself (`paidpdf/admin/loop_answers.py`), so a ratio above 100% is possible and means
  that, not a bare app that does more work.
- "workers" (second table, skipped with `--workers 1`): `paidpdf serve --workers N` against
  `--workers 1`, both on the same shop, the anonymous catalog at 32 connections, alternated; CPU is
  summed over the supervisor and its workers; RSS is each worker's VmRSS at idle (after a warm-up, no
  load), and the supervisor's. Only `--workers 2 --connections 32 --pages catalog` is needed for it:
  `python3 bench/serving.py --pages catalog --connections 32 --workers 2`.
Each figure is the median of the rounds, taken in turns bare, paidpdf then paidpdf, bare (so neither side
always goes first). "ratio" is paidpdf / bare (the issue's targets, one worker at 32 connections: ≥ 50%
anonymous, ≥ 40% logged in). CPU per request is the server process's user + system time
(/proc/<pid>/stat) over the requests wrk completed, so time spent waiting for the GIL does not count
but the kernel's share of every socket event does.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from web import cpu_seconds, seed, server_env, start, status_kb  # noqa: E402  (bench/web.py: its shop and helpers)

from paidpdf.admin.server_limits import DEFAULT_THREADS  # noqa: E402
from paidpdf.testing.serve_process import serve_command  # noqa: E402


def wrk(url: str, connections: int, duration: int, cookie: str | None) -> tuple[float, int]:
    """(requests per second, requests completed); any error or non-2xx answer stops the bench."""
    cmd = ["wrk", f"-t{min(2, connections)}", f"-c{connections}", f"-d{duration}s", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses|Socket errors", out):
        raise SystemExit(f"wrk saw errors from {url}:\n{out}")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    done = re.search(r"(\d+) requests in", out)
    assert rps and done, out
    return float(rps.group(1)), int(done.group(1))


def measure(pid: int, url: str, connections: int, duration: int, cookie: str | None) -> tuple[float, float]:
    """(req/s, server CPU ms per request) of one wrk run; the CPU of `pid` and its children (workers)."""
    before = tree_cpu(pid)
    rps, done = wrk(url, connections, duration, cookie)
    return rps, (tree_cpu(pid) - before) * 1000 / max(done, 1)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def tree_cpu(pid: int) -> float:
    """CPU seconds of a server: the process and, under `--workers`, its workers (a worker replaced
    during a run would lose its time; none is, in a bench)."""
    return cpu_seconds(pid) + sum(cpu_seconds(child) for child in children(pid))


def rss_mb(pid: int) -> float:
    return status_kb(pid, "VmRSS") / 1024


def compare_workers(data: Path, env: dict[str, str], options: argparse.Namespace) -> None:
    """`--workers N` against `--workers 1` on the anonymous catalog (see the module's docstring)."""
    count, connections = options.workers, max(int(c) for c in options.connections.split(","))
    one, one_url = start(serve_command(data, options.threads, workers=1), env)
    many, many_url = start(serve_command(data, options.threads, workers=count), env)
    try:
        sides = {"1 worker": (one, one_url), f"{count} workers": (many, many_url)}
        for _, url in sides.values():
            if options.quick:  # the suite checks that the workers' table is made, not its figures
                urllib.request.urlopen(url + "/").read()
            else:
                wrk(url + "/", connections, 1, None)
        time.sleep(0.2 if options.quick else 1)  # idle: what each worker holds between bursts
        idle = {"1 worker": [rss_mb(one.pid)], f"{count} workers": [rss_mb(c) for c in children(many.pid)]}
        supervisor = rss_mb(many.pid)
        results: dict[str, list[tuple[float, float]]] = {}
        for round_no in range(options.rounds):
            order = list(sides) if round_no % 2 == 0 else list(reversed(sides))
            for side in order:
                process, url = sides[side]
                results.setdefault(side, []).append(
                    measure(process.pid, url + "/", connections, options.duration, None))
        base = statistics.median(r for r, _ in results["1 worker"])
        print()
        print(f"Workers: anonymous catalog, {connections} connections, {options.threads} threads per worker, "
              f"medians of {options.rounds} rounds (alternated)")
        print("| server | req/s | × one worker | CPU ms/req | RSS per worker at idle, MB |")
        print("|---|---:|---:|---:|---:|")
        for side in sides:
            rps = statistics.median(r for r, _ in results[side])
            cpu = statistics.median(c for _, c in results[side])
            rss = ", ".join(f"{m:.0f}" for m in idle[side])
            print(f"| {side} | {rps:,.0f} | {rps / base:.2f} | {cpu:.3f} | {rss} |")
        print(f"(supervisor of {count} workers: {supervisor:.0f} MB)")
    finally:
        for process in (one, many):
            process.terminate()
            process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--connections", default="1,4,32")
    parser.add_argument("--pages", default="catalog,item,user catalog,user item")
    parser.add_argument("--workers", type=int, default=2, help="second table: N workers vs 1 (1: skip)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    options = parser.parse_args()
    if options.quick:
        options.items, options.duration, options.rounds, options.connections = 20, 1, 1, "4"
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: run scripts/install-system-deps")
    levels = [int(c) for c in options.connections.split(",")]
    wanted = [p.strip() for p in options.pages.split(",")]

    root = Path(tempfile.mkdtemp(prefix="paidpdf-bench-serving-"))
    data = root / "data"
    data.mkdir()
    env = server_env()
    processes: list[subprocess.Popen[Any]] = []
    try:
        print(f"seeding {options.items} items in {data} ...", flush=True)
        token, _ = seed(data, options.items, 1)
        cookie = f"paidpdf_session={token}"
        ours, ours_url = start(serve_command(data, options.threads), env)
        processes.append(ours)
        item = f"/content/bench-item-{min(3, options.items - 1)}"
        # page name -> (our path, bare path, cookie)
        pages = {
            "catalog": ("/", "/", None),
            "item": (item, item, None),
            "user catalog": ("/", "/user/", cookie),
            "user item": (item, "/user" + item, cookie),
        }
        pairs = []
        for name in wanted:
            path, bare_path, who = pages[name]
            request = urllib.request.Request(ours_url + path, headers={"Cookie": who} if who else {})
            body = urllib.request.urlopen(request).read()
            file = root / f"{name.replace(' ', '-')}.html"
            file.write_bytes(body)
            pairs.append(f"{bare_path}={file}")
            print(f"{name}: {len(body):,} bytes")
        bare, bare_url = start(
            [sys.executable, "bench/peers/bare_waitress.py", str(options.threads), *pairs], env
        )
        processes.append(bare)
        sides = {"bare": (bare, bare_url), "paidpdf": (ours, ours_url)}
        for name in wanted:  # warm up both (page caches, JIT-free but import- and cache-warm)
            for side, (_, url) in sides.items():
                path = pages[name][1] if side == "bare" else pages[name][0]
                who = pages[name][2] if side == "paidpdf" else None
                if options.quick:  # one request: the suite checks that the bench runs, not its figures
                    urllib.request.urlopen(urllib.request.Request(url + path, headers={"Cookie": who} if who
                                                                  else {})).read()
                else:
                    wrk(url + path, 4, 1, who)

        results: dict[tuple[str, str, int], list[tuple[float, float]]] = {}
        for round_no in range(options.rounds):
            order = ["bare", "paidpdf"] if round_no % 2 == 0 else ["paidpdf", "bare"]
            for name in wanted:
                for connections in levels:
                    for side in order:
                        process, url = sides[side]
                        path = pages[name][1] if side == "bare" else pages[name][0]
                        who = pages[name][2] if side == "paidpdf" else None
                        got = measure(process.pid, url + path, connections, options.duration, who)
                        results.setdefault((name, side, connections), []).append(got)
            print(f"round {round_no + 1}/{options.rounds} done", flush=True)

        print()
        print(f"Serving speed, {options.items} items, {options.threads} threads, wrk {options.duration} s, "
              f"medians of {options.rounds} rounds (bare/paidpdf alternated)")
        print("| page | connections | bare req/s | paidpdf req/s | ratio | bare CPU ms/req | paidpdf CPU ms/req |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name in wanted:
            for connections in levels:
                bare_rps = statistics.median(r for r, _ in results[(name, "bare", connections)])
                ours_rps = statistics.median(r for r, _ in results[(name, "paidpdf", connections)])
                bare_cpu = statistics.median(c for _, c in results[(name, "bare", connections)])
                ours_cpu = statistics.median(c for _, c in results[(name, "paidpdf", connections)])
                print(f"| {name} | {connections} | {bare_rps:,.0f} | {ours_rps:,.0f} | "
                      f"{ours_rps / bare_rps:.0%} | {bare_cpu:.3f} | {ours_cpu:.3f} |")
        if options.workers > 1:
            for process in processes:  # alone on the machine's cores for the workers' figures
                process.terminate()
                process.wait(timeout=60)
            processes.clear()
            compare_workers(data, env, options)
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
