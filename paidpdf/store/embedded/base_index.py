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

Layout: magic `PPINDX1\\n`, the header's length and CRC-32 (4 bytes each), the orjson header (the base
it describes: device, inode, size, mtime and CRC-32; each table's arrays with their CRC-32s), then the
arrays' bytes. Opening an index reads its header only; an array is read, and its checksum checked,
when first used. The index is derived data: one that is missing, has a damaged header or names another
base is ignored (the base is then parsed whole, and the next writer writes a new base with a new
index); an array that fails its checksum is an error that says to delete the index.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from paidpdf.errors import StorageCorrupt
from paidpdf.store.files.atomic import atomic_write

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


class TableIndex:
    """Where one table's documents are in the base, and its lookup keys.

    An index read from disk loads each array on first use (checking its CRC-32), so a request that
    looks up one reader's library loads the library's arrays, not the orders'.
    """

    def __init__(
        self, name: str, source: _Source | None = None, specs: dict[str, _Spec] | None = None
    ) -> None:
        self.name = name
        self._source = source
        self._specs = specs or {}
        self._lock = threading.Lock()
        self.arrays: dict[str, array[int]] = {}
        if source is None:
            for part, typecode in (("starts", U64), ("keylens", U32), ("lengths", U32), ("ids", U64)):
                self.arrays[part] = array(typecode)

    def _get(self, part: str) -> array[int]:
        found = self.arrays.get(part)
        if found is None:
            with self._lock:
                found = self.arrays.get(part)
                if found is None:
                    assert self._source is not None
                    found = self.arrays[part] = self._source.load(self._specs[part], f"{self.name}.{part}")
        return found

    @property
    def starts(self) -> array[int]:
        return self._get("starts")

    @property
    def keylens(self) -> array[int]:
        return self._get("keylens")

    @property
    def lengths(self) -> array[int]:
        return self._get("lengths")

    @property
    def ids(self) -> array[int]:
        return self._get("ids")

    @property
    def field_names(self) -> list[str]:
        names = self._specs if self._source is not None else self.arrays
        return [p.removeprefix("field:") for p in names if p.startswith("field:")]

    def field(self, name: str) -> array[int] | None:
        """The sorted keys of an indexed field; None when this index has none for it."""
        return self._get(f"field:{name}") if name in self.field_names else None

    def parts(self) -> list[tuple[str, array[int]]]:
        return [(p, self._get(p)) for p in (self._specs if self._source is not None else list(self.arrays))]

    def __len__(self) -> int:
        if self._source is None:
            return len(self.arrays["starts"])
        return self._specs["starts"].count

    def end(self, pos: int) -> int:
        """The byte just past document `pos`."""
        return self.starts[pos] + self.keylens[pos] + self.lengths[pos]


@dataclass(frozen=True)
class _Spec:
    offset: int
    typecode: str
    count: int
    crc32: int


class _Source:
    """The open index file the arrays of one `BaseIndex` are read from (a compaction may rename a new
    index over the path meanwhile; the descriptor still reads this one)."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    def load(self, spec: _Spec, what: str) -> array[int]:
        values = array(spec.typecode)
        size = spec.count * values.itemsize
        raw = os.pread(self.fd, size, spec.offset) if size else b""
        if len(raw) != size or zlib.crc32(raw) != spec.crc32:
            raise StorageCorrupt(
                f"{self.path} is damaged ({what} fails its checksum); delete it: the shop reads the base "
                "whole meanwhile and the next write rebuilds it"
            )
        values.frombytes(raw)
        return values

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self.fd)


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


def encode(index: BaseIndex) -> list[bytes | array[int]]:
    """Header (with its own CRC-32), then each array's bytes (its CRC-32 is in the header): buffers
    to write one after the other, so the arrays are never copied (at 1M orders they are 100 MB)."""
    arrays: list[bytes | array[int]] = []
    tables = []
    for t in index.tables.values():
        specs = []
        for part, values in t.parts():
            specs.append([part, values.typecode, len(values), zlib.crc32(memoryview(values).cast("B"))])
            arrays.append(values)
        tables.append({"name": t.name, "arrays": specs})
    header = orjson.dumps({"index": 2, "base": vars(index.base), "tables": tables})
    return [MAGIC + _LEN.pack(len(header)) + _LEN.pack(zlib.crc32(header)) + header, *arrays]


def _decode(fd: int, path: Path) -> BaseIndex | None:
    """The index in the open file `fd` (its header only: arrays load on use), or None when the
    header is not a whole, undamaged one."""
    start = os.pread(fd, len(MAGIC) + 8, 0)
    if len(start) < len(MAGIC) + 8 or start[: len(MAGIC)] != MAGIC:
        return None
    hlen, hcrc = _LEN.unpack_from(start, len(MAGIC))[0], _LEN.unpack_from(start, len(MAGIC) + 4)[0]
    at = len(start)
    raw = os.pread(fd, hlen, at)
    if len(raw) != hlen or zlib.crc32(raw) != hcrc:
        return None
    at += hlen
    try:
        header: dict[str, Any] = orjson.loads(raw)
        base = BaseId(**header["base"])
        tables: dict[str, dict[str, _Spec]] = {}
        for spec in header["tables"]:
            specs = tables[spec["name"]] = {}
            for part, typecode, count, crc in spec["arrays"]:
                specs[part] = _Spec(at, typecode, count, crc)
                at += count * array(typecode).itemsize
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    if at != os.fstat(fd).st_size:
        return None
    source = _Source(fd, path)  # from here on, the tables' source owns the descriptor
    return BaseIndex(base, {name: TableIndex(name, source, specs) for name, specs in tables.items()})


def index_path(base: Path) -> Path:
    return base.with_suffix(".index")


def read(base: Path, st: os.stat_result) -> BaseIndex | None:
    """The index of the base whose `fstat` is `st`, if one is there and names exactly that base."""
    path = index_path(base)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        found = _decode(fd, path)
    except OSError:
        found = None
    if found is None:
        os.close(fd)
        return None
    return found if found.base.matches(st) else None  # (its source closes the descriptor)


def verify_table(table: TableIndex) -> None:
    """Load every array, checking each one's CRC-32 (`db check`); `StorageCorrupt` names a bad one."""
    table.parts()


def write(base: Path, index: BaseIndex) -> None:
    atomic_write(index_path(base), encode(index))
