"""The CLI starts without the heavy libraries: reading commands load none of stripe, waitress, bottle,
Jinja2, argon2, pypdfium2, PIL or pypdf (each command imports what it needs when it runs)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paidpdf.accounts import users
from paidpdf.testing.serve_process import REPO
from tests.data_files import state
from tests.demo_seed import seed_demo_folder

HEAVY = ("stripe", "waitress", "bottle", "jinja2", "argon2", "pypdfium2", "PIL", "pypdf", "requests")

#: Runs the real entry point in a fresh interpreter, then reports which heavy modules it loaded.
PROBE = """
import json, runpy, sys
report, args = sys.argv[1], sys.argv[2:]
sys.argv = ["paidpdf", *args]
code = 0
try:
    runpy.run_path("cli.py", run_name="__main__")
except SystemExit as exc:
    code = exc.code or 0
heavy = HEAVY
with open(report, "w") as out:
    json.dump({"code": code, "loaded": [m for m in heavy if m in sys.modules]}, out)
""".replace("HEAVY", repr(HEAVY))


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup") / "shop"
    store = seed_demo_folder(folder)
    users.sign_up(store, "reader@example.com", "correct horse battery")
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["content", "list"],
        ["content", "list", "--json"],
        ["content", "show", "FREE_ITEM"],
        ["orders", "list"],
        ["users", "list"],
        ["db", "info"],
    ],
    ids=" ".join,
)
def test_reading_commands_load_no_heavy_library(shop: Path, tmp_path: Path, args: list[str]) -> None:
    report = tmp_path / "report.json"
    args = [a.replace("FREE_ITEM", _free_item(shop)) for a in args]
    subprocess.run(
        [sys.executable, "-c", PROBE, str(report), "--data", str(shop), *args],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=60,
    )
    result = json.loads(report.read_text())
    assert result["code"] == 0
    assert result["loaded"] == []


def _free_item(shop: Path) -> str:
    catalog = state(shop, "catalog")
    return next(i["id"] for i in catalog["content"].values() if i["price"] == 0)
