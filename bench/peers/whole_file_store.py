"""The peer of bench/storage.py and bench/webhooks.py: the store as paidpdf 0.1 wrote it (not a bench).

Every unit rewrites its whole data file (temp file, fsync, atomic rename) and every reader in another
process re-parses the whole file after a change; locks, caches and crash safety as in 0.1. Kept here,
verbatim but for the class name, so each bench measures today's journal against the design it
replaced, on the same data, in the same run. It speaks the same `view`/`unit` API, so the domain's
own functions (`orders.create_pending`, `users.authenticate`, ...) run on it unchanged.
"""


from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, cast

import orjson
from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document, Table

from paidpdf.errors import Conflict, NotFound, StorageError
from paidpdf.store.backup_manifest import looks_restorable
from paidpdf.store.files.atomic import atomic_write, sweep_temp_files
from paidpdf.store.files.permissions import PRIVATE_FILE, make_private_dir
from paidpdf.store.layout import BACKUPS_DIR, FILES, LOCKS_DIR
from paidpdf.store.parsing import Tables, backup_hint, parse_data_file

Doc = dict[str, Any]


class StrTable(Table):
    """Tables keyed by our own string ids (slugs, `ord_…`) instead of TinyDB's counters."""

    document_id_class = str  # type: ignore[assignment]

    def _get_next_id(self) -> int:  # pragma: no cover - every insert names its id
        raise TypeError("paidpdf documents always carry their own id")

    def _update_table(self, updater: Callable[[dict[Any, Any]], None]) -> None:
        """Change the unit's private copy of this table in place (TinyDB copies it on every call)."""
        storage = cast(WorkingCopyStorage, self._storage)
        updater(storage.writable_table(self.name))
        storage.touched()
        self.clear_cache()


class WorkingDB(TinyDB):
    table_class = StrTable


class WorkingCopyStorage(Storage):
    """TinyDB storage over an in-memory working copy; the unit writes the file once at the end."""

    def __init__(self, holder: WorkingCopy) -> None:
        self._holder = holder

    def read(self) -> Tables:
        return self._holder.data

    def write(self, data: Tables) -> None:
        self._holder.check_writable()
        self._holder.data = data
        self._holder.owned &= set(data)
        self._holder.dirty = True

    def writable_table(self, name: str) -> dict[str, Doc]:
        return self._holder.writable_table(name)

    def touched(self) -> None:
        self._holder.dirty = True


class WorkingCopy:
    """A unit's (or view's) own top-level dict; tables are shared with the snapshot until first changed."""

    def __init__(self, data: Tables, read_only: bool) -> None:
        self.data = data
        self.dirty = False
        self.read_only = read_only
        self.closed = False
        self.owned: set[str] = set()

    def check_writable(self) -> None:
        if self.read_only:
            raise StorageError("internal error: write attempted through a read-only view")
        if self.closed:
            raise StorageError("internal error: a unit was used after its `with` block ended")

    def writable_table(self, name: str) -> dict[str, Doc]:
        self.check_writable()
        if name not in self.owned:
            self.data[name] = dict(self.data.get(name, {}))
            self.owned.add(name)
        return self.data[name]


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
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def __del__(self) -> None:
        # A Store that is dropped (one per CLI command, many in tests) must not leak its descriptors.
        with contextlib.suppress(OSError):
            self.close()


