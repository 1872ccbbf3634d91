"""Data files of any size written straight to disk, for the benches' large shops (1M orders).

A million order documents as Python dicts take gigabytes; written table by table in chunks of 10,000
they never exist at once. The result is exactly what the store reads: TinyDB JSON keyed by each
document's own id, or by 1..n as stock TinyDB keys them. A shop's own files are written with their
index, as a compaction writes them (`indexed`), so opening a million-order shop reads it from disk.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from paidpdf.store.embedded.base_writer import write_base_file

Maker = Callable[[int], dict[str, Any]]
CHUNK = 10_000


def write_tables(
    path: Path, tables: dict[str, tuple[int, Maker]], *, stock_ids: bool = False, indexed: bool = False
) -> None:
    """Write `{table: (count, make)}` as one TinyDB file; `make(i)` builds document number `i`."""
    if indexed:
        write_base_file(path, {name: map(make, range(count)) for name, (count, make) in tables.items()})
        return
    with path.open("wb") as out:
        out.write(b"{")
        for t, (name, (count, make)) in enumerate(tables.items()):
            out.write((b"," if t else b"") + orjson.dumps(name) + b":{")
            for start in range(0, count, CHUNK):
                chunk = {}
                for i in range(start, min(count, start + CHUNK)):
                    doc = make(i)
                    chunk[str(i + 1) if stock_ids else doc["id"]] = doc
                out.write((b"," if start else b"") + orjson.dumps(chunk)[1:-1])
            out.write(b"}")
        out.write(b"}")
