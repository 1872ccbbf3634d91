"""Content-addressed storage: exact hashes, streamed copies, deduplication and paths that cannot escape."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from paidpdf.errors import NotFound
from paidpdf.store.files import blobs


def test_store_file_copies_hashes_and_reports_progress(data_dir: Path, files: Path) -> None:
    src = files / "big.bin"
    payload = os.urandom(3 * blobs.CHUNK + 12345)
    src.write_bytes(payload)
    seen: list[int] = []
    sha256, size = blobs.store_file(data_dir, src, seen.append)
    assert sha256 == hashlib.sha256(payload).hexdigest()
    assert size == len(payload)
    assert blobs.content_path(data_dir, sha256).read_bytes() == payload
    assert seen == sorted(seen) and seen[-1] == len(payload) and len(seen) == 4
    assert blobs.hash_file(src) == sha256
    # No temp files are left behind.
    assert [p.name for p in (data_dir / "content").iterdir()] == [sha256]


def test_the_same_content_is_stored_once(data_dir: Path, files: Path) -> None:
    (files / "a.pdf").write_bytes(b"same bytes")
    (files / "b.pdf").write_bytes(b"same bytes")
    first = blobs.store_file(data_dir, files / "a.pdf")
    second = blobs.store_file(data_dir, files / "b.pdf")
    assert first == second
    assert len(list((data_dir / "content").iterdir())) == 1


def test_a_damaged_stored_copy_is_replaced(data_dir: Path, files: Path) -> None:
    (files / "a.pdf").write_bytes(b"the real content")
    sha256, _ = blobs.store_file(data_dir, files / "a.pdf")
    blobs.content_path(data_dir, sha256).write_bytes(b"the real")  # cut short on disk
    blobs.store_file(data_dir, files / "a.pdf")
    assert blobs.content_path(data_dir, sha256).read_bytes() == b"the real content"


def test_stale_temp_files_are_swept_but_fresh_ones_kept(data_dir: Path, files: Path) -> None:
    folder = data_dir / "content"
    folder.mkdir()
    stale = folder / ".incoming.1.aaaa.tmp"
    fresh = folder / ".incoming.2.bbbb.tmp"
    stale.write_bytes(b"x")
    fresh.write_bytes(b"y")
    old = stale.stat().st_mtime - 2 * blobs.STALE_TEMP_SECONDS
    os.utime(stale, (old, old))
    (files / "a.pdf").write_bytes(b"content")
    blobs.store_file(data_dir, files / "a.pdf")
    assert not stale.exists() and fresh.exists()


def test_store_cover_names_by_hash(data_dir: Path) -> None:
    name = blobs.store_cover(data_dir, b"\x89PNG fake", "png")
    assert name == hashlib.sha256(b"\x89PNG fake").hexdigest() + ".png"
    assert blobs.cover_path(data_dir, name).read_bytes() == b"\x89PNG fake"


@pytest.mark.parametrize(
    "name",
    [
        "../catalog.json",
        "../../etc/passwd",
        "z" * 64 + ".png",
        "0" * 64 + ".svg",
        "0" * 64 + ".png/../../x",
        "0" * 63 + ".png",
        "0" * 64 + ".PNG",
        "0" * 64 + ".png\n",
        "/etc/passwd",
        "",
    ],
)
def test_cover_names_cannot_escape(data_dir: Path, name: str) -> None:
    with pytest.raises(NotFound):
        blobs.cover_path(data_dir, name)


@pytest.mark.parametrize("sha", ["../accounts", "0" * 63, "0" * 64 + "\n", "G" * 64, "0" * 64 + "/x", ""])
def test_content_names_cannot_escape(data_dir: Path, sha: str) -> None:
    with pytest.raises(NotFound):
        blobs.content_path(data_dir, sha)


def test_valid_names_map_inside_the_data_folder(data_dir: Path) -> None:
    sha = "ab" * 32
    assert blobs.content_path(data_dir, sha) == data_dir / "content" / sha
    assert blobs.cover_path(data_dir, f"{sha}.webp") == data_dir / "covers" / f"{sha}.webp"
