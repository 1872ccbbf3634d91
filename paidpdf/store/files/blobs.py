"""Content-addressed files under the data folder: `<data>/content/<sha256>` and `<data>/covers/<name>`.

Why content addressing: a file's name is its SHA-256, so storing the same PDF twice keeps one copy, a
stored file can be verified at any time (`db check`), and a name taken from a request can be checked
against a strict pattern before it ever becomes a path, so no request can reach another file.

Files are copied the same way the data files are written: stream into a temp file in the target
folder, fsync, `os.replace` into place, fsync the folder. A crash leaves the old state plus at worst a
hidden temp file. Copying and hashing stream in 1 MiB chunks, so memory stays flat for a 2 GB PDF; a
`progress(bytes_done)` callback lets the CLI draw a progress bar.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from paidpdf.errors import InvalidInput, NotFound, StorageError
from paidpdf.store.files.atomic import fsync_dir
from paidpdf.store.files.permissions import PRIVATE_FILE, make_private_dir

CONTENT_DIR = "content"
COVERS_DIR = "covers"
CHUNK = 1024 * 1024

#: Temp files older than this are leftovers of a killed copy and are swept on the next store.
STALE_TEMP_SECONDS = 24 * 3600

_SHA256_RE = re.compile(r"\A[0-9a-f]{64}\Z")
_COVER_RE = re.compile(r"\A[0-9a-f]{64}\.(png|jpg|webp)\Z")
_TEMP_PREFIX = ".incoming."
_TEMP_SUFFIX = ".tmp"

Progress = Callable[[int], None]


def is_content_name(name: object) -> bool:
    """True for 64 lower-case hex digits: the only content names that can reach the disk."""
    return isinstance(name, str) and bool(_SHA256_RE.match(name))


def content_path(data_dir: Path, sha256: str) -> Path:
    """Where the content file with this hash lives; anything but 64 lower-case hex digits is `NotFound`."""
    if not is_content_name(sha256):
        raise NotFound("no such content file")
    return Path(data_dir) / CONTENT_DIR / sha256


def is_cover_name(name: object) -> bool:
    """True for `<sha256>.png|jpg|webp`: the only cover names that can reach the disk."""
    return isinstance(name, str) and bool(_COVER_RE.match(name))


def cover_path(data_dir: Path, cover_name: str) -> Path:
    """Where a cover lives; the name must be `<sha256>.png|jpg|webp`, so a request cannot escape `covers/`."""
    if not is_cover_name(cover_name):
        raise NotFound("no such cover")
    return Path(data_dir) / COVERS_DIR / cover_name


def hash_file(path: Path, progress: Progress | None = None) -> str:
    """The SHA-256 of a file as hex, read in 1 MiB chunks (flat memory whatever the size)."""
    digest = hashlib.sha256()
    done = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with Path(path).open("rb", buffering=0) as handle:
        while True:
            count = handle.readinto(buffer)
            if not count:
                break
            digest.update(view[:count])
            done += count
            if progress is not None:
                progress(done)
    return digest.hexdigest()


def store_file(data_dir: Path, src: Path, progress: Progress | None = None) -> tuple[str, int]:
    """Copy `src` into `<data>/content/<sha256>` (hashing while copying) and return `(sha256, size)`.

    When a file with that hash is already stored (same content added twice) the copy is dropped.
    """
    folder = _folder(data_dir, CONTENT_DIR)
    _sweep_stale(folder)
    tmp = folder / f"{_TEMP_PREFIX}{os.getpid()}.{secrets.token_hex(6)}{_TEMP_SUFFIX}"
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    try:
        source = Path(src).open("rb", buffering=0)  # noqa: SIM115 - closed by the `with` below
    except OSError as exc:
        raise InvalidInput(f"cannot read {src}: {exc.strerror}") from None
    try:
        with source, _create(tmp) as target:
            while True:
                try:
                    count = source.readinto(buffer)
                except OSError as exc:
                    raise InvalidInput(f"cannot read {src}: {exc.strerror}") from None
                if not count:
                    break
                digest.update(view[:count])
                _write_all(target.fileno(), view[:count], tmp)
                size += count
                if progress is not None:
                    progress(size)
            os.fsync(target.fileno())
        sha256 = digest.hexdigest()
        _move_into_place(tmp, folder / sha256, size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return sha256, size


def store_cover(data_dir: Path, data: bytes, ext: str, name: str | None = None) -> str:
    """Store cover bytes as `<data>/covers/<sha256-of-bytes>.<ext>` (or `name`) and return the file name.

    `name` lets a cover rendered from a PDF be named after that PDF's hash (see `catalog`).
    """
    cover_name = name or f"{hashlib.sha256(data).hexdigest()}.{ext}"
    cover_path(data_dir, cover_name)  # validates the name
    folder = _folder(data_dir, COVERS_DIR)
    tmp = folder / f"{_TEMP_PREFIX}{os.getpid()}.{secrets.token_hex(6)}{_TEMP_SUFFIX}"
    try:
        with _create(tmp) as target:
            _write_all(target.fileno(), memoryview(data), tmp)
            os.fsync(target.fileno())
        _move_into_place(tmp, folder / cover_name, len(data), replace=name is not None)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return cover_name


def store_fetched(data_dir: Path, rel: str, chunks: Iterable[bytes]) -> None:
    """Place a file fetched from the object store (`content/<sha256>` or `covers/<name>`) in the data
    folder the same safe way; a content file whose bytes do not hash to its name is refused."""
    folder_name, name = rel.split("/", 1)
    final = content_path(data_dir, name) if folder_name == CONTENT_DIR else cover_path(data_dir, name)
    folder = _folder(data_dir, folder_name)
    tmp = folder / f"{_TEMP_PREFIX}{os.getpid()}.{secrets.token_hex(6)}{_TEMP_SUFFIX}"
    digest = hashlib.sha256()
    size = 0
    try:
        with _create(tmp) as target:
            for chunk in chunks:
                digest.update(chunk)
                _write_all(target.fileno(), memoryview(chunk), tmp)
                size += len(chunk)
            os.fsync(target.fileno())
        if folder_name == CONTENT_DIR and digest.hexdigest() != name:
            raise StorageError(f"{rel} in the object store is damaged (its SHA-256 does not match its name)")
        _move_into_place(tmp, final, size)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _folder(data_dir: Path, name: str) -> Path:
    folder = Path(data_dir) / name
    try:
        make_private_dir(folder)
    except OSError as exc:
        raise StorageError(f"cannot create {folder}: {exc.strerror}") from None
    return folder


def _create(tmp: Path) -> io.FileIO:
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except OSError as exc:
        raise StorageError(f"cannot write {tmp.parent}: {exc.strerror}") from None
    return io.FileIO(fd, "wb", closefd=True)


def _write_all(fd: int, chunk: memoryview, where: Path) -> None:
    while chunk:
        try:
            written = os.write(fd, chunk)
        except OSError as exc:
            raise StorageError(f"cannot write {where.parent}: {exc.strerror}") from None
        chunk = chunk[written:]


def _move_into_place(tmp: Path, final: Path, size: int, replace: bool = False) -> None:
    """Rename the finished temp file over `final`, unless an intact copy is already there."""
    try:
        if not replace and final.is_file() and final.stat().st_size == size:
            tmp.unlink(missing_ok=True)
            return
        tmp.replace(final)
        fsync_dir(final.parent)
    except OSError as exc:
        raise StorageError(f"cannot store {final}: {exc.strerror}") from None


def _sweep_stale(folder: Path) -> None:
    """Remove temp files left by a copy that was killed long ago (a running copy's file is recent)."""
    cutoff = time.time() - STALE_TEMP_SECONDS
    for leftover in folder.glob(f"{_TEMP_PREFIX}*{_TEMP_SUFFIX}"):
        try:
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()
        except OSError:
            continue
