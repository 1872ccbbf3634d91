"""Views and units: how code reads a data file and changes it, through TinyDB's document API.

A `View` reads one `Snapshot` (the file's tables as of one commit, shared between threads and never
changed); a `Unit` is a `View` whose changes are recorded, through a TinyDB `Table`, as pending
documents over the snapshot. When the unit ends, the `Store` appends exactly those documents to the
journal and makes the next snapshot from them, so a write costs what it changes. Documents cross this
boundary as private deep copies, so no caller can alter what other threads read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document
from tinydb.table import Table as TinyTable

from paidpdf.errors import Conflict, NotFound, StorageError
from paidpdf.store.embedded.cold import Layered
from paidpdf.store.embedded.tables import DELETED, Change, Table

Doc = dict[str, Any]
#: A table as of one commit: all in memory, or a base on disk plus what changed since (`cold.py`).
AnyTable = Table | Layered


@dataclass(frozen=True)
class Snapshot:
    """One data file as of one commit: its tables, and a token that changes with every commit."""

    tables: dict[str, AnyTable]
    version: tuple[Any, ...] = ()

    def with_changes(
        self, changes: dict[str, dict[str, Change]], dropped: set[str], version: tuple[Any, ...]
    ) -> Snapshot:
        """The next snapshot: tables in `dropped` emptied first, then `changes` applied."""
        tables = {name: t for name, t in self.tables.items() if name not in dropped}
        for name, docs in changes.items():
            tables[name] = tables.get(name, EMPTY).changed(docs)
        return Snapshot(tables, version)


EMPTY: AnyTable = Table.of({})


class View:
    """Read access to one data file as it was when the view was made."""

    def __init__(self, name: str, snapshot: Snapshot) -> None:
        self.name = name
        self._snapshot = snapshot

    @property
    def version(self) -> tuple[Any, ...]:
        """Changes with every commit to this file (caches of derived pages key on it)."""
        return self._snapshot.version

    def _table(self, table: str) -> AnyTable:
        return self._snapshot.tables.get(table, EMPTY)

    def get(self, table: str, doc_id: str) -> Doc | None:
        found = self._table(table).get(doc_id)
        return None if found is None else _detach(found)

    def require(self, table: str, doc_id: str, what: str) -> Doc:
        """Like `get`, but a missing document is a `NotFound` that names it (`what` e.g. "item")."""
        found = self.get(table, doc_id)
        if found is None:
            raise NotFound(f"no {what} {doc_id!r}")
        return found

    def all(self, table: str) -> list[Doc]:
        return _detach_all(list(self._table(table).values()))

    def each(self, table: str) -> Iterator[Doc]:
        """Every document, one private copy at a time (a summary of a million orders never holds
        them all; a base on disk is read a block at a time)."""
        for _, doc in self._table(table).items():
            yield _detach(doc)

    def count(self, table: str) -> int:
        return len(self._table(table))

    def tables(self) -> list[str]:
        """Names of the tables this file holds (for `db info`)."""
        return sorted(name for name, t in self._snapshot.tables.items() if len(t))

    def find(self, table: str, field: str, value: Any) -> list[Doc]:
        """Documents whose `field` equals `value`; indexed, so cheap on large tables."""
        return _detach_all(self._table(table).find(field, value))

    def find_many(self, table: str, field: str, values: Iterable[str]) -> dict[str, list[Doc]]:
        """`find` for many string values at once; the table's recent changes are read once, not per value."""
        return {v: _detach_all(docs) for v, docs in self._table(table).find_many(field, values).items()}

    def where(self, table: str, predicate: Callable[[Doc], bool]) -> list[Doc]:
        """Documents for which `predicate` is true. The predicate must only read what it is given."""
        return _detach_all([d for d in self._table(table).values() if predicate(d)])

    def select_ids(
        self, table: str, predicate: Callable[[Doc], bool], key: Callable[[Doc], Any]
    ) -> list[str]:
        """Ids of the documents for which `predicate` is true, ordered by `key`, without copying any
        document (a listing of 100,000 orders copies only the rows it shows, as it shows them). Both
        callables must only read what they are given."""
        chosen = [(key(d), doc_id) for doc_id, d in self._table(table).items() if predicate(d)]
        chosen.sort()
        return [doc_id for _, doc_id in chosen]

    def stream(self, table: str, ids: Iterable[str]) -> Iterator[Doc]:
        """The documents with these ids, each a private copy made when it is reached."""
        rows = self._table(table)
        for doc_id in ids:
            found = rows.get(doc_id)
            if found is not None:
                yield _detach(found)


