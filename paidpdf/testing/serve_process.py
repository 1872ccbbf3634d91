"""`paidpdf serve` as a real child process, for tests (and benches) that need the shipped entry point.

Shared so every such test starts the server the same way (free port, URL read from its first line) and
never leaves one running: `stop` terminates, then kills what does not stop in time.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

REPO = Path(__file__).resolve().parents[2]
_ANNOUNCED = re.compile(r"http://127\.0\.0\.1:\d+")


def serve_command(data: Path, threads: int, port: int = 0, workers: int = 1) -> list[str]:
    """`cli.py --data DATA serve` on `port` (0: a free one; it prints the URL it bound). One worker by
    default (no supervisor: the process is the server, so its pid's CPU and memory are the server's)."""
    return [
        sys.executable, "cli.py", "--data", str(data), "serve", "--port", str(port),
        "--threads", str(threads), "--workers", str(workers),
    ]


def start_serve(
    data: Path,
    env: dict[str, str],
    *,
    threads: int,
    stderr: int | IO[Any] = subprocess.DEVNULL,
    port: int = 0,
    workers: int = 1,
) -> tuple[subprocess.Popen[str], str]:
    """Start the site and wait for its announced URL; a server that does not announce one is stopped."""
    command = serve_command(data, threads, port, workers)
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=stderr, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    match = _ANNOUNCED.search(line)
    if not match:
        stop(process)
        raise AssertionError(f"serve did not announce its URL: {line!r}")
    return process, match.group(0)


def stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
