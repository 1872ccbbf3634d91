"""TinyDB-shaped data made safe for many threads, several processes and `kill -9`, at any size.

Stock TinyDB rewrites its file in place and has no locks (see docs/storage.md). Here:

- Each kind of record lives in its own file (`catalog`, `accounts`, `sales`), so reading the catalog
  never parses the order history. A file is a *base* (`sales.json`, plain TinyDB JSON, replaced only
  whole and atomically) plus a *journal* (`sales.journal`, see `journal.py`) of the units committed
  since that base was written.
- Writes happen in *units*: `with store.unit("sales") as u:` takes a per-file lock (a thread lock plus
  an `flock` on `.locks/sales.lock`, so threads and processes queue), catches up with what other
  processes committed, lets the caller change documents, and appends the changed documents as one
  checksummed record, fsynced before the unit returns. An exception inside the unit writes nothing. A
  unit on the same file inside another (same thread) is refused; several files are taken in `FILES`
  order. When the journal outgrows half its base (and 1 MiB), the unit that noticed writes the state
  as a new base and starts an empty journal (`compact`).
- Reads (`store.view("sales")`) need no lock: a process keeps the file's state in memory and, on each
  read, looks at the two files' identities and reads only the journal bytes it has not seen. A base
  replaced by another process (a compaction, a restore) is parsed again.
- The journal's header names its base by size and CRC-32. A journal whose base was replaced by a
  compaction that a crash interrupted before the new journal was in place no longer matches and is
  ignored (its records are all in the new base); the next writer replaces it.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from paidpdf.errors import StorageError
from paidpdf.store.backup_manifest import latest_backup_in
from paidpdf.store.embedded.data_file import COLD_FROM, JournalState, encode_tables
from paidpdf.store.embedded.data_file_writer import DataFile
from paidpdf.store.embedded.documents import Unit, View
from paidpdf.store.files.atomic import sweep_temp_files
from paidpdf.store.files.disk_source import DiskFiles
from paidpdf.store.files.file_source import FileSources
from paidpdf.store.files.object_files import ObjectFiles
from paidpdf.store.files.permissions import PRIVATE_FILE, make_private_dir
from paidpdf.store.layout import FILES, LOCKS_DIR


class Store:
    """The data folder: TinyDB files plus the locks, journals and caches that make them safe to share."""

    #: Seconds between two tries for a lock another process holds (threads of one process queue on
    #: a thread lock instead and never poll).
    POLL_INTERVAL = 0.002

    def __init__(self, root: Path, *, lock_timeout: float = 60.0, cold_from: int = COLD_FROM) -> None:
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.objects: ObjectFiles | None = None
        self.files: FileSources = DiskFiles(self.root)
        _prepare_folder(self.root)
        # A partial over the folder, not the bound method: a DataFile holding the Store would make a
        # reference cycle, and a Store only the cyclic GC frees keeps its descriptors open meanwhile.
        backups = functools.partial(latest_backup_in, self.root)
        self._files = {
            name: DataFile(self.root / f"{name}.json", backups, cold_from=cold_from) for name in FILES
        }
        self._thread_locks = {name: threading.RLock() for name in FILES}
        self._file_locks = {
            name: FileLock(self.root / LOCKS_DIR / f"{name}.lock", mode=PRIVATE_FILE, thread_local=False)
            for name in FILES
        }
        self._swept: set[str] = set()
        self._local = threading.local()

    def check_health(self) -> None:
        """`StorageError` unless the data folder can be written now (`/healthz`)."""
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise StorageError(f"data folder {self.root} is not writable")

    def describe(self) -> str:
        """Where the documents are, for people (`serve`'s first line, `db info`)."""
        return f"data folder {self.root}"

    # -- paths -----------------------------------------------------------------------------------
    def path(self, name: str) -> Path:
        """The base file of `name` (plain TinyDB JSON)."""
        if name not in FILES:
            raise StorageError(f"internal error: unknown data file {name!r}")
        return self.root / f"{name}.json"

    def journal_path(self, name: str) -> Path:
        return self._file(name).journal_path

    def latest_backup(self) -> Path | None:
        """The newest backup under `<data>/backups/` that can be offered for a restore, if any (see
        `latest_backup_in`)."""
        return latest_backup_in(self.root)

    # -- reading ---------------------------------------------------------------------------------
    def _file(self, name: str) -> DataFile:
        found = self._files.get(name)
        if found is None:
            raise StorageError(f"internal error: unknown data file {name!r}")
        return found

    def view(self, name: str) -> View:
        return View(name, self._file(name).current())

    def versions(self, names: Iterable[str]) -> tuple[Any, ...]:
        """Each file's version (two `stat` calls each, as `view` makes)."""
        return tuple(self._file(name).current().version for name in names)

    def versions_if_read(self, names: Iterable[str]) -> tuple[Any, ...] | None:
        """`versions`, if every file is as this process last read it; None if one changed (never waits
        for a lock: for waitress's I/O thread, `admin/loop_answers`)."""
        found = tuple(self._file(name).published_version() for name in names)
        return None if None in found else found

    def journal_state(self, name: str) -> JournalState:
        """The file's journal: records since the base, sizes, an interrupted tail (`db check`/`info`)."""
        return self._file(name).journal_state()

    def verify_index(self, name: str) -> None:
        """Check every array of the base's index, if it is read through one (`db check`)."""
        self._file(name).verify_index()

    def export(self, name: str) -> bytes | None:
        """The file's whole current state as one TinyDB JSON document (what a backup holds), or None
        when the shop has never written it. Hold the lock for a state consistent with other files."""
        snapshot = self._file(name).current()
        if not self.path(name).exists() and not self.journal_path(name).exists():
            return None
        return encode_tables(snapshot)

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
                    sweep_temp_files(self.journal_path(name))
                    sweep_temp_files(self._file(name).index_path)
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

        A second unit on the same file inside the first (same thread) is refused: its changes would
        be committed on their own, and the outer unit could then overwrite them without knowing.
        """
        active: set[str] = self._local.__dict__.setdefault("units", set())
        if name in active:
            raise StorageError(f"internal error: nested unit on {name}; pass the open unit down instead")
        with self.lock(name):
            active.add(name)
            data_file = self._file(name)
            unit = Unit(name, data_file.current(writer=True))
            try:
                yield unit
                if unit.dirty and data_file.commit(unit.changes):
                    data_file.compact()
            finally:
                unit.close()
                active.discard(name)

    def compact(self, name: str) -> tuple[int, int]:
        """Fold the journal into a new base now; returns the journal's (records, bytes) before."""
        with self.lock(name):
            return self._file(name).compact()

    def database(self) -> None:
        """No database server: what the data folder holds is told by its files (`journal_state`)."""
        return None

    def replace_file(self, name: str, payload: bytes) -> None:
        """Make `payload` (a whole TinyDB file) the file's state (restore); the caller holds the lock."""
        self._file(name).replace(payload)

    def remove_files(self, name: str) -> int:
        """Delete a data file and its journal (flush); the caller holds the lock."""
        return self._file(name).remove()

    def close(self) -> None:
        """Close the data files' descriptors now rather than when the store is dropped."""
        self.forget()

    def forget(self) -> None:
        """Drop what this process has read (after a restore or flush replaced files wholesale)."""
        for data_file in self._files.values():
            data_file.close()

    def __del__(self) -> None:
        # A Store that is dropped (one per CLI command, many in tests) must not leak its descriptors.
        for data_file in getattr(self, "_files", {}).values():
            data_file.close()


def _prepare_folder(root: Path) -> None:
    if root.exists() and not root.is_dir():
        raise StorageError(f"data folder {root} is not a folder")
    try:
        make_private_dir(root / LOCKS_DIR)
    except OSError as exc:
        raise StorageError(f"cannot create data folder {root}: {exc.strerror}") from None
    if not os.access(root, os.W_OK | os.X_OK):
        raise StorageError(f"data folder {root} is not writable")
