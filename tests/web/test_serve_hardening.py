"""A real `paidpdf serve` under the attacks an audit tried: hundreds of idle and slowloris connections,
oversized requests waitress answers itself, and a burst of password hashes that must queue instead of
exhausting memory."""

from __future__ import annotations

import contextlib
import os
import re
import socket
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from paidpdf.testing.serve_process import start_serve, stop
from tests.web.site import copy_seed

pytestmark = pytest.mark.slow


def _get(url: str, timeout: float) -> tuple[int, float]:
    began = time.monotonic()
    with urllib.request.urlopen(url, timeout=timeout) as answer:
        answer.read()
        return answer.status, time.monotonic() - began


@pytest.fixture
def server(seeded_template: Path, tmp_path: Path) -> Iterator[tuple[str, int]]:
    yield from _serving(seeded_template, tmp_path, workers=1)


@pytest.fixture(params=[1, 2], ids=["one-process", "two-workers"])
def any_server(
    seeded_template: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[str, int]]:
    """One process, and `--workers 2` (the supervisor's shared socket): both must hold."""
    yield from _serving(seeded_template, tmp_path, workers=request.param)


def _serving(seeded_template: Path, tmp_path: Path, workers: int) -> Iterator[tuple[str, int]]:
    data = copy_seed(seeded_template, tmp_path / "data")
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test"}
    env.pop("PAIDPDF_BASE_URL", None)
    log = (tmp_path / "server.log").open("w")
    process, url = start_serve(data, env, threads=4, workers=workers, stderr=log)
    try:
        yield url, process.pid
    finally:
        stop(process)


#: Header lines each slowloris request trickles in (one a second) while the site is probed.
TRICKLES = 5


@pytest.mark.solo  # a latency bound: alone, even under xdist
def test_idle_and_slowloris_connections_do_not_take_the_site_offline(any_server: tuple[str, int]) -> None:
    url, _pid = any_server
    port = int(url.rsplit(":", 1)[1])
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(300)]
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(50)]
    stop_sending = threading.Event()
    trickled = [0]  # header lines each slow request has sent so far

    def trickle() -> None:  # slowloris: a request that never ends, one header line every second
        for s in slow:
            s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop_sending.wait(1.0):
            trickled[0] += 1
            for s in slow:
                with contextlib.suppress(OSError):
                    s.sendall(f"X-Slow-{trickled[0]}: x\r\n".encode())

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    worst = 0.0
    probes = 0
    try:
        # The attack lasts until the site has been probed 40 times and every slow request has sent
        # TRICKLES more header lines (each one a wake-up of the server for a request that never
        # ends); a cap for a runaway test, not a speed check, ends it otherwise.
        deadline = time.monotonic() + 60
        while probes < 40 or trickled[0] < TRICKLES:
            assert time.monotonic() < deadline, (probes, trickled[0])
            for path in ("/healthz", "/"):
                status, took = _get(url + path, timeout=1.0)  # a timeout here fails the test
                assert status == 200
                worst = max(worst, took)
                probes += 1
            time.sleep(0.2)
    finally:
        stop_sending.set()
        sender.join(5)
        for s in idle + slow:
            s.close()
    assert probes >= 40 and trickled[0] >= TRICKLES and worst < 1.0, (probes, trickled[0], worst)


def _raw_answer_head(port: int, request: bytes) -> str:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (100 * 1024) + b"\r\n\r\n", 431),
        (b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5000000\r\n\r\n" + b"a" * 65536, 413),
        (b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: nope\r\n\r\n", 400),
    ],
)
def test_answers_waitress_gives_itself_carry_the_security_headers(
    server: tuple[str, int], request_bytes: bytes, status: int
) -> None:
    url, _pid = server
    head = _raw_answer_head(int(url.rsplit(":", 1)[1]), request_bytes)
    assert re.match(rf"HTTP/1\.[01] {status} ", head), head
    assert "Content-Security-Policy: default-src 'self'" in head and "X-Frame-Options: DENY" in head


def _vm(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match is not None
    return int(match.group(1)) * 1024


def test_a_burst_of_logins_queues_for_hash_slots_instead_of_exhausting_memory(
    seeded_template: Path, tmp_path: Path
) -> None:
    """Production argon2 (64 MiB per hash) and 2 hash slots: 16 parallel logins on 8 threads."""
    data = copy_seed(seeded_template, tmp_path / "data")
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "production", "PAIDPDF_HASH_CONCURRENCY": "2"}
    env.pop("PAIDPDF_BASE_URL", None)
    process, url = start_serve(data, env, threads=8, stderr=(tmp_path / "server.log").open("w"))
    try:
        _get(url + "/healthz", timeout=5)
        page = urllib.request.urlopen(url + "/login", timeout=5)
        cookie = page.headers["Set-Cookie"].split(";")[0]
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.read().decode())
        assert token is not None
        before = _vm(process.pid, "VmRSS")
        statuses: list[int] = []

        def attempt(i: int) -> None:
            body = urllib.parse.urlencode(
                {"csrf_token": token.group(1), "email": f"nobody{i}@example.com", "password": "x" * 12}
            ).encode()
            request = urllib.request.Request(url + "/login", body, headers={"Cookie": cookie})
            try:
                urllib.request.urlopen(request, timeout=60)
            except urllib.error.HTTPError as exc:
                statuses.append(exc.code)

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(90)
        peak = _vm(process.pid, "VmHWM")
    finally:
        stop(process)
    assert statuses.count(400) == 16  # every one was answered (wrong email or password), none failed
    grown = peak - before
    print(f"server RSS grew by {grown / 2**20:.0f} MiB during 16 parallel production-profile logins")
    assert grown < 3 * 64 * 2**20, f"RSS grew by {grown / 2**20:.0f} MiB (8 parallel hashes would be 512)"
