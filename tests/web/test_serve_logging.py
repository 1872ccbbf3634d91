"""`paidpdf serve`'s access log is written by one writer thread, never by the threads answering
requests (written by them, each line held a lock across a write() and, under load, cost half a
catalog request: docs/web.md "Serving speed")."""

from __future__ import annotations

import http.client
import os
import subprocess
from pathlib import Path

import pytest

from paidpdf.testing.serve_process import start_serve, stop
from tests.web.site import copy_seed

pytestmark = pytest.mark.slow


def test_a_stalled_log_reader_never_stalls_a_request(seeded_template: Path, tmp_path: Path) -> None:
    """stderr is a pipe nobody reads: once its 64 KB buffer is full a write() blocks. 2,000 log lines
    (about 100 KB) later every request is still answered."""
    data = copy_seed(seeded_template, tmp_path / "data")
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test"}
    env.pop("PAIDPDF_BASE_URL", None)
    process, url = start_serve(data, env, threads=4, stderr=subprocess.PIPE)
    try:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
        for n in range(2000):
            connection.request("GET", f"/a-missing-page-with-a-long-name-for-a-long-log-line-{n:05d}")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 404
        connection.close()
    finally:
        stop(process)
