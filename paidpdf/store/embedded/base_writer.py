"""Writing a new base (a compaction, a restore, a generated test shop) as a stream, with its index.

The base is plain TinyDB JSON (`{"orders":{"ord_1":{...},...},...}`), written entry by entry to a temp
file while the index (`base_index.py`) is built alongside, so neither the file nor a list of its
documents is ever held whole. Documents of a cold table that did not change since the old base are
copied as raw byte ranges (no parsing), and their index keys are carried over, re-numbered, rather than
recomputed: a compaction costs about one sequential copy of the file.
"""

from __future__ import annotations

import contextlib
import os
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from paidpdf.store.embedded import base_index
from paidpdf.store.embedded.base_index import POS_BITS, POS_MASK, U64, BaseId, BaseIndex, TableIndex, key_hash
from paidpdf.store.embedded.cold import ColdTable, Layered
from paidpdf.store.embedded.tables import Doc, Table
from paidpdf.store.files.atomic import fsync_dir, temp_name
from paidpdf.store.files.permissions import PRIVATE_FILE
from paidpdf.store.layout import INDEXED_FIELDS, indexable

FLUSH_AT = 4 * 1024 * 1024
#: Index entries re-numbered at a time (bounds the Python ints alive during a compaction).
SLICE = 65536
Run = tuple[int, int, int]  # old first position, old last position, new first position


