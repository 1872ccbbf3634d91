"""A podcast app against the real server (`paidpdf serve`, waitress): it reads the private podcast feed,
starts an episode's download, drops the connection part way, and resumes with Range; the pieces are the
file. The server streams files from its I/O loop, so this is the path a real app takes, not WSGI's."""

from __future__ import annotations

import http.client
import os
from pathlib import Path
from urllib.parse import urlsplit

import feedparser

from paidpdf.accounts import feed_tokens
from paidpdf.config import Settings
from paidpdf.content import demo_media, item_file_changes
from paidpdf.store import Store
from paidpdf.testing.serve_process import start_serve, stop
from paidpdf.web import security
from tests.web.site import PAID, copy_seed


def _get(
    host: str, port: int, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read()
    finally:
        connection.close()


def test_a_podcast_app_resumes_an_episode_with_range_on_the_real_server(
    seeded_template: Path, tmp_path: Path
) -> None:
    data = copy_seed(seeded_template, tmp_path / "data")
    store = Store(data)
    audio = demo_media.make_audio(tmp_path / "talk.m4a", 6.0)
    item_file_changes.add_file(store, PAID, audio, sample_seconds=0)
    key = security.load_secret_key(Settings.from_env({}, data_dir=data))
    owner = next(u for u in store.view("accounts").all("users") if u["email"] == "owner@example.com")
    token = feed_tokens.reset(store, key, owner["id"])
    env = {**os.environ, "PAIDPDF_ARGON2_PROFILE": "test", "PYTHONUNBUFFERED": "1"}
    env.pop("PAIDPDF_BASE_URL", None)
    env.pop("PAIDPDF_SECRET_KEY", None)
    process, url = start_serve(data, env, threads=2)
    try:
        host, port = "127.0.0.1", int(url.rsplit(":", 1)[1])
        status, headers, body = _get(host, port, f"/feeds/{token}/podcast.xml")
        assert status == 200 and "set-cookie" not in headers
        episode = feedparser.parse(body).entries[0]
        enclosure = urlsplit(episode.enclosures[0].href)
        path = f"{enclosure.path}?{enclosure.query}"
        expected = audio.read_bytes()
        assert int(episode.enclosures[0].length) == len(expected)

        # start the download, take the first bytes, and drop the connection (the app lost its network)
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request("GET", path)
        first = connection.getresponse()
        assert first.status == 200 and first.getheader("Accept-Ranges") == "bytes"
        etag = str(first.getheader("ETag"))
        head = first.read(3000)
        connection.close()

        status, headers, rest = _get(host, port, path, {"Range": f"bytes={len(head)}-", "If-Range": etag})
        assert status == 206
        assert headers["content-range"] == f"bytes {len(head)}-{len(expected) - 1}/{len(expected)}"
        assert head + rest == expected
        status, _headers, whole = _get(host, port, path)
        assert status == 200 and whole == expected  # the same bytes as the whole file

        feed_tokens.reset(store, key, owner["id"])  # the reader resets their link: the app's link stops
        assert _get(host, port, path, {"Range": "bytes=0-99"})[0] == 404
    finally:
        stop(process)
