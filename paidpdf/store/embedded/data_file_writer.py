"""Writing a data file: appending a unit's record, compacting into a new base, restoring, removing.

`DataFile` is the `DataFileReader` (`data_file.py`: what the file says now, read incrementally) plus the
writer-side methods, which assume the caller holds the file's writer lock (`Store.lock`). A new base is
written with its index (`base_writer.py`), base first: a crash before the index is in place leaves a
base without one, which is parsed whole until the next compaction; a crash before the new journal is
in place leaves an old journal that no longer names the base, which is ignored (its records are all
in the new base).
"""

from __future__ import annotations

import contextlib
import os
import zlib

from paidpdf.errors import StorageError
from paidpdf.store.embedded import base_index, data_file, journal
from paidpdf.store.embedded.base_writer import write_new_base
from paidpdf.store.embedded.data_file import DataFileReader, _stat_identity
from paidpdf.store.embedded.documents import AnyTable, Changes, Snapshot
from paidpdf.store.embedded.tables import Table
from paidpdf.store.files.atomic import atomic_write, fsync_dir
from paidpdf.store.layout import INDEXED_FIELDS
from paidpdf.store.parsing import parse_data_file


class DataFile(DataFileReader):
    """One data file, read and written (see the module docstring)."""

    def commit(self, changes: Changes) -> bool:
        """Append one unit's changes and make them the current state; True when compaction is due."""
        with self._lock:
            if not self.journal_ok:
                self._start_journal()
            assert self.journal_fd is not None
            record = journal.unit_record(changes.ops())
            try:
                journal.append(self.journal_fd, record)
            except OSError as exc:
                with contextlib.suppress(OSError):  # no half record left behind: the lock is ours
                    os.ftruncate(self.journal_fd, self.offset)
                raise StorageError(f"cannot write {self.journal_path}: {exc.strerror}") from None
            self.offset += len(record)
            self.records += 1
            self.snapshot = (self.snapshot or Snapshot({})).with_changes(
                changes.docs, changes.dropped, self.version()
            )
            # read from the module each time, so a test (or an operator's script) can tune them
            ceiling = min(data_file.JOURNAL_MAX, data_file.COMPACT_RATIO * self.base_size)
            limit = max(data_file.COMPACT_MIN_BYTES, ceiling)
            return self.needs_index or self.offset > limit

    def compact(self) -> tuple[int, int]:
        """Write the state as a new base, then start an empty journal; returns the journal's (records,
        bytes) before. A crash between the two leaves the new base and an obsolete journal."""
        snapshot = self.current(writer=True)
        with self._lock:
            before = (self.records, self.offset) if self.journal_ok else (0, 0)
            never_written = self.base_identity is None and self.journal_identity is None
            if never_written or (self.journal_ok and self.records == 0 and not self.needs_index):
                return before  # nothing to fold
            self._install_base(snapshot.tables)
            self._start_journal()
            assert self.snapshot is not None
            self.snapshot = Snapshot(self.snapshot.tables, self.version())
            return before

    def replace(self, payload: bytes) -> None:
        """Make `payload` (a whole TinyDB file) the state: base first, then a new journal, so a crash
        between the two leaves the state before or the new one (restore)."""
        data = parse_data_file(payload, self.base_path, None)
        with self._lock:
            self._install_base({table: Table.of(rows) for table, rows in data.items()})
            self._start_journal()
        self.close()

    def remove(self) -> int:
        """Delete the base, then the journal (a journal without its base is ignored) (flush)."""
        removed = 0
        for path in (self.base_path, self.journal_path, self.index_path):
            if path.exists():
                path.unlink()
                removed += 1
        self.close()
        return removed

    def _start_journal(self) -> None:
        """Begin an empty journal for the current base, replacing any other atomically."""
        if self.base_identity is None:  # a new file: an empty base for the journal to continue
            self._write_base(b"{}")
        path = self.journal_path
        try:
            atomic_write(path, journal.header(self.base_size, self.base_crc))
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from None
        self._use_journal(fd, ok=True, offset=-1)

    def _install_base(self, tables: dict[str, AnyTable]) -> None:
        """Write `tables` as the new base with its index (base first: a crash before the index is in
        place leaves a base without one, which is parsed whole until the next compaction)."""
        tmp, index = write_new_base(self.base_path, tables, INDEXED_FIELDS)
        try:
            tmp.replace(self.base_path)
            fsync_dir(self.base_path.parent)
            fd = os.open(self.base_path, os.O_RDONLY)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"cannot write {self.base_path}: {exc.strerror}") from None
        if self.base_fd is not None:
            os.close(self.base_fd)
        self.base_fd, self.base_identity = fd, _stat_identity(os.fstat(fd))
        self.base_size, self.base_crc = index.base.size, index.base.crc32
        self.journal_ok = False  # the old journal continues the old base
        self.needs_index = False
        try:
            base_index.write(self.base_path, index)
        except OSError as exc:
            raise StorageError(f"cannot write {self.index_path}: {exc.strerror}") from None
        self.snapshot = Snapshot(self._fresh_tables(tables, index), self.version())

    def _fresh_tables(self, tables: dict[str, AnyTable], index: base_index.BaseIndex) -> dict[str, AnyTable]:
        """The tables as read from the new base: through its index when large, else in memory."""
        if index.base.size >= self.cold_from:
            return self._cold_tables(index)
        self.cold = False
        hot: dict[str, AnyTable] = {}
        for name, table in tables.items():
            hot[name] = table.folded() if isinstance(table, Table) else Table.of(table.materialize())
        return hot

    def _write_base(self, payload: bytes) -> None:
        path = self.base_path
        try:
            atomic_write(path, payload)
            fd = os.open(path, os.O_RDONLY)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from None
        if self.base_fd is not None:
            os.close(self.base_fd)
        self.base_fd, self.base_identity = fd, _stat_identity(os.fstat(fd))
        self.base_size, self.base_crc = len(payload), zlib.crc32(payload)
        self.journal_ok = False  # the old journal continues the old base


