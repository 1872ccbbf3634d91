"""`reader:app` for WSGI servers: without a listen address it cannot know the shop is private, so it
needs PAIDPDF_SECRET_KEY and PAIDPDF_BASE_URL unless PAIDPDF_DEV=1; mistakes are one line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = "k" * 48


def _import_reader(data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PAIDPDF_", "STRIPE_"))}
    code = "import reader; print(type(reader.app).__name__)"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**clean, "PAIDPDF_ARGON2_PROFILE": "test", "PAIDPDF_DATA": str(data), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "PAIDPDF_SECRET_KEY and PAIDPDF_BASE_URL must be set"),
        ({"PAIDPDF_SECRET_KEY": KEY}, "PAIDPDF_BASE_URL must be set"),
        ({"PAIDPDF_BASE_URL": "https://shop.example.com"}, "PAIDPDF_SECRET_KEY must be set"),
    ],
)
def test_reader_refuses_to_start_without_a_key_and_a_base_url(
    tmp_path: Path, env: dict[str, str], missing: str
) -> None:
    result = _import_reader(tmp_path, **env)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]  # one line, no traceback
    assert missing in result.stderr and "PAIDPDF_DEV=1" in result.stderr


def test_reader_starts_when_configured_or_in_dev_mode(tmp_path: Path) -> None:
    configured = _import_reader(tmp_path, PAIDPDF_SECRET_KEY=KEY, PAIDPDF_BASE_URL="https://shop.example.com")
    assert configured.returncode == 0 and configured.stdout.strip() == "ReaderApp", configured.stderr
    dev = _import_reader(tmp_path, PAIDPDF_DEV="1")
    assert dev.returncode == 0 and dev.stdout.strip() == "ReaderApp", dev.stderr
