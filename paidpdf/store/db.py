"""TinyDB made safe for many threads, several processes and `kill -9`.

Stock TinyDB rewrites its file in place and has no locks (see the README's storage section). Here:

- Each kind of record lives in its own file (`catalog.json`, `accounts.json`, `sales.json`), so reading
  the catalog never parses the order history.
- Writes happen in *units*: `with store.unit("sales") as u:` takes a per-file lock (a thread lock plus
  an `flock` on `.locks/sales.lock`, so threads and processes queue), reads the current file, lets the
  caller change a private working copy through TinyDB, and writes the whole result once, atomically
  (`files.atomic_write`). An exception inside the unit writes nothing.
- Reads (`store.view("catalog")`) need no lock: files are only ever replaced whole, so a reader sees
  the old or the new version. Parsed files are cached by file identity (device, inode, size, mtime);
  the cache keeps the file open so its inode cannot be recycled for a newer file, so a change made by
  another process is always noticed on the next read.
- Documents are never mutated in place (no `Table.update`): a change replaces the document, so cached
  snapshots shared between threads stay exactly as they were read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, ExitStack
from pathlib import Path
from typing import Any

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from paidpdf.errors import Conflict, NotFound, StorageCorrupt, StorageError
from paidpdf.store.files import atomic_write, sweep_temp_files

Doc = dict[str, Any]
Tables = dict[str, dict[str, Doc]]

#: The data files, in the order locks are taken when several are needed at once.
FILES = ("catalog", "accounts", "sales")

BACKUPS_DIR = "backups"


class _StrTable(Table):
    """Tables keyed by our own string ids (slugs, `ord_…`) instead of TinyDB's counters."""

    document_id_class = str  # type: ignore[assignment]

    def _get_next_id(self) -> int:  # pragma: no cover - every insert names its id
        raise TypeError("paidpdf documents always carry their own id")


class _DB(TinyDB):
    table_class = _StrTable


class _WorkingCopyStorage(Storage):
    """TinyDB storage over an in-memory working copy; the unit writes the file once at the end."""

    def __init__(self, holder: _Working) -> None:
        self._holder = holder

    def read(self) -> Tables:
        return self._holder.data

    def write(self, data: Tables) -> None:
        if self._holder.read_only:
            raise StorageError("internal error: write attempted through a read-only view")
        self._holder.data = data
        self._holder.dirty = True


class _Working:
    def __init__(self, data: Tables, read_only: bool) -> None:
        self.data = data
        self.dirty = False
        self.read_only = read_only


class Snapshot:
    """One parsed version of a data file, shared read-only between threads."""

    def __init__(self, data: Tables, identity: tuple[int, ...] | None, fd: int | None) -> None:
        self.data = data
        self.identity = identity
        self._fd = fd  # keeps the inode alive so identity comparisons cannot be fooled by reuse
        self._indexes: dict[tuple[str, str], dict[Any, list[str]]] = {}
        self._index_lock = threading.Lock()

    def index(self, table: str, field: str) -> dict[Any, list[str]]:
        """`{value: [ids]}` for one field, built once per snapshot on first use."""
        key = (table, field)
        with self._index_lock:
            found = self._indexes.get(key)
            if found is None:
                found = {}
                for doc_id, doc in self.data.get(table, {}).items():
                    value = doc.get(field)
                    if isinstance(value, (str, int, bool)) or value is None:
                        found.setdefault(value, []).append(doc_id)
                self._indexes[key] = found
            return found

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class View:
    """Read access to one data file as it was when the view was made."""

    def __init__(self, name: str, snapshot: Snapshot, read_only: bool = True) -> None:
        self.name = name
        self._snapshot = snapshot
        self._working = _Working(dict(snapshot.data), read_only)
        self._db = _DB(storage=_WorkingCopyStorage, holder=self._working)

    def _table(self, table: str) -> Table:
        return self._db.table(table, cache_size=0)

    def get(self, table: str, doc_id: str) -> Doc | None:
        found = self._table(table).get(doc_id=doc_id)
        return dict(found) if isinstance(found, Document) else None

    def require(self, table: str, doc_id: str, what: str) -> Doc:
        """Like `get`, but a missing document is a `NotFound` that names it (`what` e.g. "item")."""
        found = self.get(table, doc_id)
        if found is None:
            raise NotFound(f"no {what} {doc_id!r}")
        return found

    def all(self, table: str) -> list[Doc]:
        return [dict(doc) for doc in self._table(table).all()]

    def count(self, table: str) -> int:
        return len(self._working.data.get(table, {}))

    def find(self, table: str, field: str, value: Any) -> list[Doc]:
        """Documents whose `field` equals `value`; indexed, so cheap on large tables."""
        if self._working.dirty:
            return [dict(d) for d in self._working.data.get(table, {}).values() if d.get(field) == value]
        ids = self._snapshot.index(table, field).get(value, [])
        rows = self._snapshot.data.get(table, {})
        return [dict(rows[i]) for i in ids]

    def where(self, table: str, predicate: Callable[[Doc], bool]) -> list[Doc]:
        return [dict(d) for d in self._working.data.get(table, {}).values() if predicate(d)]


