"""`db check` and `db info`: what is wrong with a data folder, and what it holds.

On the data folder, each data file's base and journal; on PostgreSQL, what the database reports of
itself (`DataStore.database()`), never journal figures it does not have.

Reading only (except `fix_permissions`): an unreadable data file is reported, never rewritten, and
content files are hashed streaming, so a check of a large shop runs in flat memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paidpdf.content.catalog import CATALOG, CONTENT
from paidpdf.errors import PaidPdfError, StorageError
from paidpdf.maintenance.data_folder import (
    BLOB_DIRS,
    Problem,
    Progress,
    blob_files,
    fetch_from_objects,
    item_paths,
    offset_progress,
    pending,
)
from paidpdf.store import FILES, DataStore
from paidpdf.store.files import blobs, permissions


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]
    files: int
    items: int
    bytes_hashed: int
    #: Folders and files other local users may read (mended by `fix_permissions=True`).
    loose_modes: list[Problem] = field(default_factory=list)
    modes_fixed: int = 0
    #: Per data file: its journal's records and bytes (every checksum was verified by the read).
    journals: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: On PostgreSQL (no journals): what the database holds (`DataStore.database()`); None on the data folder.
    database: dict[str, Any] | None = None


def check(
    store: DataStore, progress: Progress | None = None, *, fix_permissions: bool = False
) -> CheckResult:
    """Everything wrong with the data folder: data files that do not parse, content files missing,
    of the wrong size or hash, covers missing. Hashing streams, so memory stays flat. Also lists what
    other local users could read (see `paidpdf.store.files.permissions`), and tightens it when asked."""
    loose = permissions.loose(store.root)
    fixed = permissions.tighten(loose) if fix_permissions else 0
    loose_modes = [Problem(str(m.path), m.describe()) for m in loose]
    problems: list[Problem] = []
    try:
        fetch_from_objects(store)  # with an object store: check every file, not just local copies
    except PaidPdfError as exc:
        problems.append(Problem(store.objects.describe() if store.objects else "files", exc.message))
    interrupted = pending(store)
    if interrupted is not None:
        problems.append(interrupted)
    database = store.database()
    readable = 0
    items: list[dict[str, Any]] = []
    journals: dict[str, dict[str, Any]] = {}
    for name in FILES:
        try:
            view = store.view(name)  # reads the base and every journal record, checking each checksum
            store.verify_index(name)
            if database is None:
                journals[name] = journal_summary(store, name)
        except StorageError as exc:
            problems.append(Problem(str(store.path(name)), exc.message))
            continue
        readable += 1
        if name == CATALOG:
            items = view.all(CONTENT)
    hashed: dict[Path, str] = {}
    done = 0
    for item in items:
        item_id = str(item.get("id"))
        for label, path in item_paths(store.root, item):
            if path is None:
                problems.append(Problem(item_id, f"{label} name is invalid"))
                continue
            try:
                size = path.stat().st_size
            except OSError:
                problems.append(Problem(item_id, f"{label} missing: {path}"))
                continue
            if label != "content file":
                continue
            if size != item.get("size"):
                expected = item.get("size")
                problems.append(Problem(item_id, f"size is {size} bytes, the catalog says {expected}"))
            if path not in hashed:
                hashed[path] = blobs.hash_file(path, offset_progress(progress, done))
                done += size
            if hashed[path] != item.get("sha256"):
                problems.append(Problem(item_id, f"sha256 of {path} does not match (file damaged)"))
    return CheckResult(problems, readable, len(items), done, loose_modes, fixed, journals, database)


def journal_summary(store: DataStore, name: str) -> dict[str, Any]:
    """A journal as `db check --json` and `db info --json` show it."""
    found = store.journal_state(name)
    return {
        "path": str(found.path),
        "records": found.records,
        "bytes": found.bytes,
        "interrupted_tail_bytes": found.tail,
        "continues_base": found.current,
        "base_bytes": found.base_bytes,
        "read_from_disk": found.on_disk,
    }


def content_bytes(store: DataStore) -> int:
    """Bytes `check` will hash (for a progress bar's total); 0 when the catalog is unreadable."""
    try:
        items = store.view(CATALOG).all(CONTENT)
    except StorageError:
        return 0
    sizes: dict[str, int] = {}
    for item in items:
        if isinstance(item.get("sha256"), str) and isinstance(item.get("size"), int):
            sizes[item["sha256"]] = item["size"]
    return sum(sizes.values())


def info(store: DataStore) -> dict[str, Any]:
    """Paths, sizes and record counts of the data folder; an unreadable file is reported, not raised.
    On PostgreSQL: each data file's documents per table, and what the database holds (`database`)."""
    database = store.database()
    files: dict[str, Any] = {}
    for name in FILES if database is None else ():
        path = store.path(name)
        entry: dict[str, Any] = {
            "path": str(path),
            "exists": path.exists() or store.journal_path(name).exists(),
            "size": sum(p.stat().st_size for p in (path, store.journal_path(name)) if p.exists()),
        }
        try:
            view = store.view(name)
            entry["tables"] = {t: view.count(t) for t in view.tables()}
            entry["journal"] = journal_summary(store, name)
        except StorageError as exc:
            entry["error"] = exc.message
        files[name] = entry
    blob_stats = {}
    for folder in BLOB_DIRS:
        found = [p for rel, p in blob_files(store.root) if rel.startswith(folder + "/")]
        blob_stats[folder] = {
            "path": str(store.root / folder),
            "files": len(found),
            "bytes": sum(p.stat().st_size for p in found),
        }
    if database is not None:
        files = {name: dict(entry) for name, entry in database["files"].items()}
    latest = store.latest_backup()
    report: dict[str, Any] = {
        "data_dir": str(store.root.absolute()),
        "documents": store.describe(),
        "files": files,
        "blobs": blob_stats,
        "latest_backup": str(latest) if latest else None,
    }
    return report if database is None else {**report, "database": database}