class BaseWriter:
    """One new base being written to a temp file next to its final path."""

    def __init__(self, path: Path, fields: Mapping[str, Sequence[str]]) -> None:
        self.path = path
        self.fields = fields
        self.tmp = temp_name(path)
        self.fd = os.open(self.tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        os.fchmod(self.fd, PRIVATE_FILE)
        self.buffer = bytearray(b"{")
        self.flushed = 0
        self.crc = 0
        self.tables: dict[str, TableIndex] = {}

    @property
    def offset(self) -> int:
        return self.flushed + len(self.buffer)

    def _write(self, data: bytes | memoryview) -> None:
        self.buffer += data
        if len(self.buffer) >= FLUSH_AT:
            self._flush()

    def _flush(self) -> None:
        view = memoryview(self.buffer)
        self.crc = zlib.crc32(view, self.crc)
        while view:
            view = view[os.write(self.fd, view) :]
        self.flushed += len(self.buffer)
        self.buffer = bytearray()

    def table(self, name: str, source: Table | Layered | Iterable[Doc]) -> None:
        """Write one table: the live documents of `source` (a table version, or documents)."""
        self._write(b"," if self.tables else b"")
        self._write(orjson.dumps(name) + b":{")
        builder = _TableBuilder(self, name, tuple(self.fields.get(name, ())))
        if isinstance(source, Layered):
            builder.copy(source.cold, source.replaced_positions())
            builder.add_all(source.hot.values())
        elif isinstance(source, Table):
            builder.add_all(source.values())
        else:
            builder.add_all(source)
        self.tables[name] = builder.finish()
        self._write(b"}")

    def finish(self) -> BaseIndex:
        """Close the file durably; the caller renames `tmp` into place (see `install`)."""
        self._write(b"}")
        self._flush()
        os.fsync(self.fd)
        st = os.fstat(self.fd)
        os.close(self.fd)
        base = BaseId(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, self.crc)
        return BaseIndex(base, self.tables)

    def abandon(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.fd)
        self.tmp.unlink(missing_ok=True)


class _TableBuilder:
    def __init__(self, writer: BaseWriter, name: str, fields: tuple[str, ...]) -> None:
        self.writer = writer
        self.index = TableIndex(name)
        self.fields = fields
        self.new_ids: list[int] = []
        self.new_keys: dict[str, list[int]] = {f: [] for f in fields}
        self.copied: list[tuple[ColdTable, list[Run]]] = []

    def _separator(self) -> None:
        if len(self.index):
            self.writer._write(b",")

    def add_all(self, docs: Iterable[Doc]) -> None:
        for doc in docs:
            self.add(doc)

    def add(self, doc: Doc) -> None:
        self._separator()
        pos = len(self.index)
        key = orjson.dumps(doc["id"])
        value = orjson.dumps(doc)
        self.index.starts.append(self.writer.offset)
        self.index.keylens.append(len(key) + 1)
        self.index.lengths.append(len(value))
        self.writer._write(key + b":" + value)
        self.new_ids.append(key_hash(key) << POS_BITS | pos)
        for field in self.fields:
            found = doc.get(field)
            if indexable(found):
                self.new_keys[field].append(key_hash(orjson.dumps(found)) << POS_BITS | pos)

    def copy(self, cold: ColdTable, dead: list[int]) -> None:
        """Copy the base documents of `cold` except those at the `dead` positions, as raw bytes."""
        old = cold.index
        runs: list[Run] = []
        start = 0
        for stop in [*dead, len(old)]:
            if stop > start:
                runs.append((start, stop - 1, len(self.index)))
                self._copy_run(cold, start, stop - 1)
            start = stop + 1
        self.copied.append((cold, runs))
        for field in self.fields:
            if field not in old.field_names:  # a field indexed since the old base was written: read them
                for lo, hi, new_lo in runs:
                    for offset, pos in enumerate(range(lo, hi + 1)):
                        found = cold._parse(cold._entry(pos), old.keylens[pos]).get(field)
                        if indexable(found):
                            self.new_keys[field].append(
                                key_hash(orjson.dumps(found)) << POS_BITS | new_lo + offset
                            )

    def _copy_run(self, cold: ColdTable, lo: int, hi: int) -> None:
        old = cold.index
        self._separator()
        delta = self.writer.offset - old.starts[lo]
        for at in range(lo, hi + 1, SLICE):
            part = old.starts[at : min(hi + 1, at + SLICE)]
            self.index.starts.extend(array(U64, [s + delta for s in part]))
        self.index.keylens.extend(old.keylens[lo : hi + 1])
        self.index.lengths.extend(old.lengths[lo : hi + 1])
        offset, end = old.starts[lo], old.end(hi)
        while offset < end:
            chunk = cold.reader.read(offset, min(FLUSH_AT, end - offset))
            self.writer._write(chunk)
            offset += len(chunk)

    def finish(self) -> TableIndex:
        self.index.arrays["ids"] = _merge(self.copied, lambda ix: ix.ids, self.new_ids)
        for field in self.fields:
            self.index.arrays[f"field:{field}"] = _merge(
                [(c, r) for c, r in self.copied if field in c.index.field_names],
                lambda ix, f=field: ix.field(f),  # type: ignore[misc]
                self.new_keys[field],
            )
        return self.index


def _merge(copied: list[tuple[ColdTable, list[Run]]], keys_of: Any, new: list[int]) -> array[int]:
    """Sorted keys: the copied documents' old keys re-numbered (still sorted: re-numbering keeps the
    order of positions), with the new documents' keys inserted. Works a slice at a time, so a million
    keys never become a million Python ints at once (a compaction inside the server stays small)."""
    keys = array(U64)
    for cold, runs in copied:
        old_keys: array[int] = keys_of(cold.index)
        if runs == [(0, len(cold.index) - 1, 0)]:
            keys.extend(old_keys)  # every document copied, in place: keys unchanged
            continue
        newpos = array("q", [-1]) * len(cold.index)
        for lo, hi, new_lo in runs:
            newpos[lo : hi + 1] = array("q", range(new_lo, new_lo + hi - lo + 1))
        hash_mask = ~POS_MASK
        for at in range(0, len(old_keys), SLICE):
            keys.extend(
                array(
                    U64,
                    [
                        (key & hash_mask) | newpos[key & POS_MASK]
                        for key in old_keys[at : at + SLICE]
                        if newpos[key & POS_MASK] >= 0
                    ],
                )
            )
    return _insert_sorted(keys, sorted(new))


def _insert_sorted(keys: array[int], new: list[int]) -> array[int]:
    """`keys` (sorted) with the sorted `new` keys inserted: slices copied in C, one bisect per key."""
    if not new:
        return keys
    merged = array(U64)
    done = 0
    for key in new:
        at = bisect_left(keys, key, done)
        merged.extend(keys[done:at])
        merged.append(key)
        done = at
    merged.extend(keys[done:])
    return merged


def write_new_base(
    path: Path, tables: Mapping[str, Table | Layered | Iterable[Doc]], fields: Mapping[str, Sequence[str]]
) -> tuple[Path, BaseIndex]:
    """Write `tables` as a new base in a temp file next to `path`; returns the temp file and its index."""
    writer = BaseWriter(path, fields)
    try:
        for name, source in tables.items():
            writer.table(name, source)
        return writer.tmp, writer.finish()
    except BaseException:
        writer.abandon()
        raise


def write_base_file(path: Path, tables: Mapping[str, Iterable[Doc]]) -> None:
    """Make `path` a base holding `tables` (documents streamed from iterables), with its index: how
    the benches build a million-order shop without holding it, exactly as a compaction would write it."""
    tmp, index = write_new_base(path, tables, INDEXED_FIELDS)
    tmp.replace(path)
    fsync_dir(path.parent)
    base_index.write(path, index)
