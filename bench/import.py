"""What importing a creator's Gumroad export costs: `paidpdf import gumroad` against the csv module alone.

Not a test: run `python3 bench/import.py [--rows 100000] [--rounds 2]` from the repo root; `--quick` (a
small export, seconds) is what the test suite runs.

One export of N rows in Gumroad's current 72-column layout (dollars as floats, a closing "Totals"
row, a license key on one row in five, one refund in seventeen, about N/3 distinct buyers) is written
once. Each round runs, each in a fresh process, the peer (the same file read by Python's csv module
alone, every row touched) and the import into a fresh data folder (accounts, library entries, keys,
in batched units); rounds alternate A B / B A, and the table shows medians: time, peak memory
(VmHWM of the process: `peak_memory.py`), and the import's ratio to the peer. The promise: 100,000 rows in under 2
minutes with a peak under 200 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paidpdf.testing.platform_exports import Sale, gumroad

ROOT = Path(__file__).resolve().parent.parent

#: Peak resident memory of the child: VmHWM (ru_maxrss would keep the parent's across fork and exec).
PEAK = """
from peak_memory import status_kb
def peak():
    return status_kb("self", "VmHWM")
"""

PEER = (
    PEAK
    + """
import csv, json, sys, time
started = time.perf_counter()
rows = 0
with open(sys.argv[1], newline="", encoding="utf-8-sig") as handle:
    for row in csv.reader(handle):
        rows += len(row[0]) > 0
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_kb": peak(), "rows": rows}))
"""
)

IMPORT = (
    PEAK
    + """
import json, sys, time
from pathlib import Path
from paidpdf.imports import apply, mapping
from paidpdf.store import Store
store = Store(Path(sys.argv[2]))
started = time.perf_counter()
mapped = mapping.parse(store, ["qmgy=guide", "Freebie=freebie"], None)
report = apply.run(store, "gumroad", Path(sys.argv[1]), mapped)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "peak_kb": peak(), "rows": report.rows,
                  "granted": report.granted}))
"""
)


def _shop(folder: Path, pdf: Path) -> None:
    from paidpdf.content import catalog
    from paidpdf.store import Store

    folder.mkdir()
    store = Store(folder)
    catalog.add_item(store, pdf, title="The Guide", price_text="19.99", currency="usd", item_id="guide")
    catalog.add_item(store, pdf, title="Freebie", price_text="0", currency="usd", item_id="freebie")


def _pdf(path: Path) -> Path:
    from fpdf import FPDF

    doc = FPDF()
    doc.add_page()
    doc.set_font("helvetica", size=12)
    doc.cell(text="Bench")
    doc.output(str(path))
    return path


def _child(code: str, *args: str) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "bench")])}
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    return dict(json.loads(done.stdout))


def run(rows: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="paidpdf-import-bench-") as tmp:
        folder = Path(tmp)
        sales = (
            Sale(
                f"P{n:07d}==",
                f"buyer{n % max(1, rows // 3)}@example.com",
                "qmgy" if n % 4 else "frre",
                "Freebie",
                0 if n % 4 == 0 else 1999,
                state="refunded" if n % 17 == 0 else "paid",
                key=f"{n:08X}-C11D4B06-A2335A6B-8C079166" if n % 5 == 0 else "",
                uses=n % 3,
                day=1 + n % 28,
            )
            for n in range(rows)
        )
        export = gumroad(folder / "Sales.csv", sales)
        pdf = _pdf(folder / "guide.pdf")
        peer: list[dict[str, float]] = []
        ours: list[dict[str, float]] = []
        for index in range(rounds):
            shop = folder / f"shop{index}"
            _shop(shop, pdf)
            order = ("peer", "import") if index % 2 == 0 else ("import", "peer")
            for side in order:
                if side == "peer":
                    peer.append(_child(PEER, str(export)))
                else:
                    ours.append(_child(IMPORT, str(export), str(shop)))
            print(f"  round {index + 1} done", file=sys.stderr)
        size = export.stat().st_size
    t_peer = statistics.median(p["seconds"] for p in peer)
    t_ours = statistics.median(p["seconds"] for p in ours)
    m_peer = statistics.median(p["peak_kb"] for p in peer) / 1024
    m_ours = statistics.median(p["peak_kb"] for p in ours) / 1024
    print()
    print(
        "| rows | file | csv module alone: time | peak | paidpdf import: time | peak | import / csv, time "
        "| under 2 min and 200 MB |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    verdict = "yes" if t_ours < 120 and m_ours < 200 else "NO"
    print(
        f"| {rows:,} | {size / 1e6:,.1f} MB | {t_peer:.2f} s | {m_peer:,.0f} MB | {t_ours:.1f} s "
        f"| {m_ours:,.0f} MB | {t_ours / t_peer:,.0f}x | {verdict} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the export")
    parser.add_argument("--rounds", type=int, default=2, help="rounds, alternating A B / B A")
    parser.add_argument("--quick", action="store_true", help="a small export (what the tests run)")
    args = parser.parse_args()
    if args.quick:
        run(3000, 2)
        return
    run(args.rows, args.rounds)


if __name__ == "__main__":
    main()
