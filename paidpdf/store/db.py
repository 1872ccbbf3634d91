"""TinyDB made safe for many threads, several processes and `kill -9`.

Stock TinyDB rewrites its file in place and has no locks (see docs/storage.md). Here:

- Each kind of record lives in its own file (`catalog.json`, `accounts.json`, `sales.json`), so reading
  the catalog never parses the order history.
- Writes happen in *units*: `with store.unit("sales") as u:` takes a per-file lock (a thread lock plus
  an `flock` on `.locks/sales.lock`, so threads and processes queue), reads the current file, lets the
  caller change a private working copy through TinyDB, and writes the whole result once, atomically
  (`files.atomic_write`). An exception inside the unit writes nothing. A unit on the same file inside
  another (same thread) is refused; when one thread needs several files it takes them in `FILES` order.
- Reads (`store.view("catalog")`) need no lock: files are only ever replaced whole, so a reader sees
  the old or the new version. Parsed files are cached by file identity (device, inode, size, mtime);
  the cache keeps the file open so its inode cannot be recycled for a newer file, so a change made by
  another process is always noticed on the next read.
- Documents are never mutated in place (no `Table.update`): a change replaces the document, so cached
  snapshots shared between threads stay exactly as they were read. Documents cross the store boundary
  as private deep copies (in through `insert`/`put`, out through every read), so a caller that changes
  a nested list it got from a view can neither alter the cache other threads read nor sneak a change
  past a unit that raised.
- A unit copies a table once, on its first change (copy-on-write), instead of TinyDB's copy of the
  whole table on every insert or remove: the per-unit cost is one table copy plus one serialisation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from paidpdf.errors import StorageError
from paidpdf.store.backup_manifest import looks_restorable
from paidpdf.store.documents import Snapshot, Unit, View
from paidpdf.store.files import atomic_write, sweep_temp_files
from paidpdf.store.layout import BACKUPS_DIR, FILES, LOCKS_DIR
from paidpdf.store.parsing import Tables, backup_hint, parse_data_file
from paidpdf.store.permissions import PRIVATE_FILE, make_private_dir


class Store:
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
