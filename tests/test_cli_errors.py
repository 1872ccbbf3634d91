"""The CLI's error contract, exercised through the real entry point in a subprocess:
one line on stderr, a non-zero exit, never a traceback or a usage box."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("content", "add", "a.pdf"), "Missing option '--title'"),
        (("users", "list", "--bogus"), "No such option: --bogus"),
        (("serve", "--port", "99999"), "--port"),
        (("nosuch",), "No such command 'nosuch'"),
        (("users", "add", "z@example.com"), "--password-stdin"),
        (("content", "show", "no-such-item"), "no item 'no-such-item'"),
    ],
)
def test_mistakes_are_one_line_and_nonzero(tmp_path: Path, args: tuple[str, ...], needle: str) -> None:
    (tmp_path / "data").mkdir()
    result = run("--data", str(tmp_path / "data"), *args, cwd=tmp_path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert needle in lines[0]
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_empty_data_option_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    result = run("--data", "", "content", "list", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: --data needs a folder path (it was empty)"
    assert list(tmp_path.iterdir()) == []


def test_help_and_version_still_exit_zero(tmp_path: Path) -> None:
    assert run("--version", cwd=tmp_path).stdout.startswith("paidpdf ")
    helped = run("content", "--help", cwd=tmp_path)
    assert helped.returncode == 0
    assert "add" in helped.stdout
