"""Memory and speed of adding a large PDF (`catalog.add_item`: check, hash, copy, render the cover).

Not a test: run `python3 bench/content_memory.py [--big-mb 1024]`. Each measurement runs in a fresh child
process and reports that process's peak RSS (its own VmHWM: `peak_memory.py`). The baseline, in the same
run and on the same files, is the obvious hand-written way (`hashlib.sha256(path.read_bytes())` then
`shutil.copyfile`). The ratio that matters is peak memory for the big file over peak memory for the small
one: ~1 means memory stays flat whatever the file size. The peer is fair for what it measures: it does
the least work that stores the same bytes under the same name (no PDF check, no cover). Runs alternate
paidpdf, baseline, then baseline, paidpdf (A B / B A, so neither always goes first) for at least 3 rounds
and medians are shown; `--quick` (tiny sizes, seconds) is what the test suite runs.
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

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def write_big_pdf(path: Path, payload_mb: int) -> None:
    """A valid one-page PDF carrying `payload_mb` MiB in an extra stream object (like embedded scans)."""
    block = os.urandom(MIB)
    content = b"0.2 0.4 0.8 rg 0 0 420 595 re f"
    offsets: list[int] = []
    with path.open("wb") as out:
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")

        def obj(body: bytes) -> None:
            offsets.append(out.tell())
            out.write(f"{len(offsets)} 0 obj\n".encode() + body + b"\nendobj\n")

        obj(b"<</Type/Catalog/Pages 2 0 R>>")
        obj(b"<</Type/Pages/Kids[3 0 R]/Count 1>>")
        obj(b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 595]/Contents 4 0 R/Resources<<>>>>")
        obj(b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream")
        offsets.append(out.tell())
        out.write(b"5 0 obj\n<</Length %d>>stream\n" % (payload_mb * MIB))
        for _ in range(payload_mb):
            out.write(block)
        out.write(b"\nendstream\nendobj\n")
        xref = out.tell()
        out.write(b"xref\n0 6\n0000000000 65535 f \n")
        for offset in offsets:
            out.write(b"%010d 00000 n \n" % offset)
        out.write(b"trailer\n<</Size 6/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref)


CHILD = r"""
import hashlib, json, shutil, sys, time
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
from peak_memory import peak_mb
mode, src, data = sys.argv[2], Path(sys.argv[3]), Path(sys.argv[4])
start = time.perf_counter()
if mode == "paidpdf":
    from paidpdf.content import catalog
    from paidpdf.store import Store
    item = catalog.add_item(Store(data), src, title="Big", price_text="9.99", currency="usd")
    digest = item["sha256"]
else:
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    (data / "content").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, data / "content" / digest)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb(), "sha256": digest}))
"""


def measure(mode: str, src: Path, scratch: Path) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(dir=scratch))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT), mode, str(src), str(data)],
        check=True,
        capture_output=True,
        text=True,
    )
    subprocess.run(["rm", "-rf", str(data)], check=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=int, default=16)
    parser.add_argument("--big-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=3, help="A B A B ... rounds; medians are shown")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, seconds (run by the test suite)")
    args = parser.parse_args()
    if args.quick:
        args.small_mb, args.big_mb = 1, 8
    with tempfile.TemporaryDirectory(prefix="paidpdf-bench-") as tmp:
        scratch = Path(tmp)
        files = {}
        for label, size in (("small", args.small_mb), ("big", args.big_mb)):
            files[label] = scratch / f"{label}.pdf"
            write_big_pdf(files[label], size)
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        for round_number in range(max(3, args.rounds)):  # paidpdf, baseline; then baseline, paidpdf
            for label in files:
                for mode in ("paidpdf", "baseline") if round_number % 2 == 0 else ("baseline", "paidpdf"):
                    runs.setdefault((mode, label), []).append(measure(mode, files[label], scratch))
        results = {
            key: {
                "seconds": statistics.median(r["seconds"] for r in found),
                "peak_mb": statistics.median(r["peak_mb"] for r in found),
                "sha256": found[0]["sha256"],
            }
            for key, found in runs.items()
        }
        assert results[("paidpdf", "big")]["sha256"] == results[("baseline", "big")]["sha256"]
        print(f"{'':10} {'file':>9} {'peak RSS':>10} {'time':>8} {'MB/s':>8}")
        for mode in ("paidpdf", "baseline"):
            for label in files:
                r = results[(mode, label)]
                mb = files[label].stat().st_size / MIB
                print(
                    f"{mode:10} {mb:7.0f}MB {r['peak_mb']:8.0f}MB {r['seconds']:7.2f}s {mb / r['seconds']:8.0f}"
                )
        for mode in ("paidpdf", "baseline"):
            ratio = results[(mode, "big")]["peak_mb"] / results[(mode, "small")]["peak_mb"]
            print(
                f"{mode}: peak memory big/small = {ratio:.2f}x (file size ratio {args.big_mb / args.small_mb:.0f}x)"
            )


if __name__ == "__main__":
    main()