class _Pending(dict[str, Change]):
    """What TinyDB's table updaters see: membership answers from the unit's own view of the table,
    stores and removals become pending changes (never a copy of the table)."""

    def __init__(self, unit: Unit, table: str) -> None:
        super().__init__()
        self._unit = unit
        self._name = table

    def __contains__(self, doc_id: object) -> bool:
        return self._unit._current_doc(self._name, cast(str, doc_id)) is not None

    def __setitem__(self, doc_id: str, doc: Change) -> None:
        self._unit._record(self._name, doc_id, doc)

    def __delitem__(self, doc_id: str) -> None:
        self._unit._record(self._name, doc_id, DELETED)

    def pop(self, doc_id: str, *default: Any) -> Any:  # type: ignore[override]
        self._unit._record(self._name, doc_id, DELETED)
        return None


class StrTable(TinyTable):
    """TinyDB tables keyed by our own string ids (slugs, `ord_…`) instead of TinyDB's counters."""

    document_id_class = str  # type: ignore[assignment]

    def _get_next_id(self) -> int:  # pragma: no cover - every insert names its id
        raise TypeError("paidpdf documents always carry their own id")

    def _update_table(self, updater: Callable[[dict[Any, Any]], None]) -> None:
        """Hand TinyDB's updater the unit's pending changes instead of a copy of the whole table."""
        unit = cast(_UnitStorage, self._storage).unit
        if unit is None:
            raise StorageError("internal error: a unit was used after its `with` block ended")
        unit._check_writable()
        updater(_Pending(unit, self.name))
        self.clear_cache()


class _UnitStorage(Storage):
    """TinyDB storage of a unit: reads are never made through it, writes are recorded per document."""

    def __init__(self, unit: Unit) -> None:
        self.unit: Unit | None = unit

    def read(self) -> dict[str, Any]:
        return {}

    def write(self, data: dict[str, Any]) -> None:  # pragma: no cover - tables write via updaters
        raise StorageError("internal error: whole-file write attempted inside a unit")


class _UnitDB(TinyDB):
    table_class = StrTable


@dataclass
class Changes:
    """A unit's changes: each document's final state, and the tables it emptied first."""

    docs: dict[str, dict[str, Change]] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.docs or self.dropped)

    def ops(self) -> list[list[Any]]:
        """The journal record: drops first (a put after a drop in the unit comes after it here too)."""
        ops: list[list[Any]] = [["drop", t] for t in sorted(self.dropped)]
        for table, docs in self.docs.items():
            for doc_id, change in docs.items():
                ops.append(["del", table, doc_id] if change is DELETED else ["put", table, change])
        return ops


