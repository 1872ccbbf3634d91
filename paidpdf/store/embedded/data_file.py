"""One data file on disk: its base (`sales.json`) and journal (`sales.journal`), as this process read them.

`DataFileReader.current()` answers "what does the file say now?" by reading only what changed: nothing
when both files' identities are as last seen, the journal's new bytes when it grew, everything when the
base was replaced (a compaction or restore by any process); a large base is read through its index
(`cold.py`). The writer side (`commit`, `compact`, `replace`, `remove`) is `data_file_writer.DataFile`.

The journal's header names its base by size and CRC-32: a journal that does not continue the current
base is obsolete (a compaction or restore that a crash interrupted had already folded it into the base,
or it was replaced with the base) and is ignored until the next writer replaces it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from paidpdf.errors import StorageCorrupt, StorageError
from paidpdf.store.embedded import base_index, base_scan, journal
from paidpdf.store.embedded.cold import BaseReader, ColdTable, Layered
from paidpdf.store.embedded.documents import AnyTable, Snapshot, replay
from paidpdf.store.embedded.tables import Table
from paidpdf.store.layout import INDEXED_FIELDS
from paidpdf.store.parsing import backup_hint, bulk_load, parse_data_file

log = logging.getLogger("paidpdf.store")

#: A journal is folded into a new base once it is larger than this share of the base and this size,
#: or larger than `JOURNAL_MAX` (what changed since the base is held in memory: this bounds it).
COMPACT_RATIO = 0.5
COMPACT_MIN_BYTES = 1024 * 1024
JOURNAL_MAX = 32 * 1024 * 1024
#: Bases at least this large are read through their index, document by document (`cold.py`);
#: smaller ones are parsed whole, which is faster for them.
COLD_FROM = 8 * 1024 * 1024

Identity = tuple[int, ...]


@dataclass(frozen=True)
class JournalState:
    """What `db check` and `db info` say about a journal."""

    path: Path
    exists: bool
    records: int  # units committed since the base was written
    bytes: int  # size of the journal file
    tail: int  # bytes after the last whole record: an interrupted write, cut off by the next writer
    current: bool  # it continues the base (False: obsolete or absent; the next write starts one)
    base_bytes: int
    on_disk: bool = False  # the base is read through its index, document by document


class DataFileReader:
    """The base and journal of one data file, and the state read from them."""

    def __init__(
        self, base: Path, latest_backup: Callable[[], Path | None], *, cold_from: int = COLD_FROM
    ) -> None:
        self.base_path = base
        self.journal_path = base.with_suffix(".journal")
        self.index_path = base_index.index_path(base)
        self.cold_from = cold_from
        self._latest_backup = latest_backup
        self._lock = threading.Lock()  # one catch-up at a time; never held while waiting for a writer
        self._told: set[tuple[Any, ...]] = set()
        self._reset()

    def _reset(self) -> None:
        self.base_identity: Identity | None = None
        self.base_fd: int | None = None  # kept open so the identity cannot be fooled by inode reuse
        self.base_size = 0
        self.base_crc = 0
        self.journal_identity: tuple[int, int] | None = None
        self.journal_fd: int | None = None
        self.journal_ok = False  # the journal continues this base (else it is obsolete or absent)
        self.offset = 0  # just past the last record applied
        self.records = 0
        self.snapshot: Snapshot | None = None
        # The last snapshot `current` returned, published whole (one attribute) for its lock-free check
        self._published: Snapshot | None = None
        self.cold = False  # the base is read through its index
        self.needs_index = False  # a large base without a usable index: the next writer compacts

    def close(self) -> None:
        with self._lock:
            self._close_fds()
            self._reset()

    def _close_fds(self) -> None:
        for fd in (self.base_fd, self.journal_fd):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.base_fd = self.journal_fd = None

    def version(self) -> tuple[Any, ...]:
        return (self.base_identity, self.journal_identity, self.offset)

    def _hint(self) -> str:
        return backup_hint(self._latest_backup())

    # -- reading ---------------------------------------------------------------------------------
    def current(self, *, writer: bool = False) -> Snapshot:
        """The file's state with every committed unit applied (reads only what is new).

        Every call looks at both files on disk (a unit committed by the CLI or another server is seen by
        the next call). When neither changed since the last snapshot returned, that snapshot is
        returned without taking the lock: under load, server threads queued on it while its holder
        waited for the GIL after each `stat`, and a sixth of a page's time went there (docs/web.md)."""
        published = self._published
        if not writer and published is not None and self._unchanged(published.version):
            return published
        with self._lock:
            try:
                for _ in range(20):  # a base replaced while it was being read: read again
                    if self.snapshot is None or self.base_identity != _identity(self.base_path):
                        self._load_base()
                    if self._catch_up(writer):
                        tables = self.snapshot.tables if self.snapshot is not None else {}
                        if self.snapshot is None or self.snapshot.version != self.version():
                            self.snapshot = Snapshot(tables, self.version())
                        self._published = self.snapshot
                        return self.snapshot
            except BaseException:
                # Forget everything: a half-read state must never pass for the file's (the next call
                # reads again and fails the same way, and no writer starts over a damaged journal).
                self._close_fds()
                self._reset()
                raise
            raise StorageError(f"{self.base_path} keeps changing while it is read; try again")

    def published_version(self) -> tuple[Any, ...] | None:
        """The version of the state last read, if the files on disk are still that one; None when they
        changed (reading them takes the lock, which a writer holds across its fsync: `current` waits,
        this never does)."""
        published = self._published
        if published is not None and self._unchanged(published.version):
            return published.version
        return None

    def _unchanged(self, version: tuple[Any, ...]) -> bool:
        """True when the base and journal on disk are the ones `version` was read from, the journal
        with no byte past its last applied record (the same test `current` makes under its lock)."""
        base_identity, journal_identity, offset = version
        if _identity(self.base_path) != base_identity:
            return False
        found = _identity(self.journal_path)
        if found is None:
            return journal_identity is None
        return (found[0], found[1]) == journal_identity and found[2] == offset

    def journal_state(self) -> JournalState:
        """The journal as read now: every record's checksum verified on the way."""
        self.current()
        with self._lock:
            size = _identity(self.journal_path)
            on_disk = size[2] if size is not None else 0
            if not self.journal_ok:
                return JournalState(
                    self.journal_path, size is not None, 0, on_disk, 0, False, self.base_size, self.cold
                )
            tail = max(0, on_disk - self.offset)
            return JournalState(
                self.journal_path, True, self.records, on_disk, tail, True, self.base_size, self.cold
            )

    def verify_index(self) -> None:
        """Load every array of the index the current base is read through, checking its checksum."""
        snapshot = self.current()
        for table in snapshot.tables.values():
            if isinstance(table, Layered):
                base_index.verify_table(table.cold.index)

    def _load_base(self) -> None:
        path = self.base_path
        self._close_fds()
        self._reset()
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            self.snapshot = Snapshot({})
            return
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror}{self._hint()}") from None
        try:
            st = os.fstat(fd)
            if st.st_size >= self.cold_from and self._load_cold(fd, st):
                return
            raw = journal.read_from(fd, 0, st.st_size)
            data = parse_data_file(raw, path, self._latest_backup)
        except OSError as exc:
            os.close(fd)
            raise StorageError(f"cannot read {path}: {exc.strerror}{self._hint()}") from None
        except BaseException:
            os.close(fd)
            raise
        self.base_fd, self.base_identity = fd, _stat_identity(st)
        self.base_size, self.base_crc = len(raw), zlib.crc32(raw)
        self.snapshot = Snapshot({table: Table.of(rows) for table, rows in data.items()})
        self.needs_index = st.st_size >= self.cold_from

    def _load_cold(self, fd: int, st: os.stat_result) -> bool:
        """Use the base's index instead of parsing it: its own, or, when it has none that is usable (a
        shop of an earlier release, a crash before the index was written), one made now by streaming
        the base once (`base_scan.py`) and written beside it for the next process."""
        index = base_index.read(self.base_path, st)
        if index is None:
            index = base_scan.index_base(fd, st, INDEXED_FIELDS)
            if index is None:
                return False  # not in this program's layout, or damaged: parsed whole, as before
            try:
                base_index.write(self.base_path, index)
            except OSError as exc:  # a read-only folder: read through the index made in memory
                log.warning("%s: cannot write its index (%s); using it from memory", self.index_path, exc)
        self.base_fd, self.base_identity = fd, _stat_identity(st)
        self.base_size, self.base_crc = st.st_size, index.base.crc32
        self.snapshot = Snapshot(self._cold_tables(index))
        return True

    def _cold_tables(self, index: base_index.BaseIndex) -> dict[str, AnyTable]:
        assert self.base_fd is not None
        reader = BaseReader(self.base_fd, str(self.base_path))
        self.cold = True
        return {name: Layered(ColdTable(reader, table)) for name, table in index.tables.items()}

    def _catch_up(self, writer: bool) -> bool:
        """Apply the journal's new records; False when the base must be read again."""
        current = _identity(self.journal_path)
        if current is None:
            self.journal_identity, self.journal_ok = None, False
            return True
        if (current[0], current[1]) != self.journal_identity:
            return self._open_journal(writer)
        if self.journal_ok and current[2] > self.offset:
            assert self.journal_fd is not None
            data = journal.read_from(self.journal_fd, self.offset, current[2])
            self._apply(journal.scan(data, self.offset), writer)
        return True

    def _open_journal(self, writer: bool) -> bool:
        path = self.journal_path
        try:
            fd = os.open(path, (os.O_RDWR | os.O_APPEND) if os.access(path, os.W_OK) else os.O_RDONLY)
        except FileNotFoundError:
            return True
        except OSError as exc:
            raise StorageError(f"cannot read {path}: {exc.strerror}") from None
        size = self._use_journal(fd, ok=False, offset=0)
        data = journal.read_from(fd, 0, size)
        problem = journal.check_magic(data, path)
        if problem:
            raise StorageCorrupt(f"{problem}; it was left untouched{self._hint()}")
        with bulk_load():  # a whole journal at once: as long-lived as a parsed base
            found = journal.scan(data[len(journal.MAGIC) :], len(journal.MAGIC))
        if found.damage or not found.records or journal.header_base(found.records[0]) is None:
            why = found.damage or "no valid header"
            raise StorageCorrupt(f"{path} is corrupt ({why}); it was left untouched{self._hint()}")
        if journal.header_base(found.records[0]) != (self.base_size, self.base_crc):
            # Not this base's journal: older than the base (all its records are in it), or the base
            # was replaced after we read it. The base's identity tells which.
            return _identity(self.base_path) == self.base_identity
        self.journal_ok = True
        self.offset = found.end
        found.records = found.records[1:]
        with bulk_load():
            self._apply(found, writer)
        return True

    def _apply(self, found: journal.Scan, writer: bool) -> None:
        if found.damage:
            raise StorageCorrupt(
                f"{self.journal_path} is corrupt ({found.damage}); it was left untouched{self._hint()}"
            )
        if found.records:
            self.records += len(found.records)
            self.offset = found.end
            self.snapshot = replay(self.snapshot or Snapshot({}), found.records, self.version())
        if found.tail:
            self._torn_tail(found, writer)

    def _torn_tail(self, found: journal.Scan, writer: bool) -> None:
        """Bytes after the last whole record: a write in progress, or one a crash interrupted. A writer
        (who holds the lock, so no write is in progress) cuts them off; either says so once."""
        if writer:
            assert self.journal_fd is not None
            os.ftruncate(self.journal_fd, found.end)
            os.fsync(self.journal_fd)
        key = (self.journal_identity, found.end)
        if key not in self._told:
            self._told.add(key)
            log.warning(
                "%s: %d byte(s) after the last whole record (byte %d) %s: an interrupted write, whose "
                "unit never happened",
                self.journal_path, found.tail, found.end, "were cut off" if writer else "are ignored",
            )

    def _use_journal(self, fd: int, *, ok: bool, offset: int) -> int:
        """Read and append through `fd` from now on (`offset` -1: its end); returns its size."""
        if self.journal_fd is not None:
            os.close(self.journal_fd)
        st = os.fstat(fd)
        self.journal_fd, self.journal_identity = fd, (st.st_dev, st.st_ino)
        self.journal_ok, self.offset, self.records = ok, st.st_size if offset < 0 else offset, 0
        return st.st_size



def encode_tables(snapshot: Snapshot) -> bytes:
    """The whole state as one TinyDB JSON document (a new base, or a backup's copy of the file)."""
    return orjson.dumps({t: table.materialize() for t, table in snapshot.tables.items()})


def _stat_identity(st: os.stat_result) -> Identity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def _identity(path: Path) -> Identity | None:
    try:
        return _stat_identity(os.stat(path))  # noqa: PTH116 - every view makes two: pathlib's stat() costs more
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"cannot read {path}: {exc.strerror}") from None
