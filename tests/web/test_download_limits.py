"""Download limits count bytes, reserved before they are sent (issue 20, item 4).

A limit of L is a budget of L × size bytes per owner and version (`download_budget`): ranges that stop
one byte short cost what they carry, N parallel GETs at 0 of L serve at most L whole copies (a real
`paidpdf serve` with 8 threads), and a resume after a broken connection costs only its own bytes,
so an owner with one download left still finishes an interrupted one. Runs on the data folder and on
PostgreSQL (`BOTH_BACKENDS`); the object store's variants are in test_object_files.py.
"""

from __future__ import annotations

import http.client
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from paidpdf.accounts import sessions
from paidpdf.content import catalog
from paidpdf.content.item_options import set_options
from paidpdf.ownership import download_budget, download_log, library
from paidpdf.store import SALES
from paidpdf.testing.serve_process import start_serve, stop
from tests.catalog.files import pdf_bytes
from tests.payments.shop import wait_until
from tests.web.site import BIG, PAID, Site, logged_in

BOTH_BACKENDS = True
URL = f"/content/{PAID}/download"


def _charged(site: Site, email: str, content_id: str, version: int = 1) -> int:
    user = site.user(email)
    return download_budget.charged(site.store.view(SALES), user["id"], content_id, version, download_log.seed)


def test_ranges_that_stop_one_byte_short_cost_their_bytes(site: Site) -> None:
    set_options(site.store, PAID, download_limit=2)
    app = logged_in(site, "owner")
    content = site.content_bytes(PAID)
    size = len(content)
    served = 0
    for _ in range(6):
        res = app.get(URL, headers={"Range": f"bytes=0-{size - 2}"}, status="*")
        if res.status_int == 206:
            assert res.body == content[: size - 1]
            served += 1
        else:
            assert res.status_int == 403 and "as many as the shop allows" in res.text
            assert "Content-Range" not in res.headers and not res.body.startswith(b"%PDF")
    assert served == 2  # two near-complete copies; a third does not fit in the budget (2 × size)
    app.get(URL, status=403)
    assert _charged(site, "owner@example.com", PAID) == 2 * (size - 1)
    last = app.get(URL, headers={"Range": f"bytes={size - 2}-"}, status=206)  # what is left: served
    assert last.body == content[-2:]
    app.get(URL, headers={"Range": "bytes=0-0"}, status=403)  # now every use is spent
    app.head(URL, status=403)


def test_a_piece_and_its_resume_cost_one_download(site: Site) -> None:
    set_options(site.store, PAID, download_limit=2)
    app = logged_in(site, "owner")
    content = site.content_bytes(PAID)
    size = len(content)
    head = app.get(URL, headers={"Range": "bytes=0-99"}, status=206).body
    rest = app.get(URL, headers={"Range": "bytes=100-"}, status=206).body
    assert head + rest == content  # one copy, in two pieces
    assert app.get(URL).body == content  # the second use
    app.get(URL, status=403)
    app.get(URL, headers={"Range": f"bytes={size - 10}-"}, status=403)
    owner = site.user("owner@example.com")
    download_log.reset(site.store, owner["id"], PAID)
    assert _charged(site, "owner@example.com", PAID) == 0
    assert app.get(URL).body == content


def test_near_complete_stamped_copies_count_too(site: Site, tmp_path: Path) -> None:
    """A stamped copy's budget is its own length (the original plus the owner's tail)."""
    path = tmp_path / "stamped.pdf"
    path.write_bytes(pdf_bytes(pages=3, title="Stamped and limited"))
    catalog.add_item(site.store, path, title="Stamped", price_text="3", currency="usd", item_id="stamped-ltd")
    library.grant(site.store, site.user("owner@example.com")["id"], "stamped-ltd")
    set_options(site.store, "stamped-ltd", stamp=True, download_limit=2)
    app = logged_in(site, "owner")
    url = "/content/stamped-ltd/download"
    whole = app.head(url)
    size, etag = int(whole.headers["Content-Length"]), whole.headers["ETag"]
    assert size > path.stat().st_size  # the tail is part of the copy
    answers = [app.get(url, headers={"Range": f"bytes=0-{size - 2}"}, status="*") for _ in range(6)]
    assert [a.status_int for a in answers] == [206, 206, 403, 403, 403, 403]
    assert all(a.headers["ETag"] == etag for a in answers[:2])  # stable per owner and version
    assert answers[0].body == answers[1].body
    assert app.get(url, headers={"Range": f"bytes={size - 2}-", "If-Range": etag}, status=206).body
    app.get(url, status=403)