class Unit(View):
    """A read-modify-write unit on one data file: all changes land in one journal record, or none."""

    def __init__(self, name: str, snapshot: Snapshot) -> None:
        super().__init__(name, snapshot)
        self._changes = Changes()
        self._working: dict[str, AnyTable] = {}
        self._closed = False
        self._db = _UnitDB(storage=_UnitStorage, unit=self)

    @property
    def dirty(self) -> bool:
        return bool(self._changes)

    @property
    def changes(self) -> Changes:
        return self._changes

    def _table(self, table: str) -> AnyTable:
        working = self._working.get(table)
        if working is not None:
            return working
        pending = self._changes.docs.get(table)
        base = EMPTY if table in self._changes.dropped else self._snapshot.tables.get(table, EMPTY)
        working = base.changed(pending) if pending else base
        self._working[table] = working
        return working

    def _current_doc(self, table: str, doc_id: str) -> Doc | None:
        """One document as this unit sees it, without building the unit's view of the whole table
        (each `put` asks twice; a rebuild would copy the overlay each time)."""
        pending = self._changes.docs.get(table)
        if pending is not None and doc_id in pending:
            change = pending[doc_id]
            return None if change is DELETED else cast(Doc, change)
        if table in self._changes.dropped:
            return None
        return self._snapshot.tables.get(table, EMPTY).get(doc_id)

    def get(self, table: str, doc_id: str) -> Doc | None:
        """One document as this unit sees it (without rebuilding the unit's view of the table: a
        unit that reads and writes many documents would otherwise pay for all its changes each time)."""
        found = self._current_doc(table, doc_id)
        return None if found is None else _detach(found)

    def _check_writable(self) -> None:
        if self._closed:
            raise StorageError("internal error: a unit was used after its `with` block ended")

    def _record(self, table: str, doc_id: str, change: Change) -> None:
        self._changes.docs.setdefault(table, {})[doc_id] = change
        self._working.pop(table, None)

    def insert(self, table: str, doc: Doc) -> Doc:
        """Add a document under `doc["id"]`; an existing id is a `Conflict`."""
        doc_id = _doc_id(doc)
        self._check_writable()
        if self._current_doc(table, doc_id) is not None:
            raise Conflict(f"{table} {doc_id!r} already exists")
        self._db.table(table, cache_size=0).insert(Document(_detach(doc), doc_id=doc_id))  # type: ignore[arg-type]
        return doc

    def put(self, table: str, doc: Doc) -> Doc:
        """Insert or wholly replace the document with id `doc["id"]`."""
        doc_id = _doc_id(doc)
        self._check_writable()
        target = self._db.table(table, cache_size=0)
        target.remove(doc_ids=[doc_id])  # type: ignore[list-item]
        target.insert(Document(_detach(doc), doc_id=doc_id))  # type: ignore[arg-type]
        return doc

    def delete(self, table: str, doc_id: str) -> bool:
        self._check_writable()
        if self._current_doc(table, doc_id) is None:
            return False
        self._db.table(table, cache_size=0).remove(doc_ids=[doc_id])  # type: ignore[list-item]
        return True

    def drop(self, table: str) -> None:
        self._check_writable()
        self._changes.docs.pop(table, None)
        self._changes.dropped.add(table)
        self._working.pop(table, None)

    def close(self) -> None:
        """End the unit. Its TinyDB handle refers back to it (a reference cycle): cut it, so the unit
        and the snapshot it holds are freed as soon as the caller lets go, not at the next collection."""
        self._closed = True
        cast(_UnitStorage, self._db.storage).unit = None
        self._working.clear()


def replay(snapshot: Snapshot, records: list[Any], version: tuple[Any, ...]) -> Snapshot:
    """The snapshot after journal `records` (each `{"ops": [...]}`), applied in order."""
    changes = Changes()
    for record in records:
        for op in record["ops"]:
            kind, table = op[0], op[1]
            if kind == "drop":
                if changes:  # a drop empties what came before it: apply that first
                    snapshot = snapshot.with_changes(changes.docs, changes.dropped, version)
                    changes = Changes()
                changes.dropped.add(table)
            elif kind == "put":
                changes.docs.setdefault(table, {})[op[2]["id"]] = op[2]
            elif kind == "del":
                changes.docs.setdefault(table, {})[op[2]] = DELETED
            else:
                raise StorageError(f"unknown journal op {kind!r}")
    return snapshot.with_changes(changes.docs, changes.dropped, version)


def _detach(doc: Doc) -> Doc:
    """A private deep copy in exactly the form the file holds (what `orjson` writes is what is cached)."""
    copied = orjson.loads(orjson.dumps(doc))
    if not isinstance(copied, dict):  # pragma: no cover - `doc` is typed as a dict
        raise StorageError("internal error: a stored document must be a JSON object")
    return copied


def _detach_all(docs: list[Doc]) -> list[Doc]:
    """Deep copies of many documents in one C-speed round trip (reads of large tables)."""
    return cast(list[Doc], orjson.loads(orjson.dumps(docs))) if docs else []


def _doc_id(doc: Doc) -> str:
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise StorageError("internal error: every stored document needs a string 'id'")
    return doc_id
