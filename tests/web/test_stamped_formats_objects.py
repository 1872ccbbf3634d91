"""Stamped EPUB, audio, video and ZIP copies when the files are in an object store (SeaweedFS, proxy
and redirect mode; another server, so no local copy): the template is built from the bucket through
the file's source (only the parts the format changes are read), the copy is the same bytes the data
folder would give, is never a redirect to the unstamped object, and every range joins."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.accounts import sessions, users
from paidpdf.config import Settings
from paidpdf.content import demo, format_stamps, item_file_changes
from paidpdf.content.format_stamps import segments
from paidpdf.content.item_options import set_options
from paidpdf.ownership import library
from paidpdf.web import create_app, file_stamps
from tests.buckets import bucket_env
from tests.stamp_media import make_media

BOTH_BACKENDS = True  # tests/conftest.py: each shop runs on the data folder and on PostgreSQL

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"
KINDS = ("epub", "mp3", "ogg", "zip", "mp4")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("object-stamps")
    made = make_media(folder)
    made["pdf"] = demo.make_sample_pdfs(folder)[0]
    return made


@pytest.fixture(params=["proxy", "redirect"])
def bucket_shop(
    request: pytest.FixtureRequest, data_dir: Path, backend_env: dict[str, str], media: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Settings, TestApp, dict[str, object]]]:
    env = {"PAIDPDF_SECRET_KEY": SECRET, **backend_env,
           **bucket_env(request.getfixturevalue("s3_endpoint"), monkeypatch, str(request.param))}
    settings = Settings.from_env(env, data_dir=data_dir)
    store = settings.open_store()
    assert store.objects is not None
    store.objects.ensure_bucket()
    from paidpdf.content import catalog

    item = catalog.add_item(store, media["pdf"], title="Many files", price_text="0", currency="usd")
    rows = {kind: item_file_changes.add_file(store, item["id"], media[kind], sample_seconds=1)[1]
            for kind in KINDS}
    set_options(store, item["id"], stamp=True)
    owner = users.sign_up(store, "owner@example.com", "owner password long")
    library.grant(store, owner["id"], item["id"])
    for row in rows.values():
        (data_dir / "content" / str(row["sha256"])).unlink()
    for kept in (data_dir / "stamps").glob("*.json"):
        kept.unlink()
    format_stamps._memory.clear()  # another server: its templates are built from the bucket
    app = TestApp(create_app(settings, store=store))
    app.set_cookie("paidpdf_session", sessions.open_session(store, owner["id"]))
    try:
        yield settings, app, {"store": store, "item": item, "owner": owner, "rows": rows}
    finally:
        store.close()


def test_a_stamped_copy_from_the_bucket_is_built_there_and_joins(
    bucket_shop: tuple[Settings, TestApp, dict[str, object]], media: dict[str, Path]
) -> None:
    _settings, app, shop = bucket_shop
    store, item, owner, rows = shop["store"], shop["item"], shop["owner"], shop["rows"]
    for kind in KINDS:
        row = rows[kind]  # type: ignore[index]
        url = f"/content/{item['id']}/files/{row['key']}"  # type: ignore[index]
        whole = app.get(url, status=200)  # proxied, never a redirect to the unstamped object
        original = media[kind].read_bytes()
        built = format_stamps._builders()[kind](io.BytesIO(original), len(original), kind)
        stamp = file_stamps.owner_stamp(store, owner, item, int(row["version"]))  # type: ignore[arg-type,index]
        expected = b"".join(
            s if isinstance(s, bytes) else original[s[0] : s[0] + s[1]]
            for s in segments.merged(built.segments(stamp))
        )
        assert whole.body == expected, kind
        assert (_settings.data_dir / "stamps" / f"{row['sha256']}.{kind}.json").is_file()  # type: ignore[index]
        etag = whole.headers["ETag"]
        last = len(expected) - 1
        for start, end in ((0, 20), (len(expected) // 2, last), (last - 30, last)):
            part = app.get(url, headers={"Range": f"bytes={start}-{end}", "If-Range": etag}, status=206)
            assert part.body == expected[start : end + 1], (kind, start)
