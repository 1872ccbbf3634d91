"""What opening a shop of an earlier release costs: its large bases have no `*.index` yet.

Not a test: run `python3 bench/upgrade.py [--sizes 100000,1000000] [--whole-max 100000]` from the repo
root; `--quick` (a small shop, seconds) is what the test suite runs.

Each size N is a data folder whose `sales.json` holds N paid orders (about 1 KB each, with their
history) and N library entries, written as an earlier release wrote it (no index). A fresh process
opens it as the store does now (the base is streamed once and its index written, `base_scan.py`)
and answers a first lookup; its peak RSS growth (VmHWM less the RSS before opening) and time are
printed, then the same for a second process (the index is read, not rebuilt). The peer is what the
upgrade did before: the base parsed whole and kept, measured on a copy in the same run, up to
`--whole-max` orders (at a million it needs several GB).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from paidpdf.testing.old_bases import measure_open, write_old_shop


def _mb(kb: int) -> str:
    return f"{kb / 1024:,.0f} MB"


def run(sizes: list[int], whole_max: int) -> None:
    rows = []
    for orders in sizes:
        with tempfile.TemporaryDirectory(prefix="paidpdf-upgrade-") as tmp:
            folder = Path(tmp) / "shop"
            started = time.perf_counter()
            base = write_old_shop(folder, orders)
            made = time.perf_counter() - started
            size = base.stat().st_size
            whole = None
            if orders <= whole_max:
                shutil.copytree(folder, Path(tmp) / "reference")
                whole = measure_open(Path(tmp) / "reference", "whole")
                shutil.rmtree(Path(tmp) / "reference")
            streamed = measure_open(folder)
            reopened = measure_open(folder)
            assert streamed["on_disk"] and reopened["on_disk"], (streamed, reopened)
            rows.append((orders, size, made, streamed, reopened, whole))
            print(f"  {orders:,} orders done", file=sys.stderr)
    print()
    print("| orders | sales.json | upgrade: streamed, peak growth | time | parsed whole (before), peak growth "
          "| time | next open: peak growth | time |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for orders, size, _made, streamed, reopened, whole in rows:
        before = (
            (_mb(whole["growth_kb"]), f"{whole['seconds']:.2f} s") if whole else ("not run", "(--whole-max)")
        )
        print(
            f"| {orders:,} | {size / 1e6:,.0f} MB | {_mb(streamed['growth_kb'])} | {streamed['seconds']:.2f} s "
            f"| {before[0]} | {before[1]} | {_mb(reopened['growth_kb'])} | {reopened['seconds']:.3f} s |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000", help="orders per shop, comma-separated")
    parser.add_argument("--whole-max", type=int, default=100_000, help="largest shop also parsed whole")
    parser.add_argument("--quick", action="store_true", help="one small shop (what the tests run)")
    args = parser.parse_args()
    if args.quick:
        run([9000], 9000)  # just above the size from which bases stay on disk (8 MB)
        return
    run([int(s) for s in args.sizes.split(",")], args.whole_max)


if __name__ == "__main__":
    main()
