"""What backups, checks and flushes share: walking the data folder's files, copying them with a
hash, and the marker an interrupted restore or flush leaves so that `db check` says how to finish it."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from paidpdf.clock import now_iso
from paidpdf.content import item_files, versions
from paidpdf.content.catalog import CATALOG, CONTENT
from paidpdf.errors import NotFound
from paidpdf.store import DataStore
from paidpdf.store.files import blobs
from paidpdf.store.files.atomic import atomic_write, fsync_dir
from paidpdf.store.files.permissions import PRIVATE_FILE, make_private_dir

BLOB_DIRS = (blobs.CONTENT_DIR, blobs.COVERS_DIR)
#: Copies and hashes read this much at a time (flat memory for any file size).
CHUNK = 1024 * 1024

#: Called with the number of bytes done so far (copying or hashing), for a progress bar.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data folder or a backup: where, and what."""

    where: str
    problem: str


def blob_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, absolute path) of every content and cover file; temp files are skipped."""
    for folder_name, check in ((blobs.CONTENT_DIR, blobs.content_path), (blobs.COVERS_DIR, blobs.cover_path)):
        folder = root / folder_name
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            try:
                check(root, path.name)
            except NotFound:
                continue
            if path.is_file():
                yield f"{folder_name}/{path.name}", path


def catalog_files(store: DataStore) -> list[str]:
    """Every stored file the catalog names (`content/<sha256>`, `covers/<name>`): items' files (every
    file of an item, every version, and their samples), covers, previews and video posters, and the
    shop's logo."""
    view = store.view(CATALOG)
    names: list[str] = []
    for item in view.all(CONTENT):
        shas = dict.fromkeys([item.get("sha256"), *(v.get("sha256") for v in versions.history(item))])
        shas.update(dict.fromkeys(item_files.stored_shas(item)))
        names += [f"{blobs.CONTENT_DIR}/{sha}" for sha in shas if sha]
        posters = [f.get("poster") for f in item_files.files_of(item, include_removed=True)]
        pictures = [item.get("cover"), *item.get("previews", []), *posters]
        names += [f"{blobs.COVERS_DIR}/{n}" for n in pictures if n]
    logo = (view.get("shop", "identity") or {}).get("logo")
    if logo:
        names.append(f"{blobs.COVERS_DIR}/{logo}")
    return names


def fetch_from_objects(store: DataStore) -> int:
    """With an object store, fetch the files the catalog names that this data folder lacks, so backups
    and checks on any server see every file (see `object_files.hydrate`)."""
    if store.objects is None:
        return 0
    from paidpdf.store.files import object_files

    return object_files.hydrate(store, catalog_files(store))


def missing_blobs(root: Path, catalog: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    for item in catalog.get(CONTENT, {}).values():
        for label, path in item_paths(root, item):
            if path is None:
                found.append(Problem(str(item.get("id")), f"{label} name is invalid"))
            elif not path.is_file():
                found.append(Problem(str(item.get("id")), f"{label} missing: {path}"))
    return found


def item_paths(root: Path, item: dict[str, Any]) -> list[tuple[str, Path | None]]:
    paths: list[tuple[str, Path | None]] = []
    try:
        paths.append(("content file", blobs.content_path(root, item.get("sha256", ""))))
    except NotFound:
        paths.append(("content file", None))
    for old in versions.history(item)[:-1]:  # earlier versions stay downloadable for their owners
        if old.get("sha256") != item.get("sha256"):
            label = f"version {old['version']} file"
            try:
                paths.append((label, blobs.content_path(root, old.get("sha256") or "")))
            except NotFound:
                paths.append((label, None))
    for row in item_files.files_of(item, include_removed=True)[1:]:  # an item's other files, and samples
        for version in item_files.file_history(row):
            label = f"{row.get('key')} version {version['version']} file"
            paths.append(_content(root, label, version.get("sha256")))
        sample = row.get("sample")
        if isinstance(sample, dict):
            paths.append(_content(root, f"{row.get('key')} sample", sample.get("sha256")))
    if item.get("cover"):
        try:
            paths.append(("cover", blobs.cover_path(root, item["cover"])))
        except NotFound:
            paths.append(("cover", None))
    return paths


def _content(root: Path, label: str, sha256: object) -> tuple[str, Path | None]:
    try:
        return label, blobs.content_path(root, str(sha256 or ""))
    except NotFound:
        return label, None


PENDING = ".pending-operation.json"


@contextmanager
def pending_marker(store: DataStore, operation: str, backup_path: Path) -> Iterator[None]:
    """Leave a marker while a restore or flush replaces several files: each file is replaced
    atomically, but a crash between two of them would leave a mix. `check` reports the marker and
    says which command finishes the job (both are safe to run again)."""
    marker = store.root / PENDING
    make_private_dir(store.root)  # a PostgreSQL shop's local folder may not exist yet
    record = {"operation": operation, "backup": str(backup_path), "started_at": now_iso()}
    atomic_write(marker, orjson.dumps(record))
    yield
    marker.unlink(missing_ok=True)
    fsync_dir(store.root)


def pending(store: DataStore) -> Problem | None:
    """The restore or flush that was interrupted, if any, as a problem that says how to finish it."""
    try:
        record = orjson.loads((store.root / PENDING).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError):
        record = {}
    backup_path = record.get("backup", "?") if isinstance(record, dict) else "?"
    operation = record.get("operation") if isinstance(record, dict) else None
    if operation == "flush":
        fix = f"run `paidpdf db flush --yes` again (backup taken: {backup_path})"
    else:
        fix = f"run `paidpdf db restore {backup_path} --yes` again"
    what = f"an interrupted {operation or 'restore'} left the data mixed"
    return Problem(str(store.root / PENDING), f"{what}; {fix}")


def blob_bytes(store: DataStore) -> int:
    """Total size of the content and cover files (a progress bar's total for backup and flush)."""
    return sum(path.stat().st_size for _rel, path in blob_files(store.root))


def offset_progress(progress: Progress | None, base: int) -> Progress | None:
    """A per-file progress callback that reports the running total across files."""
    if progress is None:
        return None
    report = progress
    return lambda n: report(base + n)


def write_new(path: Path, payload: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_hashing(src: Path, dst: Path, progress: Progress | None) -> str:
    """Copy in 1 MiB chunks, hashing as it goes, and fsync; returns the sha256 of what was copied."""
    digest = hashlib.sha256()
    done = 0
    with src.open("rb", buffering=0) as reader, dst.open("xb", buffering=0) as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[writer.write(view) or 0 :]
            done += len(chunk)
            if progress is not None:
                progress(done)
        os.fsync(writer.fileno())
    return digest.hexdigest()
