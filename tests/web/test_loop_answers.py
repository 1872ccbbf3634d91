"""Kept anonymous pages are answered in waitress's I/O thread (`admin/loop_answers.py`); everything else
still goes to the request threads, and a client that pipelines without reading never stalls the loop."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from paidpdf.admin import loop_answers
from paidpdf.admin.site_server import build_server, server_url
from tests.web.site import FREE, Site


@contextmanager
def _serving(site: Site, **options: Any) -> Iterator[tuple[Any, str]]:
    server = build_server(site.settings, host="127.0.0.1", port=0, store=site.store, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield server, server_url(server)
    finally:
        server.close()
        thread.join(5)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as answer:
        assert answer.status == 200
        return bytes(answer.read())


def test_kept_pages_are_answered_in_the_loop_and_the_rest_by_threads(site: Site) -> None:
    """The first view of a page is made by a route (in a request thread) and kept; the same view again
    is served in the loop, the same bytes; pages that are never kept (the login form, a search) and a
    changed catalog go to the threads."""
    with _serving(site) as (server, url):
        first = _get(url + "/")
        assert server.paidpdf_loop_answers == 0
        assert _get(url + "/") == first and _get(url + f"/content/{FREE}")
        assert server.paidpdf_loop_answers == 1  # the catalog, kept; the item page was a first view
        _get(url + f"/content/{FREE}")
        assert server.paidpdf_loop_answers == 2
        for path in ("/login", "/?q=booklet", "/login", "/?q=booklet"):
            _get(url + path)
        assert server.paidpdf_loop_answers == 2
        assert site.cli("content", "price", FREE, "3.00").exit_code == 0  # another writer
        changed = _get(url + "/")  # a changed catalog: made again by the route, in a thread
        assert changed != first and b"$3.00" in changed and server.paidpdf_loop_answers == 2
        assert _get(url + "/") == changed and server.paidpdf_loop_answers == 3


def test_a_client_that_pipelines_without_reading_never_stalls_the_loop(site: Site) -> None:
    """300 kept pages asked for on one connection whose client reads nothing (3.5 MB of answers): the
    loop serves only a request that is alone on its connection (pipelined ones queue behind it and go
    to the threads, as before) and only while the connection has less than `MAX_PENDING` unsent bytes,
    so it never becomes a writer that waits above waitress's 16 MB high-water mark for itself; other
    visitors are answered within a second, and every answer arrives once the client reads. (waitress
    itself resets a connection with about 390 such requests unread, with or without loop answers.)"""
    count = 300
    with _serving(site) as (server, url):
        page = _get(url + "/")
        host, port = url.removeprefix("http://").split(":")
        greedy = socket.create_connection((host, int(port)))
        greedy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        greedy.sendall(b"GET / HTTP/1.1\r\nHost: shop\r\n\r\n" * count)
        time.sleep(1)
        for _ in range(5):
            began = time.monotonic()
            assert _get(url + "/healthz") == b"ok\n"
            assert time.monotonic() - began < 1
        assert 0 < server.paidpdf_loop_answers < count  # some in the loop, the rest by threads
        received = bytearray()
        greedy.settimeout(30)
        while received.count(b"HTTP/1.1 200 OK") < count or not received.endswith(page):
            chunk = greedy.recv(1 << 20)
            assert chunk, "the connection closed before every answer came"
            received += chunk
        greedy.close()
        assert received.count(b"HTTP/1.1 200 OK") == count
    assert loop_answers.MAX_PENDING < 16 * 1024 * 1024
