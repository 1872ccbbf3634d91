"""End to end against a real `paidpdf serve` (waitress) on 127.0.0.1, with urllib and http.client:
sign up, download byte for byte, ranges; and slow downloaders that must not starve the site."""

from __future__ import annotations

import http.client
import http.cookiejar
import re
import threading
import time
import urllib.parse
import urllib.request

import pytest

from paidpdf.accounts import users
from paidpdf.store import Store
from tests.web.site import BIG, FREE, PASSWORD, SERVER_THREADS, Served, confirmation_path


def _opener() -> tuple[urllib.request.OpenerDirector, http.cookiejar.CookieJar]:
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar)), jar


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]+)"', html)
    assert match, "no csrf field"
    return match.group(1)


def _session_cookie(served: Served, email: str) -> str:
    opener, jar = _opener()
    page = opener.open(served.url + "/login").read().decode()
    body = urllib.parse.urlencode({"csrf_token": _csrf(page), "email": email, "password": PASSWORD}).encode()
    opener.open(served.url + "/login", body).read()
    return next(c.value for c in jar if c.name == "paidpdf_session")


def test_end_to_end_on_a_real_server(served: Served) -> None:
    with urllib.request.urlopen(served.url + "/healthz") as res:
        assert res.status == 200 and res.read() == b"ok\n"
        assert res.headers["X-Content-Type-Options"] == "nosniff"
    opener, jar = _opener()
    signup = opener.open(served.url + "/signup").read().decode()
    body = urllib.parse.urlencode(
        {"csrf_token": _csrf(signup), "email": "e2e@example.com", "password": "e2e password!", "next": "/"}
    ).encode()
    with opener.open(served.url + "/signup", body) as res:  # the address is proven by mail first
        assert res.status == 200 and res.url == served.url + "/signup/sent"
        assert "Check your mail" in res.read().decode()
    path = confirmation_path(served.data_dir / "outbox", "e2e@example.com")
    confirm = opener.open(served.url + path).read().decode()
    pressed = urllib.parse.urlencode({"csrf_token": _csrf(confirm), "password": "e2e password!"}).encode()
    with opener.open(served.url + path, pressed) as res:
        assert res.status == 200 and res.url == served.url + "/"
        page = res.read().decode()
    assert "e2e@example.com" in page and "Field Notes on City Birds" in page
    assert users.find_user(Store(served.data_dir), "e2e@example.com") is not None
    session = next(c for c in jar if c.name == "paidpdf_session")
    assert session.has_nonstandard_attr("HttpOnly") or session.get_nonstandard_attr("httponly") is not None

    with opener.open(f"{served.url}/content/{FREE}/download") as res:
        data = res.read()
        assert res.headers["Content-Type"] == "application/pdf"
        assert res.headers["Content-Disposition"].startswith("attachment;")
    assert data == served.content(FREE)

    conn = http.client.HTTPConnection(served.host, served.port, timeout=10)
    cookie = f"paidpdf_session={session.value}"
    conn.request("GET", f"/content/{BIG}/download", headers={"Cookie": cookie, "Range": "bytes=1000-2999"})
    res = conn.getresponse()
    assert (
        res.status == 206 and res.getheader("Content-Range") == f"bytes 1000-2999/{len(served.content(BIG))}"
    )
    assert res.read() == served.content(BIG)[1000:3000]
    conn.request("HEAD", f"/content/{BIG}/download", headers={"Cookie": cookie})
    res = conn.getresponse()
    assert (
        res.status == 200
        and res.read() == b""
        and res.getheader("Content-Length") == str(len(served.content(BIG)))
    )
    conn.request("GET", f"/content/{BIG}/download", headers={"Cookie": cookie, "Range": "bytes=-100"})
    res = conn.getresponse()
    assert res.status == 206 and res.read() == served.content(BIG)[-100:]
    conn.request("GET", f"/content/{BIG}/download")  # no cookie
    res = conn.getresponse()
    res.read()
    assert res.status == 302 and "/login?next=" in (res.getheader("Location") or "")
    conn.close()


def _slow_download(
    served: Served, cookie: str, expected: bytes, errors: list[str], stop: threading.Event
) -> None:
    """Read in small sips, drop the connection twice and resume with Range + If-Range."""
    got = bytearray()
    etag = None
    try:
        for _ in range(3):
            conn = http.client.HTTPConnection(served.host, served.port, timeout=30)
            headers = {"Cookie": f"paidpdf_session={cookie}"}
            if got:
                headers.update({"Range": f"bytes={len(got)}-", "If-Range": str(etag)})
            conn.request("GET", f"/content/{BIG}/download", headers=headers)
            res = conn.getresponse()
            if got and res.status != 206:
                errors.append(f"resume answered {res.status}")
                return
            etag = res.getheader("ETag")
            for _ in range(20):
                block = res.read(64 * 1024)
                if not block:
                    break
                got += block
                time.sleep(0.05)
            conn.close()  # hang up mid-file
            if stop.is_set():
                break
        if bytes(got) != expected[: len(got)]:
            errors.append("resumed bytes differ from the file")
    except Exception as exc:  # reported by the main thread
        errors.append(repr(exc))


@pytest.mark.solo  # a latency bound: alone, even under xdist
def test_slow_downloaders_do_not_starve_the_site(served: Served) -> None:
    cookie = _session_cookie(served, "reader@example.com")
    expected = served.content(BIG)
    errors: list[str] = []
    stop = threading.Event()
    clients = [
        threading.Thread(target=_slow_download, args=(served, cookie, expected, errors, stop), daemon=True)
        for _ in range(2 * SERVER_THREADS)
    ]
    for client in clients:
        client.start()
    time.sleep(0.5)  # every client is mid-file now
    latencies = []
    for _ in range(8):
        started = time.monotonic()
        with urllib.request.urlopen(served.url + "/", timeout=10) as res:
            assert res.status == 200 and b"Catalog" in res.read()
        latencies.append(time.monotonic() - started)
        time.sleep(0.1)
    busy = sum(client.is_alive() for client in clients)
    stop.set()
    for client in clients:
        client.join(timeout=30)
    assert max(latencies) < 2.0, latencies
    assert not errors, errors
    assert busy >= SERVER_THREADS, "the slow clients finished too early to prove anything"