class View:
    """Read access to one data file as it was when the view was made."""

    def __init__(self, name: str, snapshot: Snapshot, read_only: bool = True) -> None:
        self.name = name
        self._snapshot = snapshot
        self._working = WorkingCopy(dict(snapshot.data), read_only)
        self._db = WorkingDB(storage=WorkingCopyStorage, holder=self._working)

    def _table(self, table: str) -> Table:
        return self._db.table(table, cache_size=0)

    def _rows(self, table: str) -> dict[str, Doc]:
        return self._working.data.get(table, {})

    def get(self, table: str, doc_id: str) -> Doc | None:
        found = self._rows(table).get(doc_id)
        return None if found is None else _detach(found)

    def require(self, table: str, doc_id: str, what: str) -> Doc:
        """Like `get`, but a missing document is a `NotFound` that names it (`what` e.g. "item")."""
        found = self.get(table, doc_id)
        if found is None:
            raise NotFound(f"no {what} {doc_id!r}")
        return found

    def all(self, table: str) -> list[Doc]:
        return _detach_all(list(self._rows(table).values()))

    def count(self, table: str) -> int:
        return len(self._rows(table))

    def tables(self) -> list[str]:
        """Names of the tables this file holds (for `db info`)."""
        return sorted(self._working.data)

    def find(self, table: str, field: str, value: Any) -> list[Doc]:
        """Documents whose `field` equals `value`; indexed, so cheap on large tables."""
        if table in self._working.owned or table not in self._working.data:
            return _detach_all([d for d in self._rows(table).values() if d.get(field) == value])
        ids = self._snapshot.index(table, field).get(value, [])
        rows = self._snapshot.data.get(table, {})
        return _detach_all([rows[i] for i in ids])

    def select_ids(
        self, table: str, predicate: Callable[[Doc], bool], key: Callable[[Doc], Any]
    ) -> list[str]:
        """Ids of the documents for which `predicate` is true, ordered by `key`, without copying any
        document (a listing of 100,000 orders copies only the rows it shows, as it shows them). Both
        callables must only read what they are given."""
        rows = self._rows(table)
        chosen = [(key(d), doc_id) for doc_id, d in rows.items() if predicate(d)]
        chosen.sort()
        return [doc_id for _, doc_id in chosen]

    def stream(self, table: str, ids: Iterable[str]) -> Iterator[Doc]:
        """The documents with these ids, each a private copy made when it is reached."""
        rows = self._rows(table)
        for doc_id in ids:
            found = rows.get(doc_id)
            if found is not None:
                yield _detach(found)

    def where(self, table: str, predicate: Callable[[Doc], bool]) -> list[Doc]:
        """Documents for which `predicate` is true. The predicate must only read what it is given."""
        return _detach_all([d for d in self._rows(table).values() if predicate(d)])


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
        self._working.check_writable()
        if doc_id in self._rows(table):
            raise Conflict(f"{table} {doc_id!r} already exists")
        self._table(table).insert(Document(_detach(doc), doc_id=doc_id))  # type: ignore[arg-type]
        return doc

    def put(self, table: str, doc: Doc) -> Doc:
        """Insert or wholly replace the document with id `doc["id"]`."""
        doc_id = _doc_id(doc)
        stored = _detach(doc)
        target = self._table(table)
        target.remove(doc_ids=[doc_id])  # type: ignore[list-item]
        target.insert(Document(stored, doc_id=doc_id))  # type: ignore[arg-type]
        return doc

    def delete(self, table: str, doc_id: str) -> bool:
        self._working.check_writable()
        if doc_id not in self._rows(table):
            return False
        return bool(self._table(table).remove(doc_ids=[doc_id]))  # type: ignore[list-item]

    def drop(self, table: str) -> None:
        self._working.check_writable()
        self._db.drop_table(table)

    def close(self) -> None:
        self._working.closed = True

    def payload(self) -> bytes:
        return orjson.dumps(self._working.data)

    @property
    def data(self) -> Tables:
        return self._working.data


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







