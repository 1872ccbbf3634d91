"""Files in an S3-compatible store (SeaweedFS, for real): what `content add` stores goes to the bucket,
and any server serves it from there, after the same owner check: a presigned redirect (the default),
or streamed with Range and validators (`proxy`). Covers come from the bucket too."""

from __future__ import annotations

import threading
import urllib.request
from pathlib import Path

import pytest
from webtest import TestApp

from paidpdf.accounts import sessions, users
from paidpdf.config import Settings
from paidpdf.content import catalog, demo
from paidpdf.content.item_options import set_options
from paidpdf.ownership import library
from paidpdf.store import DataStore
from paidpdf.web import create_app
from tests.buckets import bucket_env

SECRET = "a-test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    return {**bucket_env(s3_endpoint, monkeypatch), "PAIDPDF_SECRET_KEY": SECRET}


def _shop(data_dir: Path, env: dict[str, str], tmp_path: Path) -> tuple[DataStore, dict[str, str], str]:
    """A store on the bucket with one paid item; returns (store, item, an owner's session token)."""
    store = Settings.from_env(env, data_dir=data_dir).open_store()
    assert store.objects is not None
    store.objects.ensure_bucket()
    pdf = demo.make_sample_pdfs(tmp_path)[0]
    item = catalog.add_item(store, pdf, title="Bucket book", price_text="4.99", currency="usd")
    owner = users.sign_up(store, "owner@example.com", "owner password long")
    library.grant(store, owner["id"], item["id"])
    return store, item, sessions.open_session(store, owner["id"])


def _app(data_dir: Path, env: dict[str, str], store: DataStore, token: str | None) -> TestApp:
    app = TestApp(create_app(Settings.from_env(env, data_dir=data_dir), store=store))
    if token:
        app.set_cookie("paidpdf_session", token)
    return app


def test_an_added_item_is_in_the_bucket_and_downloads_redirect_to_it(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path
) -> None:
    store, item, token = _shop(data_dir, s3_env, tmp_path)
    assert store.objects is not None
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    assert store.objects.size(f"content/{item['sha256']}") == len(pdf)
    assert store.objects.size(f"covers/{item['cover']}") > 0
    (data_dir / "content" / item["sha256"]).unlink()  # another server: no local copy

    stranger = _app(data_dir, s3_env, store, None)
    assert stranger.get(f"/content/{item['id']}/download", status=302).location.startswith("/login")
    owner = _app(data_dir, s3_env, store, token)
    moved = owner.get(f"/content/{item['id']}/download", status=303)
    assert "X-Amz-Signature=" in moved.location and "X-Amz-Expires=300" in moved.location
    with urllib.request.urlopen(moved.location, timeout=10) as got:
        assert got.read() == pdf
        disposition = got.headers["Content-Disposition"]
        assert "attachment" in disposition and ".pdf" in disposition
        assert got.headers["Content-Type"] == "application/pdf"


def test_proxy_mode_streams_with_ranges_and_validators(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path
) -> None:
    env = {**s3_env, "PAIDPDF_S3_DOWNLOADS": "proxy"}
    store, item, token = _shop(data_dir, env, tmp_path)
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    (data_dir / "content" / item["sha256"]).unlink()
    cover = (data_dir / "covers" / item["cover"]).read_bytes()
    (data_dir / "covers" / item["cover"]).unlink()
    owner = _app(data_dir, env, store, token)
    url = f"/content/{item['id']}/download"
    whole = owner.get(url)
    assert whole.body == pdf and whole.headers["Accept-Ranges"] == "bytes"
    part = owner.get(url, headers={"Range": "bytes=5-14"}, status=206)
    assert part.body == pdf[5:15] and part.headers["Content-Range"] == f"bytes 5-14/{len(pdf)}"
    tail = owner.get(url, headers={"Range": "bytes=-7"}, status=206)
    assert tail.body == pdf[-7:]
    assert owner.get(url, headers={"If-None-Match": whole.headers["ETag"]}, status=304).body == b""
    assert owner.get(url, headers={"Range": f"bytes={len(pdf) + 5}-"}, status=416).status_int == 416
    shown = owner.get(f"/covers/{item['cover']}")
    assert shown.body == cover and "immutable" in shown.headers["Cache-Control"]
    assert owner.get("/healthz").text == "ok\n"


@pytest.mark.parametrize("mode", ["redirect", "proxy"])
def test_previews_taken_down_are_404_from_the_bucket_too(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path, mode: str
) -> None:
    """Issue 20, item 12 with the object store: the pages stay in the bucket (content-addressed), but
    once `--preview-pages 0` took them down their addresses answer 404, validators or not."""
    env = {**s3_env, "PAIDPDF_S3_DOWNLOADS": mode}
    store, item, _token = _shop(data_dir, env, tmp_path)
    assert store.objects is not None and item["previews"]
    for name in [item["cover"], *item["previews"]]:
        (data_dir / "covers" / name).unlink()  # another server: only the bucket has them
    visitor = _app(data_dir, env, store, None)
    etags = {name: visitor.get(f"/covers/{name}").headers["ETag"] for name in item["previews"]}
    catalog.edit_item(store, item["id"], preview_pages=0)
    for name, etag in etags.items():
        assert store.objects.size(f"covers/{name}") > 0
        visitor.get(f"/covers/{name}", status=404)
        visitor.get(f"/covers/{name}", headers={"If-None-Match": etag}, status=404)
    assert f"/covers/{item['previews'][0]}" not in visitor.get(f"/content/{item['id']}").text
    assert visitor.get(f"/covers/{item['cover']}").status_int == 200


