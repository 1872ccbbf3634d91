"""The sidecar index of a base (`sales.index` next to `sales.json`): where each document's bytes are.

A large base is not parsed into memory: a process reads this index (a few dozen bytes per document, in
flat `array`s, not Python objects) and fetches each document with one `pread` when it is asked for.
That is what keeps a logged-in page from parsing other readers' orders, and a million-order shop's
server within a few hundred megabytes.

Per table, by *position* (the document's place in the base's table, in file order):
`starts` (byte offset of the entry `"id":{...}`), `keylens` (bytes of `"id":`), `lengths` (bytes of
the document). Lookups use sorted `keys` arrays of `crc32(json) << 32 | position`: one for ids and
one per indexed field (`layout.INDEXED_FIELDS`). A CRC-32 can collide, so every hit is checked
against the document itself (`cold.py`).

Layout: magic `PPINDX1\\n`, a 4-byte header length, the orjson header (the base it describes: device,
inode, size, mtime and CRC-32; the tables and their arrays), the arrays' bytes, then a CRC-32 of
everything before it. The index is derived data: one that is missing, damaged or names another base is
ignored (the base is then parsed whole, and the next writer writes a new base with a new index).
"""

from __future__ import annotations

import os
import struct
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from paidpdf.store.files import atomic_write

MAGIC = b"PPINDX1\n"
_LEN = struct.Struct(">I")
POS_BITS = 32
POS_MASK = (1 << POS_BITS) - 1

#: typecodes with the sizes the format needs (checked: `array` sizes are platform-defined)
U64, U32 = "Q", "I"
assert array(U64).itemsize == 8 and array(U32).itemsize == 4


def key_hash(encoded: bytes) -> int:
    """The 32-bit hash an index sorts on: CRC-32 of a value's JSON bytes (stable across processes)."""
    return zlib.crc32(encoded)


def positions(keys: array[int], wanted: int) -> Iterator[int]:
    """Positions whose key hash is `wanted` (candidates: the caller checks the document)."""
    i = bisect_left(keys, wanted << POS_BITS)
    size = len(keys)
    while i < size:
        key = keys[i]
        if key >> POS_BITS != wanted:
            return
        yield key & POS_MASK
        i += 1


@dataclass
class TableIndex:
    """Where one table's documents are in the base, and its lookup keys."""

    name: str
    starts: array[int] = field(default_factory=lambda: array(U64))
    keylens: array[int] = field(default_factory=lambda: array(U32))
    lengths: array[int] = field(default_factory=lambda: array(U32))
    ids: array[int] = field(default_factory=lambda: array(U64))
    fields: dict[str, array[int]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.starts)

    def end(self, pos: int) -> int:
        """The byte just past document `pos`."""
        return self.starts[pos] + self.keylens[pos] + self.lengths[pos]


@dataclass(frozen=True)
class BaseId:
    """Which base file an index describes (a renamed-in base is a new inode; a rewrite a new mtime)."""

    dev: int
    ino: int
    size: int
    mtime_ns: int
    crc32: int

    def matches(self, st: os.stat_result) -> bool:
        return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) == (
            self.dev,
            self.ino,
            self.size,
            self.mtime_ns,
        )


@dataclass
class BaseIndex:
    base: BaseId
    tables: dict[str, TableIndex]


def encode(index: BaseIndex) -> bytes:
    arrays: list[array[int]] = []
    tables = []
    for t in index.tables.values():
        names = ["starts", "keylens", "lengths", "ids"]
        parts = [t.starts, t.keylens, t.lengths, t.ids]
        for name, keys in t.fields.items():
            names.append(f"field:{name}")
            parts.append(keys)
        tables.append(
            {"name": t.name, "arrays": [[n, a.typecode, len(a)] for n, a in zip(names, parts, strict=True)]}
        )
        arrays += parts
    header = orjson.dumps({"index": 1, "base": vars(index.base), "tables": tables})
    body = MAGIC + _LEN.pack(len(header)) + header + b"".join(a.tobytes() for a in arrays)
    return body + _LEN.pack(zlib.crc32(body))


def decode(raw: bytes) -> BaseIndex | None:
    """The index in `raw`, or None when it is not a whole, undamaged index."""
    if len(raw) < len(MAGIC) + 8 or raw[: len(MAGIC)] != MAGIC:
        return None
    if _LEN.unpack_from(raw, len(raw) - 4)[0] != zlib.crc32(memoryview(raw)[:-4]):
        return None
    try:
        (hlen,) = _LEN.unpack_from(raw, len(MAGIC))
        at = len(MAGIC) + 4
        header: dict[str, Any] = orjson.loads(raw[at : at + hlen])
        at += hlen
        base = BaseId(**header["base"])
        tables: dict[str, TableIndex] = {}
        for spec in header["tables"]:
            t = TableIndex(spec["name"])
            for name, typecode, count in spec["arrays"]:
                values = array(typecode)
                stop = at + count * values.itemsize
                values.frombytes(raw[at:stop])
                at = stop
                if name.startswith("field:"):
                    t.fields[name[len("field:") :]] = values
                else:
                    setattr(t, name, values)
            tables[t.name] = t
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return BaseIndex(base, tables) if at == len(raw) - 4 else None


def index_path(base: Path) -> Path:
    return base.with_suffix(".index")


def read(base: Path, st: os.stat_result) -> BaseIndex | None:
    """The index of the base whose `fstat` is `st`, if one is there and names exactly that base."""
    try:
        raw = index_path(base).read_bytes()
    except OSError:
        return None
    found = decode(raw)
    return found if found is not None and found.base.matches(st) else None


def write(base: Path, index: BaseIndex) -> None:
    atomic_write(index_path(base), encode(index))
