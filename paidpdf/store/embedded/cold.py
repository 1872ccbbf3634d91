"""Tables whose base stays on disk: documents are read with one `pread` when asked for, never all at once.

A large base (`Store(cold_from=...)`) with a matching index (`base_index.py`) is not parsed. Each of
its tables becomes a `Layered` table: the `ColdTable` on disk, plus, in memory, the documents changed
since the base was written (`hot`, a versioned `Table`) and the ids deleted since (`gone`). Memory is
then the index's flat arrays plus what changed since the last compaction, whatever the history's size,
and finding one reader's orders reads those orders only.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator
from typing import Any

import orjson

from paidpdf.errors import StorageError
from paidpdf.store.embedded.base_index import TableIndex, key_hash, positions
from paidpdf.store.embedded.tables import DELETED, Change, Doc, Table
from paidpdf.store.layout import indexable

log = logging.getLogger("paidpdf.store")

#: Bytes read at a time when a whole table is streamed.
BLOCK = 1024 * 1024
EMPTY = Table.of({})
_warned: set[tuple[str, str]] = set()


class BaseReader:
    """An open base file, shared by the cold tables of every snapshot made from it.

    It owns its descriptor (a `dup` of the one the base was identified by), so a snapshot that a
    request still holds keeps reading the base it was made from after a compaction renamed a new base
    over it; the descriptor closes with the last snapshot that uses it.
    """

    def __init__(self, fd: int, path: str) -> None:
        self.fd = os.dup(fd)
        self.path = path

    def read(self, offset: int, size: int) -> bytes:
        chunks = []
        while size > 0:
            try:
                chunk = os.pread(self.fd, size, offset)
            except OSError as exc:
                raise StorageError(f"cannot read {self.path}: {exc.strerror}") from None
            if not chunk:
                raise StorageError(f"{self.path} is shorter than its index says; run `paidpdf db check`")
            chunks.append(chunk)
            offset += len(chunk)
            size -= len(chunk)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def __del__(self) -> None:
        with contextlib.suppress(OSError, AttributeError):
            os.close(self.fd)


class ColdTable:
    """One table of a base on disk, read through its index."""

    __slots__ = ("index", "reader")

    def __init__(self, reader: BaseReader, index: TableIndex) -> None:
        self.reader = reader
        self.index = index

    def __len__(self) -> int:
        return len(self.index)

    def _entry(self, pos: int) -> bytes:
        ix = self.index
        return self.reader.read(ix.starts[pos], ix.keylens[pos] + ix.lengths[pos])

    def _parse(self, entry: bytes | memoryview, keylen: int) -> Doc:
        try:
            doc = orjson.loads(entry[keylen:])
        except orjson.JSONDecodeError:
            doc = None
        if not isinstance(doc, dict):
            raise StorageError(f"{self.reader.path} does not match its index; run `paidpdf db check`")
        return doc

    def position(self, doc_id: str) -> int | None:
        """The position of `doc_id` in the base, if it is there."""
        encoded = orjson.dumps(doc_id)
        for pos in positions(self.index.ids, key_hash(encoded)):
            if self._entry(pos)[: self.index.keylens[pos] - 1] == encoded:
                return pos
        return None

    def get(self, doc_id: str) -> Doc | None:
        encoded = orjson.dumps(doc_id)
        for pos in positions(self.index.ids, key_hash(encoded)):
            entry = self._entry(pos)
            keylen = self.index.keylens[pos]
            if entry[: keylen - 1] == encoded:
                return self._parse(entry, keylen)
        return None

    def find(self, field: str, value: Any) -> list[Doc] | None:
        """Documents whose `field` equals `value`, through the field's index; None if not indexed."""
        keys = self.index.field(field)
        if keys is None or not indexable(value):
            return None
        found = []
        for pos in positions(keys, key_hash(orjson.dumps(value))):
            doc = self._parse(self._entry(pos), self.index.keylens[pos])
            if doc.get(field) == value:
                found.append(doc)
        return found

    def items(self) -> Iterator[tuple[str, Doc]]:
        """Every document in file order, reading a block at a time (never the whole table)."""
        ix = self.index
        count = len(ix)
        pos = 0
        while pos < count:
            first = ix.starts[pos]
            last = pos
            while last + 1 < count and ix.end(last + 1) - first <= BLOCK:
                last += 1
            block = memoryview(self.reader.read(first, ix.end(last) - first))
            for p in range(pos, last + 1):
                at = ix.starts[p] - first
                keylen = ix.keylens[p]
                entry = block[at : at + keylen + ix.lengths[p]]
                yield orjson.loads(entry[: keylen - 1]), self._parse(entry, keylen)
            pos = last + 1