def test_a_download_limit_counts_bytes_when_proxied(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 20, item 4 with the bucket streamed through the shop: the same byte budget as from disk."""
    env = {**s3_env, "PAIDPDF_S3_DOWNLOADS": "proxy"}
    store, item, token = _shop(data_dir, env, tmp_path)
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    (data_dir / "content" / item["sha256"]).unlink()
    set_options(store, item["id"], download_limit=2)
    owner = _app(data_dir, env, store, token)
    url = f"/content/{item['id']}/download"
    short = [owner.get(url, headers={"Range": f"bytes=0-{len(pdf) - 2}"}, status="*") for _ in range(6)]
    assert [r.status_int for r in short] == [206, 206, 403, 403, 403, 403]
    assert short[0].body == pdf[:-1]
    assert owner.get(url, headers={"Range": f"bytes={len(pdf) - 2}-"}, status=206).body == pdf[-2:]
    owner.get(url, status=403)


def test_a_download_limit_reserves_a_whole_copy_before_each_redirect(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path
) -> None:
    """Issue 20, item 4 in redirect mode: the bytes never pass the shop, so each redirect reserves the
    whole file first; 8 parallel requests at 0 of 2 get 2 signed addresses and 6 refusals."""
    store, item, token = _shop(data_dir, s3_env, tmp_path)
    set_options(store, item["id"], download_limit=2)
    url = f"/content/{item['id']}/download"
    app = create_app(Settings.from_env(s3_env, data_dir=data_dir), store=store)
    for _ in range(5):  # a HEAD is answered here, with no signed address to fetch from: nothing reserved
        head = _app(data_dir, s3_env, store, token).head(url)
        assert head.status_int == 200 and "Location" not in head.headers
        assert head.headers["Content-Length"] == str(item["size"]) and head.body == b""
    start = threading.Barrier(8)
    statuses: list[int] = []

    def fetch() -> None:
        reader = TestApp(app)
        reader.set_cookie("paidpdf_session", token)
        start.wait()
        statuses.append(reader.get(url, status="*").status_int)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [303, 303] + [403] * 6
    _app(data_dir, s3_env, store, token).get(url, headers={"Range": "bytes=1-"}, status=403)


def test_a_bad_files_url_is_a_clear_configuration_error(data_dir: Path) -> None:
    from paidpdf.errors import ConfigError

    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        Settings.from_env({"PAIDPDF_FILES_URL": "http://nope"}, data_dir=data_dir).open_store()



def test_migrate_copies_a_shops_files_into_the_bucket_verified_and_reruns(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path
) -> None:
    import json

    from typer.testing import CliRunner

    from paidpdf.store import Store
    from tests.cli_app import paidpdf_app

    local = Store(data_dir)
    pdf = demo.make_sample_pdfs(tmp_path)[0]
    item = catalog.add_item(local, pdf, title="Local book", price_text="2.50", currency="usd")
    env = {"PAIDPDF_S3_ENDPOINT_URL": s3_env["PAIDPDF_S3_ENDPOINT_URL"]}
    args = ["--data", str(data_dir), "db", "migrate", "--files-to", s3_env["PAIDPDF_FILES_URL"], "--json"]
    for _ in range(2):  # re-runnable
        done = CliRunner().invoke(paidpdf_app(), args, env=env)
        assert done.exit_code == 0, done.output
        report = json.loads(done.stdout)
        assert report["files"]["count"] == 1 + 1 + len(item["previews"])  # the PDF, its cover, previews
    store = Settings.from_env(s3_env, data_dir=data_dir).open_store()
    assert store.objects is not None
    assert store.objects.size(f"content/{item['sha256']}") == item["size"]


def test_backup_and_check_on_a_server_without_local_copies_fetch_from_the_bucket(
    data_dir: Path, s3_env: dict[str, str], tmp_path: Path
) -> None:
    import shutil

    from paidpdf.maintenance import backups, checks

    store, item, _token = _shop(data_dir, s3_env, tmp_path)
    pdf = (data_dir / "content" / item["sha256"]).read_bytes()
    shutil.rmtree(data_dir / "content")
    shutil.rmtree(data_dir / "covers")  # another machine: the files are only in the bucket
    result = checks.check(store)
    assert result.problems == [] and result.items == 1 and result.bytes_hashed >= len(b"%PDF")
    assert (data_dir / "content" / item["sha256"]).read_bytes() == pdf  # fetched and verified
    shutil.rmtree(data_dir / "content")
    taken = backups.backup(store, tmp_path / "backup")
    assert backups.verify_backup(taken.path) == []
    assert (taken.path / "content" / item["sha256"]).read_bytes() == pdf
