"""`db migrate`: copy a whole embedded shop's documents into the scale-out database.

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
from paidpdf.store import FILES, DataStore


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