class Unit(View):
    """A read-modify-write unit on one data file: all changes land in one atomic write, or none."""

    def __init__(self, name: str, snapshot: Snapshot) -> None:
        super().__init__(name, snapshot, read_only=False)

    @property
    def dirty(self) -> bool:
        return self._working.dirty

    def insert(self, table: str, doc: Doc) -> Doc:
        """Add a document under `doc["id"]`; an existing id is a `Conflict`."""
        doc_id = _doc_id(doc)
        if self.get(table, doc_id) is not None:
            raise Conflict(f"{table} {doc_id!r} already exists")
        self._table(table).insert(Document(doc, doc_id=doc_id))  # type: ignore[arg-type]
        return doc

    def put(self, table: str, doc: Doc) -> Doc:
        """Insert or wholly replace the document with id `doc["id"]`."""
        doc_id = _doc_id(doc)
        target = self._table(table)
        target.remove(doc_ids=[doc_id])  # type: ignore[list-item]
        target.insert(Document(doc, doc_id=doc_id))  # type: ignore[arg-type]
        return doc

    def delete(self, table: str, doc_id: str) -> bool:
        return bool(self._table(table).remove(doc_ids=[doc_id]))  # type: ignore[list-item]

    def drop(self, table: str) -> None:
        self._db.drop_table(table)

    def payload(self) -> bytes:
        return orjson.dumps(self._working.data)

    @property
    def data(self) -> Tables:
        return self._working.data


def _doc_id(doc: Doc) -> str:
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise StorageError("internal error: every stored document needs a string 'id'")
    return doc_id


class Store:
    """The data folder: TinyDB files plus the locks and caches that make them safe to share."""

    def __init__(self, root: Path, *, lock_timeout: float = 60.0) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        _prepare_folder(self.root)
        self._cache: dict[str, Snapshot] = {}
        self._cache_lock = threading.Lock()
        self._thread_locks = {name: threading.RLock() for name in FILES}
        self._file_locks = {
            name: FileLock(self.root / ".locks" / f"{name}.lock", thread_local=False) for name in FILES
        }
        self._swept: set[str] = set()

    # -- paths -----------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        if name not in FILES:
            raise StorageError(f"internal error: unknown data file {name!r}")
        return self.root / f"{name}.json"

    def latest_backup(self) -> Path | None:
        folder = self.root / BACKUPS_DIR
        if not folder.is_dir():
            return None
        found = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
        return found[-1] if found else None

    # -- reading ---------------------------------------------------------------------------------
    def view(self, name: str) -> View:
        return View(name, self._snapshot(name))

    def _snapshot(self, name: str) -> Snapshot:
        path = self.path(name)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return Snapshot({}, None, None)
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror}") from None
        st = os.fstat(fd)
        identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        with self._cache_lock:
            cached = self._cache.get(name)
            if cached is not None and cached.identity == identity:
                os.close(fd)
                return cached
        try:
            with os.fdopen(os.dup(fd), "rb") as handle:
                raw = handle.read()
            data = _parse(raw, path, self.latest_backup())
        except BaseException:
            os.close(fd)
            raise
        snapshot = Snapshot(data, identity, fd)
        self._remember(name, snapshot)
        return snapshot

    def _remember(self, name: str, snapshot: Snapshot) -> None:
        with self._cache_lock:
            old = self._cache.get(name)
            self._cache[name] = snapshot
        if old is not None and old is not snapshot:
            old.close()

    # -- writing ---------------------------------------------------------------------------------
    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """Hold the writer lock of one data file (threads and processes queue for it)."""
        with self._thread_locks[name]:
            file_lock = self._file_locks[name]
            try:
                file_lock.acquire(timeout=self.lock_timeout)
            except Timeout:
                raise StorageError(
                    f"{self.path(name)} is locked by another writer for over {self.lock_timeout:.0f}s"
                ) from None
            except OSError as exc:
                raise StorageError(f"cannot lock {file_lock.lock_file}: {exc.strerror}") from None
            try:
                if name not in self._swept:
                    sweep_temp_files(self.path(name))
                    self._swept.add(name)
                yield
            finally:
                file_lock.release()

    @contextmanager
    def lock_all(self) -> Iterator[None]:
        """Hold every writer lock (backups, restores, flush): a consistent picture of all files."""
        with ExitStack() as stack:
            for name in FILES:
                stack.enter_context(self.lock(name))
            yield

    @contextmanager
    def unit(self, name: str) -> Iterator[Unit]:
        """One atomic read-modify-write of a data file. Nothing is written if the block raises."""
        with self.lock(name):
            unit = Unit(name, self._snapshot(name))
            yield unit
            if unit.dirty:
                self._commit(name, unit.data, unit.payload())

    def _commit(self, name: str, data: Tables, payload: bytes) -> None:
        path = self.path(name)
        try:
            atomic_write(path, payload)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from None
        fd = os.open(path, os.O_RDONLY)
        st = os.fstat(fd)
        self._remember(name, Snapshot(data, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), fd))

    def replace_file(self, name: str, payload: bytes) -> None:
        """Write raw, already validated bytes as a data file (restore). Caller holds the lock."""
        _parse(payload, self.path(name), None)
        self._commit(name, _parse(payload, self.path(name), None), payload)

    def forget(self) -> None:
        """Drop cached snapshots (after a restore or flush replaced files wholesale)."""
        with self._cache_lock:
            old = list(self._cache.values())
            self._cache.clear()
        for snapshot in old:
            snapshot.close()


def _parse(raw: bytes, path: Path, backup: Path | None) -> Tables:
    hint = f"; restore the latest backup with `paidpdf db restore {backup}`" if backup else "; no backup found"
    try:
        data = orjson.loads(raw) if raw.strip() else {}
    except orjson.JSONDecodeError as exc:
        raise StorageCorrupt(f"{path} is corrupt (not valid JSON: {exc}); it was left untouched{hint}") from None
    if not isinstance(data, dict) or not all(
        isinstance(t, dict) and all(isinstance(d, dict) for d in t.values()) for t in data.values()
    ):
        raise StorageCorrupt(f"{path} is corrupt (not a TinyDB file); it was left untouched{hint}")
    return data


def _prepare_folder(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise StorageError(f"data folder {root} is not a folder")
    try:
        (root / ".locks").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"cannot create data folder {root}: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise StorageError(f"data folder {root} is not writable")