class WholeFileStore:
    """The data folder: TinyDB files plus the locks and caches that make them safe to share."""

    #: Seconds between two tries for a lock another process holds (threads of one process queue on
    #: a thread lock instead and never poll).
    POLL_INTERVAL = 0.002

    def __init__(self, root: Path, *, lock_timeout: float = 60.0) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        _prepare_folder(self.root)
        self._cache: dict[str, Snapshot] = {}
        self._cache_lock = threading.Lock()
        self._thread_locks = {name: threading.RLock() for name in FILES}
        self._file_locks = {
            name: FileLock(self.root / LOCKS_DIR / f"{name}.lock", mode=PRIVATE_FILE, thread_local=False)
            for name in FILES
        }
        self._swept: set[str] = set()
        self._local = threading.local()

    # -- paths -----------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        if name not in FILES:
            raise StorageError(f"internal error: unknown data file {name!r}")
        return self.root / f"{name}.json"

    def latest_backup(self) -> Path | None:
        """The newest backup under `<data>/backups/` that can be offered for a restore, if any.

        Offered only when its manifest parses and says the backup was verified when it was taken
        (every content file hashed), and every file it lists is still there with the listed size
        (cheap: no hashing, since this runs inside error messages). A folder that fails is skipped
        for the next older one, so a "corrupt file" message never recommends a backup that cannot
        be restored.
        """
        folder = self.root / BACKUPS_DIR
        try:
            found = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), reverse=True)
        except OSError:
            return None
        return next((p for p in found if looks_restorable(p)), None)

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
            raise StorageError(
                f"cannot read {path}: {exc.strerror}{backup_hint(self.latest_backup())}"
            ) from None
        try:
            st = os.fstat(fd)
            identity = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            with self._cache_lock:
                cached = self._cache.get(name)
                if cached is not None and cached.identity == identity:
                    os.close(fd)
                    return cached
            with os.fdopen(os.dup(fd), "rb") as handle:
                raw = handle.read()
            data = parse_data_file(raw, path, self.latest_backup)
        except OSError as exc:
            os.close(fd)
            raise StorageError(
                f"cannot read {path}: {exc.strerror}{backup_hint(self.latest_backup())}"
            ) from None
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
        """Hold the writer lock of one data file (threads and processes queue for it). Re-entrant."""
        busy = f"{self.path(name)} is locked by another writer for over {self.lock_timeout:.0f}s"
        thread_lock = self._thread_locks[name]
        if not thread_lock.acquire(timeout=self.lock_timeout):
            raise StorageError(busy)
        try:
            file_lock = self._file_locks[name]
            try:
                file_lock.acquire(timeout=self.lock_timeout, poll_interval=self.POLL_INTERVAL)
            except Timeout:
                raise StorageError(busy) from None
            except OSError as exc:
                raise StorageError(f"cannot lock {file_lock.lock_file}: {exc.strerror}") from None
            try:
                if name not in self._swept:
                    sweep_temp_files(self.path(name))
                    self._swept.add(name)
                yield
            finally:
                file_lock.release()
        finally:
            thread_lock.release()

    @contextmanager
    def lock_all(self) -> Iterator[None]:
        """Hold every writer lock (backups, restores, flush): a consistent picture of all files."""
        with ExitStack() as stack:
            for name in FILES:
                stack.enter_context(self.lock(name))
            yield

    @contextmanager
    def unit(self, name: str) -> Iterator[Unit]:
        """One atomic read-modify-write of a data file. Nothing is written if the block raises.

        A second unit on the same file inside the first (same thread) is refused: it would commit on
        its own and then be overwritten by the outer unit, silently losing its changes.
        """
        active: set[str] = self._local.__dict__.setdefault("units", set())
        if name in active:
            raise StorageError(f"internal error: nested unit on {name}; pass the open unit down instead")
        with self.lock(name):
            active.add(name)
            unit = Unit(name, self._snapshot(name))
            try:
                yield unit
                if unit.dirty:
                    self._commit(name, unit.data, unit.payload())
            finally:
                unit.close()
                active.discard(name)

    def _commit(self, name: str, data: Tables, payload: bytes) -> None:
        path = self.path(name)
        try:
            atomic_write(path, payload)
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from None
        st = os.fstat(fd)
        self._remember(name, Snapshot(data, (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns), fd))

    def replace_file(self, name: str, payload: bytes) -> None:
        """Write raw bytes as a data file (restore). They must parse; the caller holds the lock."""
        self._commit(name, parse_data_file(payload, self.path(name), None), payload)

    def forget(self) -> None:
        """Drop cached snapshots (after a restore or flush replaced files wholesale)."""
        with self._cache_lock:
            old = list(self._cache.values())
            self._cache.clear()
        for snapshot in old:
            snapshot.close()


def _prepare_folder(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise StorageError(f"data folder {root} is not a folder")
    try:
        make_private_dir(root / LOCKS_DIR)
    except OSError as exc:
        raise StorageError(f"cannot create data folder {root}: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise StorageError(f"data folder {root} is not writable")
