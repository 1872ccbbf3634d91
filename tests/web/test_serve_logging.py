"""`paidpdf serve`'s access log is written by one writer thread, never by the threads answering
requests (written by them, each line held a lock across a write() and, under load, cost half a
catalog request: docs/web.md "Serving speed")."""

from __future__ import annotations

import http.client
import os
import subprocess
import threading
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
    assert process.stderr is not None
    log: list[str] = []
    try:
        connection = http.client.HTTPConnection(url.removeprefix("http://"), timeout=5)
        for n in range(2000):
            connection.request("GET", f"/a-missing-page-with-a-long-name-for-a-long-log-line-{n:05d}")
            answer = connection.getresponse()
            answer.read()
            assert answer.status == 404
        connection.close()
    finally:
        # Only now is the pipe read: a graceful stop writes every queued line first, so with the pipe
        # still full it could never end (`stop` would wait its 10 s, then kill -9).
        reader = threading.Thread(target=lambda: log.extend(process.stderr or []), daemon=True)
        reader.start()
        stop(process)
        reader.join(10)
    assert process.returncode == 0, process.returncode  # it stopped by itself, not killed
    assert any("long-log-line-01999" in line for line in log)  # the queued lines were written out


def test_the_log_queue_is_bounded_and_written_out_on_stop() -> None:
    """A writer stuck on a stalled stderr: the queue holds at most its capacity, the rest is counted
    (and said once the writer catches up), and `stop` writes every line that was queued."""
    import logging
    import threading

    from paidpdf.admin.log_writer import LogWriter

    written: list[str] = []
    stalled = threading.Event()

    class Stalling(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            stalled.wait(10)  # stderr nobody reads
            written.append(record.getMessage())

    handler = Stalling()
    root = logging.getLogger()
    saved = root.handlers[:]
    for other in saved:
        root.removeHandler(other)
    root.addHandler(handler)
    try:
        writer = LogWriter(capacity=50)
        for n in range(200):
            writer.access(("GET", f"/page-{n:03d}", "200", 1.0, ""))
        assert len(writer.lines) <= 50  # bounded, whatever the writer's state
        queued_or_taken = 200 - writer.missed
        stalled.set()
        writer.stop()
    finally:
        root.removeHandler(handler)
        for other in saved:
            root.addHandler(other)
    pages = [line for line in written if "/page-" in line]
    assert len(pages) == queued_or_taken and queued_or_taken <= 51  # at most one was being written
    assert pages == sorted(pages)  # in order
    said = [line for line in written if "log lines were not written" in line]
    assert said and str(200 - queued_or_taken) in said[0]
