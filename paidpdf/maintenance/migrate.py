"""`db migrate`: copy a whole embedded shop into the scale-out backends (documents, files).

Each data file is exported as it is now (base plus journal) under the source's locks, written into
the target in one transaction per file, and then read back and compared document by document
(counts and a SHA-256 over each table's canonical JSON), so a migration that reports success holds
exactly what the source held. It can be run again (each file is replaced whole); a target that already
holds documents is refused unless `replace` is given, so a typo in the URL cannot overwrite a live shop.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from paidpdf.errors import Conflict, StorageError
from paidpdf.maintenance.data_folder import Progress, blob_files
from paidpdf.store import FILES, DataStore
from paidpdf.store.files import blobs
from paidpdf.store.files.object_files import ObjectFiles, content_type_of


@dataclass
class MigrateResult:
    """What was copied, per data file and table: {file: {table: count}}, and the checksums compared."""

    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)


def migrate(source: DataStore, target: DataStore, *, replace: bool = False) -> MigrateResult:
    """Copy every document of `source` into `target`, verified. See the module docstring."""
    if not replace:
        for name in FILES:
            if target.view(name).tables():
                raise Conflict(
                    f"{target.describe()} already holds {name} documents; "
                    "pass --replace to overwrite them with this shop's"
                )
    result = MigrateResult()
    with source.lock_all(), target.lock_all():
        for name in FILES:
            payload = source.export(name)
            if payload is None:
                target.remove_files(name)
                continue
            target.replace_file(name, payload)
            expected, counts = _digest(orjson.loads(payload))
            copied = target.export(name)
            got, _ = _digest(orjson.loads(copied) if copied else {})
            if got != expected:
                raise StorageError(f"{name}: the copy in {target.describe()} differs from the source")
            result.counts[name] = counts
            result.digests[name] = expected
    return result


def _digest(tables: dict[str, dict[str, Any]]) -> tuple[str, dict[str, int]]:
    """SHA-256 over the documents in a canonical order and form, and the count per table."""
    digest = hashlib.sha256()
    counts: dict[str, int] = {}
    for table in sorted(tables):
        rows = tables[table]
        counts[table] = len(rows)
        for doc_id in sorted(rows):
            digest.update(orjson.dumps([table, doc_id, rows[doc_id]], option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest(), counts


@dataclass
class FilesResult:
    files: int = 0
    bytes: int = 0


def migrate_files(store: DataStore, objects: ObjectFiles, progress: Progress | None = None) -> FilesResult:
    """Upload every content file and cover of the data folder to the object store, then read each one
    back and compare its SHA-256 (a content file's name is its hash; a cover's is its bytes' hash).
    Re-runnable: an object already there with the same size is not sent again (but still checked)."""
    objects.ensure_bucket()
    result = FilesResult()
    for rel, path in blob_files(store.root):
        objects.put(rel, path, content_type_of(rel))
        digest = hashlib.sha256()
        for chunk in objects.read(rel):
            digest.update(chunk)
        if digest.hexdigest() != blobs.hash_file(path):
            raise StorageError(f"{rel}: the copy in {objects.describe()} differs from {path}")
        result.files += 1
        result.bytes += path.stat().st_size
        if progress is not None:
            progress(result.bytes)
    return result
