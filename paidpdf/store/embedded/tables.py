"""One table as of one commit, shared by every thread that reads it, changed at the cost of the change.

A `Table` is a large `Base` (a plain dict of documents plus lazily built field indexes) that many
versions share and nobody mutates, and a small overlay of the documents changed since that base
(a deleted document is a tombstone). A commit makes a new version by copying only the overlay, so a
write costs what it changes, and every older version, still held by a reader in the middle of a
request, stays exactly as it was read. When the overlay grows past `FOLD_AT` documents it is folded
into a new base (one C-speed dict copy, with the built indexes carried over by their changes), so
lookups never scan more than `FOLD_AT` overlay entries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, cast

from paidpdf.store.layout import indexable

Doc = dict[str, Any]
Index = dict[Any, list[str]]

#: Overlay size at which a version folds its changes into a new base. Folding copies the base
#: (about 20 ms per million documents); lookups scan at most this many overlay entries.
FOLD_AT = 2048


class _Tombstone:
    """Marks a document deleted in an overlay (the base may still hold its old version)."""

    __slots__ = ()

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<deleted>"


DELETED: Any = _Tombstone()
Change = Doc | _Tombstone


class Base:
    """Documents by id, never changed once a version refers to it, with indexes built on first use."""

    __slots__ = ("_indexes", "_lock", "rows")

    def __init__(self, rows: dict[str, Doc], indexes: dict[str, Index] | None = None) -> None:
        self.rows = rows
        self._indexes: dict[str, Index] = indexes or {}
        self._lock = threading.Lock()

    def index(self, field: str) -> Index:
        """`{value: [ids]}` for one field, built once per base."""
        with self._lock:
            found = self._indexes.get(field)
            if found is None:
                found = {}
                for doc_id, doc in self.rows.items():
                    value = doc.get(field)
                    if indexable(value):
                        found.setdefault(value, []).append(doc_id)
                self._indexes[field] = found
            return found

    def folded(self, overlay: Mapping[str, Change]) -> Base:
        """A new base with `overlay` applied; indexes already built are updated, not rebuilt."""
        rows = dict(self.rows)
        with self._lock:
            built = dict(self._indexes)
        indexes = {field: dict(index) for field, index in built.items()}
        copied: set[tuple[str, Any]] = set()

        def ids_of(field: str, value: Any) -> list[str]:
            index = indexes[field]
            if (field, value) not in copied:  # lists are shared with the old base: copy on change
                index[value] = list(index.get(value, ()))
                copied.add((field, value))
            return index[value]

        for doc_id, change in overlay.items():
            old = rows.get(doc_id)
            new = None if isinstance(change, _Tombstone) else change
            for field in indexes:
                if old is not None and indexable(old.get(field)):
                    ids = ids_of(field, old.get(field))
                    ids.remove(doc_id)
                    if not ids:
                        del indexes[field][old.get(field)]
                        copied.discard((field, old.get(field)))
                if new is not None and indexable(new.get(field)):
                    ids_of(field, new.get(field)).append(doc_id)
            if new is None:
                rows.pop(doc_id, None)
            else:
                rows[doc_id] = new
        return Base(rows, indexes)


class Table:
    """One table as of one commit: `base` plus `overlay`; never changed after it is made."""

    __slots__ = ("base", "overlay", "size")

    def __init__(self, base: Base, overlay: dict[str, Change] | None = None, size: int | None = None) -> None:
        self.base = base
        self.overlay: dict[str, Change] = overlay or {}
        self.size = len(base.rows) if size is None else size

    @classmethod
    def of(cls, rows: dict[str, Doc]) -> Table:
        return cls(Base(rows))

    def __len__(self) -> int:
        return self.size

    def get(self, doc_id: str) -> Doc | None:
        change = self.overlay.get(doc_id)
        if change is None:
            return self.base.rows.get(doc_id)
        return None if change is DELETED else change  # type: ignore[return-value]

    def items(self) -> Iterator[tuple[str, Doc]]:
        overlay = self.overlay
        for doc_id, doc in self.base.rows.items():
            if doc_id not in overlay:
                yield doc_id, doc
        for doc_id, change in overlay.items():
            if change is not DELETED:
                yield doc_id, change  # type: ignore[misc]

    def values(self) -> Iterator[Doc]:
        return (doc for _, doc in self.items())

    def find_ids(self, field: str, value: Any) -> list[str]:
        """Ids of documents whose `field` equals `value`: the base's index plus the overlay."""
        overlay = self.overlay
        if not indexable(value):
            return [doc_id for doc_id, doc in self.items() if doc.get(field) == value]
        ids = [i for i in self.base.index(field).get(value, ()) if i not in overlay]
        ids += [i for i, d in overlay.items() if d is not DELETED and d.get(field) == value]  # type: ignore[union-attr]
        return ids

    def find(self, field: str, value: Any) -> list[Doc]:
        """The documents whose `field` equals `value` (the shared documents: callers copy them)."""
        return [cast(Doc, self.get(i)) for i in self.find_ids(field, value)]

    def find_many(self, field: str, values: Iterable[str]) -> dict[str, list[Doc]]:
        """`find` for many string values: the base's index per value, the overlay read once (not once
        per value, which is what makes a batch of lookups cost what `find` costs)."""
        overlay = self.overlay
        index = self.base.index(field)
        rows = self.base.rows
        found = {v: [rows[i] for i in index.get(v, ()) if i not in overlay] for v in values}
        for change in overlay.values():
            if change is not DELETED:
                key = change.get(field)  # type: ignore[union-attr]
                if isinstance(key, str) and key in found:
                    found[key].append(change)  # type: ignore[arg-type]
        return found

    def changed(self, changes: Mapping[str, Change]) -> Table:
        """A new version with `changes` applied (this one stays as it is)."""
        size = self.size
        for doc_id, change in changes.items():
            existed = self.get(doc_id) is not None
            size += (change is not DELETED) - existed
        overlay = {**self.overlay, **changes}
        if len(overlay) > FOLD_AT:
            return Table(self.base.folded(overlay), None, size)
        return Table(self.base, overlay, size)

    def folded(self) -> Table:
        """The same documents with the overlay folded into the base (built indexes carried over)."""
        return Table(self.base.folded(self.overlay), None, self.size) if self.overlay else self

    def materialize(self) -> dict[str, Doc]:
        """The documents as one plain dict (for a compaction or a backup)."""
        if not self.overlay:
            return self.base.rows
        return dict(self.items())