def test_earlier_logged_downloads_still_count(site: Site) -> None:
    """A shop that counted completed downloads before: the budget starts from the log."""
    content = site.content_bytes(PAID)
    owner = site.user("owner@example.com")
    for _ in range(2):
        download_log.record(site.store, download_log.Delivery(
            owner["id"], PAID, 1, 0, len(content), len(content), "198.51.100.1"))
    set_options(site.store, PAID, download_limit=2)
    logged_in(site, "owner").get(URL, status=403)


# -- a real server ---------------------------------------------------------------------------------
@pytest.fixture
def server(site: Site, backend_env: dict[str, str]) -> Iterator[str]:
    """`paidpdf serve` with 8 threads on this test's shop and backend."""
    env = {**os.environ, **backend_env, "PAIDPDF_ARGON2_PROFILE": "test"}
    env.pop("PAIDPDF_BASE_URL", None)
    process, url = start_serve(site.data_dir, env, threads=8)
    try:
        yield url
    finally:
        stop(process)


def _cookie(site: Site, email: str) -> str:
    return f"paidpdf_session={sessions.open_session(site.store, site.user(email)['id'])}"


def _get(url: str, path: str, cookie: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        conn.request("GET", path, headers={"Cookie": cookie, **(headers or {})})
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def test_parallel_gets_at_zero_of_two_serve_at_most_two_copies(site: Site, server: str) -> None:
    set_options(site.store, BIG, download_limit=2)
    library.keep_free(site.store, site.user("owner@example.com")["id"], BIG)
    content = site.content_bytes(BIG)
    cookie = _cookie(site, "owner@example.com")
    start = threading.Barrier(8)
    results: list[tuple[int, int]] = []
    lock = threading.Lock()

    def fetch() -> None:
        start.wait()
        status, body = _get(server, f"/content/{BIG}/download", cookie)
        with lock:
            results.append((status, len(body) if body == content else -len(body)))

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 8
    whole = [r for r in results if r[0] == 200]
    assert all(length == len(content) for _, length in whole)
    assert len(whole) == 2, results
    assert sorted(status for status, _ in results) == [200] * 2 + [403] * 6
    assert _get(server, f"/content/{BIG}/download", cookie)[0] == 403


def test_a_broken_download_resumes_within_a_limit_of_one(site: Site, server: str) -> None:
    """The last use, interrupted halfway: the server gives back what it did not send, and the resume
    from where the reader's copy stops is served; after that the limit holds."""
    set_options(site.store, BIG, download_limit=1)
    library.keep_free(site.store, site.user("owner@example.com")["id"], BIG)
    content = site.content_bytes(BIG)
    size = len(content)
    cookie = _cookie(site, "owner@example.com")
    parts = urlsplit(server)
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)  # a reader on a slow line
    raw.connect((parts.hostname or "127.0.0.1", parts.port or 80))
    raw.sendall(f"GET /content/{BIG}/download HTTP/1.1\r\nHost: x\r\nCookie: {cookie}\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        received += raw.recv(65536)
    head, _, got = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    while len(got) < size // 3:
        got += raw.recv(65536)
    raw.close()  # the line breaks a third of the way in
    assert content.startswith(got)

    wait_until(lambda: _charged(site, "owner@example.com", BIG) < size, what="the unsent bytes given back")
    status, rest = _get(server, f"/content/{BIG}/download", cookie, {"Range": f"bytes={len(got)}-"})
    assert status == 206 and got + rest == content
    charged = _charged(site, "owner@example.com", BIG)
    assert size <= charged <= size + download_budget.allowance(size)
    assert _get(server, f"/content/{BIG}/download", cookie)[0] == 403
    assert _get(server, f"/content/{BIG}/download", cookie, {"Range": "bytes=0-0"})[0] == 403