class Layered:
    """A cold table as of one commit: the base on disk, plus what changed since it was written.

    `hot` holds documents put since the base (they win over the base's version), `gone` the ids deleted
    since (a later put of the same id is in `hot`, which is looked at first). Like `Table`, a version
    is never changed; `changed` makes the next one at the cost of the change.
    """

    __slots__ = ("cold", "gone", "hot", "size")

    def __init__(
        self, cold: ColdTable, hot: Table = EMPTY, gone: Table = EMPTY, size: int | None = None
    ) -> None:
        self.cold = cold
        self.hot = hot
        self.gone = gone
        self.size = len(cold) if size is None else size

    def __len__(self) -> int:
        return self.size

    def _replaced(self, doc_id: str) -> bool:
        return self.hot.get(doc_id) is not None or self.gone.get(doc_id) is not None

    def get(self, doc_id: str) -> Doc | None:
        found = self.hot.get(doc_id)
        if found is not None:
            return found
        if self.gone.get(doc_id) is not None:
            return None
        return self.cold.get(doc_id)

    def items(self) -> Iterator[tuple[str, Doc]]:
        for doc_id, doc in self.cold.items():
            if not self._replaced(doc_id):
                yield doc_id, doc
        yield from self.hot.items()

    def values(self) -> Iterator[Doc]:
        return (doc for _, doc in self.items())

    def find(self, field: str, value: Any) -> list[Doc]:
        found = self.hot.find(field, value)
        cold = self.cold.find(field, value)
        if cold is None:
            if (self.cold.reader.path, field) not in _warned:
                _warned.add((self.cold.reader.path, field))
                log.warning(
                    "%s: no index on %r; looking it up reads the whole table", self.cold.reader.path, field
                )
            cold = [doc for _, doc in self.cold.items() if doc.get(field) == value]
        return found + [doc for doc in cold if not self._replaced(doc["id"])]

    def find_many(self, field: str, values: Iterable[str]) -> dict[str, list[Doc]]:
        wanted = list(values)
        hot = self.hot.find_many(field, wanted)
        return {
            v: hot[v] + [d for d in self._cold_find(field, v) if not self._replaced(d["id"])] for v in wanted
        }

    def _cold_find(self, field: str, value: Any) -> list[Doc]:
        found = self.cold.find(field, value)
        if found is None:
            found = [doc for _, doc in self.cold.items() if doc.get(field) == value]
        return found

    def changed(self, changes: dict[str, Change]) -> Layered:
        size = self.size
        for doc_id, change in changes.items():
            size += (change is not DELETED) - (self.get(doc_id) is not None)
        gone = {doc_id: {"id": doc_id} for doc_id, change in changes.items() if change is DELETED}
        return Layered(
            self.cold, self.hot.changed(changes), self.gone.changed(gone) if gone else self.gone, size
        )

    def folded(self) -> Layered:
        return Layered(self.cold, self.hot.folded(), self.gone.folded(), self.size)

    def materialize(self) -> dict[str, Doc]:
        return dict(self.items())

    def replaced_positions(self) -> list[int]:
        """Sorted positions of base documents that were changed or deleted since (compaction)."""
        ids = {doc_id for doc_id, _ in self.hot.items()} | {doc_id for doc_id, _ in self.gone.items()}
        found = (self.cold.position(doc_id) for doc_id in ids)
        return sorted(pos for pos in found if pos is not None)
