"""Stamped downloads against the same file unstamped: time to first byte and throughput.

Not a test: run `python3 bench/stamping.py [--mb 50 --pages 300 --rounds 7]`. One `paidpdf serve`
(waitress, the shipped entry point) serves two items made from the very same PDF, one with
`--stamp` and one without, to the same logged-in owner; a plain HTTP client downloads them in turn
(stamped then unstamped, then unstamped then stamped, ..., so neither
always goes first) and reads every byte. Time to first byte is from sending the request
to receiving the first body byte; throughput is bytes over the whole transfer. Medians are shown, and
the ratios that the targets name: first byte within 100 ms of unstamped, throughput at least 90%.
The stamp template is built when stamping is turned on (as `content edit --stamp` does), so the first
stamped download does not wait for it; the first request of each kind is a warm-up. `--quick` (a small
file, 2 rounds) is what the test suite runs.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from fpdf import FPDF  # noqa: E402
from pypdf import PdfReader, PdfWriter  # noqa: E402

from paidpdf.accounts import sessions, users  # noqa: E402
from paidpdf.content import catalog  # noqa: E402
from paidpdf.content.item_options import set_options  # noqa: E402
from paidpdf.ownership import library  # noqa: E402
from paidpdf.store import Store  # noqa: E402
from paidpdf.testing.serve_process import start_serve, stop  # noqa: E402

MIB = 1024 * 1024


def make_book(path: Path, pages: int, mb: int) -> None:
    """`pages` pages of text with a bookmark each, plus `mb` MiB of incompressible attachment."""
    pdf = FPDF(format=(148, 210))
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "", 11)
        pdf.start_section(f"Chapter {number}")
        pdf.multi_cell(0, 5, f"Page {number}. " + "Words on a page. " * 25)
    tmp = path.with_suffix(".base.pdf")
    tmp.write_bytes(bytes(pdf.output()))
    writer = PdfWriter(clone_from=PdfReader(str(tmp)))
    writer.add_attachment("scans.bin", os.urandom(mb * MIB))
    with path.open("wb") as out:
        writer.write(out)
    tmp.unlink()


def fetch(base: str, path: str, cookie: str) -> tuple[float, float, int]:
    """(seconds to the first body byte, seconds in all, bytes) for one download."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    began = time.perf_counter()
    conn.request("GET", path, headers={"Cookie": cookie})
    answer = conn.getresponse()
    assert answer.status == 200, answer.status
    first = answer.read(1)
    ttfb = time.perf_counter() - began
    total = len(first)
    while True:
        block = answer.read(1024 * 1024)
        if not block:
            break
        total += len(block)
    elapsed = time.perf_counter() - began
    conn.close()
    return ttfb, elapsed, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=50)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="a small file, 2 rounds (the test suite)")
    args = parser.parse_args()
    if args.quick:
        args.mb, args.pages, args.rounds = 2, 20, 2
    with tempfile.TemporaryDirectory(prefix="paidpdf-bench-stamp-") as tmp:
        root = Path(tmp)
        data = root / "data"
        book = root / "book.pdf"
        make_book(book, args.pages, args.mb)
        store = Store(data)
        for item_id in ("plain", "stamped"):
            catalog.add_item(
                store, book, title=f"Book {item_id}", price_text="10", currency="usd", item_id=item_id
            )
        built = time.perf_counter()
        set_options(store, "stamped", stamp=True)
        template_seconds = time.perf_counter() - built
        user = users.sign_up(store, "owner@example.com", "correct horse 1")
        for item_id in ("plain", "stamped"):
            library.grant(store, user["id"], item_id)
        cookie = f"paidpdf_session={sessions.open_session(store, user['id'])}"
        env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test"}
        process, url = start_serve(data, env, threads=4)
        try:
            results: dict[str, list[tuple[float, float, int]]] = {"plain": [], "stamped": []}
            for item_id in results:  # warm-up: first request of each kind
                fetch(url, f"/content/{item_id}/download", cookie)
            for round_number in range(args.rounds):  # A B, then B A
                for item_id in ("stamped", "plain") if round_number % 2 == 0 else ("plain", "stamped"):
                    results[item_id].append(fetch(url, f"/content/{item_id}/download", cookie))
        finally:
            stop(process)
    size = {k: v[0][2] for k, v in results.items()}
    ttfb = {k: statistics.median(r[0] for r in v) * 1000 for k, v in results.items()}
    speed = {k: statistics.median(r[2] / r[1] for r in v) / MIB for k, v in results.items()}
    print(
        f"{args.pages} pages, {size['plain'] / MIB:.1f} MiB; stamped copy +{size['stamped'] - size['plain']:,} bytes; "
        f"template built once in {template_seconds:.2f} s; medians of {args.rounds} alternated rounds"
    )
    print("| download | first byte (ms) | throughput (MiB/s) |")
    print("|---|---:|---:|")
    for kind in ("plain", "stamped"):
        print(f"| {kind} | {ttfb[kind]:.1f} | {speed[kind]:.0f} |")
    print(f"| stamped − plain, first byte | {ttfb['stamped'] - ttfb['plain']:+.1f} ms | target ≤ +100 ms |")
    print(f"| stamped / plain, throughput | {speed['stamped'] / speed['plain']:.2f}× | target ≥ 0.90× |")


if __name__ == "__main__":
    main()
