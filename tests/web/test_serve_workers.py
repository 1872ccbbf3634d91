"""`paidpdf serve --workers N` on 127.0.0.1: a worker killed with SIGKILL is replaced while the address
keeps answering; SIGHUP replaces every worker while a client loops requests without one refused
connection or error; SIGTERM during a slow download lets it finish (with and without the supervisor);
the access log's queued lines are written on SIGTERM."""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paidpdf.accounts import sessions
from paidpdf.ownership import library
from paidpdf.testing.serve_process import start_serve, stop
from tests.payments.shop import wait_until
from tests.web.site import BIG, Site, copy_seed

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return {int(p) for p in text.split()}


def _env() -> dict[str, str]:
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1"}
    env.pop("PAIDPDF_BASE_URL", None)
    env.pop("PAIDPDF_SMTP_URL", None)
    return env


@pytest.fixture
def two_workers(seeded_template: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    data = copy_seed(seeded_template, tmp_path / "data")
    log = (tmp_path / "server.log").open("w")
    process, url = start_serve(data, _env(), threads=4, workers=2, stderr=log)
    try:
        yield process, url
    finally:
        stop(process)


def _status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=5) as answer:
        answer.read()
        return int(answer.status)


def test_a_killed_worker_is_replaced_and_the_address_keeps_answering(
    two_workers: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    process, url = two_workers
    first = _children(process.pid)
    assert len(first) == 2
    victim, survivor = sorted(first)
    os.kill(victim, signal.SIGKILL)
    assert [_status(url + "/healthz") for _ in range(20)] == [200] * 20  # the other worker answers
    wait_until(lambda: len(_children(process.pid) - first) == 1 and len(_children(process.pid)) == 2,
               timeout=30, what="a new worker in place of the killed one")
    (replacement,) = _children(process.pid) - first
    wait_until(lambda: f"worker {replacement} serves" in (tmp_path / "server.log").read_text(),
               timeout=60, what="the replacement to serve")
    os.kill(survivor, signal.SIGKILL)  # now only the replacement (and the next one) can answer
    assert [_status(url + "/") for _ in range(20)] == [200] * 20
    assert replacement in _children(process.pid)
    assert process.poll() is None


def test_workers_stop_themselves_when_the_supervisor_is_killed(
    two_workers: tuple[subprocess.Popen[str], str],
) -> None:
    process, _url = two_workers
    workers = _children(process.pid)
    process.kill()
    process.wait()
    try:
        wait_until(lambda: all(_state(pid) == "Z" for pid in workers), timeout=30,
                   what="the orphaned workers to stop")
    finally:
        for pid in workers:  # never leave one serving after a failure
            if _state(pid) != "Z":
                os.kill(pid, signal.SIGKILL)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def test_sighup_replaces_every_worker_without_refusing_a_connection(
    two_workers: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = two_workers
    first = _children(process.pid)
    errors: list[str] = []
    answered = 0
    done = threading.Event()

    def loop() -> None:
        nonlocal answered
        while not done.is_set():
            try:
                status = _status(url + "/")
                if status != 200:
                    errors.append(f"status {status}")
                answered += 1
            except Exception as exc:  # a refused or reset connection is what this test looks for
                errors.append(repr(exc))

    clients = [threading.Thread(target=loop) for _ in range(4)]
    for client in clients:
        client.start()
    try:
        wait_until(lambda: answered >= 20, timeout=30, what="requests before the reload")
        process.send_signal(signal.SIGHUP)
        wait_until(lambda: not (_children(process.pid) & first) and len(_children(process.pid)) == 2,
                   timeout=60, what="both workers replaced and the old ones gone")
        during = answered
        wait_until(lambda: answered >= during + 20, timeout=30, what="requests after the reload")
    finally:
        done.set()
        for client in clients:
            client.join(10)
    assert errors == []
    assert answered >= 40


def _slow_download(url: str, cookie: str, on_started: threading.Event, go_on: threading.Event) -> bytes:
    """The whole body, read slowly: after the first MB it waits for `go_on` (the stop under way)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    conn.request("GET", f"/content/{BIG}/download", headers={"Cookie": cookie})
    answer = conn.getresponse()
    assert answer.status == 200
    body = bytearray(answer.read(1 << 20))
    on_started.set()
    assert go_on.wait(30)
    while chunk := answer.read(256 * 1024):
        body += chunk
        time.sleep(0.002)  # a slow reader: the server's send buffer fills again and again
    conn.close()
    return bytes(body)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_during_a_slow_download_lets_it_finish(site: Site, tmp_path: Path, workers: int) -> None:
    owner = site.user("owner@example.com")
    library.keep_free(site.store, owner["id"], BIG)
    content = site.content_bytes(BIG)
    cookie = f"paidpdf_session={sessions.open_session(site.store, owner['id'])}"
    log_path = tmp_path / "server.log"
    env = {**_env(), "PAIDPDF_SHUTDOWN_GRACE": "60"}
    process, url = start_serve(site.data_dir, env, threads=4, workers=workers, stderr=log_path.open("w"))
    try:
        started, go_on = threading.Event(), threading.Event()
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(_slow_download(url, cookie, started, go_on)))
        reader.start()
        assert started.wait(30)
        process.send_signal(signal.SIGTERM)
        wait_until(lambda: "stopping: answering the requests under way" in log_path.read_text(),
                   timeout=10, what="the server's stop to begin")
        go_on.set()
        reader.join(60)
        assert process.wait(timeout=60) == 0
    finally:
        stop(process)
    assert got and got[0] == content  # every byte, after the stop began
    assert "still busy after the grace period" not in log_path.read_text()


def test_queued_log_lines_are_written_on_sigterm(seeded_template: Path, tmp_path: Path) -> None:
    """A burst of requests, SIGTERM right after: every request's access-log line is on stderr."""
    data = copy_seed(seeded_template, tmp_path / "data")
    log_path = tmp_path / "server.log"
    process, url = start_serve(data, _env(), threads=4, stderr=log_path.open("w"))
    try:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        for n in range(300):
            conn.request("GET", f"/missing-page-{n:04d}")
            answer = conn.getresponse()
            answer.read()
        conn.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        stop(process)
    text = log_path.read_text()
    assert all(f"/missing-page-{n:04d} 404" in text for n in range(300))


def test_sighup_to_one_process_is_ignored_not_fatal(seeded_template: Path, tmp_path: Path) -> None:
    data = copy_seed(seeded_template, tmp_path / "data")
    log_path = tmp_path / "server.log"
    process, url = start_serve(data, _env(), threads=2, stderr=log_path.open("w"))
    try:
        process.send_signal(signal.SIGHUP)
        wait_until(lambda: "SIGHUP ignored" in log_path.read_text(), timeout=10, what="the SIGHUP noted")
        assert _status(url + "/healthz") == 200 and process.poll() is None
    finally:
        stop(process)
