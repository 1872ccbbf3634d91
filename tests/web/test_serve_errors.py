"""`paidpdf serve` start-up messages through the real entry point: a busy port or a bad --host is one
clear line and a non-zero exit; a shop without Stripe keys starts but warns that payments are off."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from paidpdf.testing.serve_process import REPO, start_serve, stop


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "PAIDPDF_"))}
    return {**env, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1"}


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "cli.py", "--data", str(tmp_path / "data"), "serve", *args],
        cwd=REPO,
        env=_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and "Traceback" not in result.stderr
    return lines[0]


def test_busy_port_names_the_address_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = _one_error_line(_serve(tmp_path, "--host", "127.0.0.1", "--port", str(port)))
    assert f"127.0.0.1:{port}" in line and "already in use" in line


def test_invalid_host_says_so_not_missing_key(tmp_path: Path) -> None:
    line = _one_error_line(_serve(tmp_path, "--host", "256.1.1.1", "--port", "0"))
    assert "256.1.1.1" in line and "not a valid address" in line
    assert "SECRET_KEY" not in line


def test_serve_without_stripe_keys_warns_at_start_up(tmp_path: Path) -> None:
    with tempfile.TemporaryFile("w+") as errors:
        process, url = start_serve(tmp_path / "data", _env(), threads=2, stderr=errors)
        stop(process)
        errors.seek(0)
        text = errors.read()
    assert url.startswith("http://127.0.0.1:")
    warnings = [line for line in text.splitlines() if "WARNING" in line and "payments are off" in line]
    assert any("STRIPE_SECRET_KEY" in w for w in warnings), text
    assert any("STRIPE_WEBHOOK_SECRET" in w for w in warnings), text
