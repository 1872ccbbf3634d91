"""tests/backend_check.py refuses to collect a BOTH_BACKENDS module with a test that runs on one backend
only, and lets a module that keeps the promise through. Each case runs pytest on a tiny module in tmp_path,
with the suite's own conftest (its `backend` parametrization and the check's registration)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

GOOD = '''
import pytest

BOTH_BACKENDS = True


def test_on_both(backend):
    assert backend in ("embedded", "postgresql")


@pytest.mark.embedded_only(reason="a damaged data file")
def test_damaged_file(backend):
    assert backend == "embedded"
'''

OWN_STORE = '''
BOTH_BACKENDS = True


def test_on_both(backend):
    assert backend


def test_builds_its_own_store(tmp_path):
    assert tmp_path
'''

NO_REASON = '''
import pytest

BOTH_BACKENDS = True


@pytest.mark.embedded_only
def test_damaged_file(backend):
    assert backend == "embedded"
'''

ONE_BACKEND = '''
BOTH_BACKENDS = False


def test_plain(tmp_path):
    assert tmp_path
'''


def collect(folder: Path, modules: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    folder.mkdir()
    (folder / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers -p no:cacheprovider\n")
    for name, text in modules.items():
        (folder / name).write_text(text)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *args],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120,
    )


def test_a_test_on_one_backend_or_without_a_reason_fails_collection_by_name(tmp_path: Path) -> None:
    done = collect(tmp_path / "bad", {"test_own.py": OWN_STORE, "test_reasonless.py": NO_REASON})
    out = done.stdout + done.stderr
    assert done.returncode == 4, out  # a usage error: nothing runs
    assert "test_own.py::test_builds_its_own_store: the module says BOTH_BACKENDS = True" in out
    assert "test_reasonless.py::test_damaged_file: marked embedded_only without a reason" in out
    assert "test_own.py::test_on_both" not in out.split("do not run on both backends")[1]


def test_a_module_that_keeps_its_promise_is_collected(tmp_path: Path) -> None:
    done = collect(tmp_path / "good", {"test_good.py": GOOD, "test_plain.py": ONE_BACKEND})
    assert done.returncode == 0, done.stdout + done.stderr
    for item in (
        "test_good.py::test_on_both[embedded]",
        "test_good.py::test_on_both[postgresql]",
        "test_good.py::test_damaged_file",
        "test_plain.py::test_plain",
    ):
        assert item in done.stdout, done.stdout
    # picking one backend by node id or -k is a selection, not a broken promise
    picked = "test_good.py::test_on_both[embedded]"
    one = collect(tmp_path / "one", {"test_good.py": GOOD}, picked, "-k", "both")
    assert one.returncode == 0 and "1 test collected" in one.stdout, one.stdout + one.stderr
