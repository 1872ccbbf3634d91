"""Every bench's `--quick` mode runs to the end and prints its table, so a bench can never rot again.
The figures are not judged here (speed is proven by the benches themselves, not by timed tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Modules of bench/ that benches import and that are no bench themselves (no `--quick`).
HELPERS = {"peak_memory.py"}
BENCHES = sorted(p.name for p in (ROOT / "bench").glob("*.py") if p.name not in HELPERS)

pytestmark = pytest.mark.slow

#: A line of each bench's final table that shows it measured both sides.
SHOWS = {
    "content_memory.py": "baseline: peak memory big/small",
    "history.py": "| 300 |",
    "import.py": "| 3,000 |",
    "launch.py": "checks: 0 errors, every purchase fulfilled exactly once: OK",
    "memberships.py": "| embedded | 200 |",
    "scale_out.py": "| 200 |",
    "stamping.py": "| stamped / plain, throughput |",
    "storage.py": "catalog read",
    "upgrade.py": "upgrade: streamed, peak growth",
    "serving.py": "| catalog | 4 |",
    "format_probe.py": "video: big/small time",
    "formats.py": "| zip |",
    "web.py": "catalog, 20 items",
    "webhooks.py": "| 200 | 20 |",
}


def test_every_bench_is_known() -> None:
    assert sorted(SHOWS) == BENCHES


@pytest.mark.parametrize("bench", BENCHES)
def test_quick_mode_runs(bench: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAIDPDF_", "STRIPE_"))}
    done = subprocess.run(
        [sys.executable, f"bench/{bench}", "--quick"],
        cwd=ROOT,
        env={**env, "PAIDPDF_ARGON2_PROFILE": "test"},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert SHOWS[bench] in done.stdout, done.stdout[-2000:]
    assert "from tests" not in (ROOT / "bench" / bench).read_text()  # benches never import test modules
