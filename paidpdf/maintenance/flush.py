"""`db flush`: empty the shop, but only after a verified backup taken under the same lock.

Nothing written between the backup and the delete can be lost, and an interrupted flush leaves a
marker (`data_folder.pending_marker`) that `db check` reports with the command to finish it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paidpdf.errors import StorageError
from paidpdf.maintenance.backups import backup
from paidpdf.maintenance.data_folder import (
    BLOB_DIRS,
    Progress,
    blob_files,
    pending_marker,
)
from paidpdf.store import FILES, DataStore
from paidpdf.store.files.atomic import fsync_dir


@dataclass(frozen=True)
class FlushResult:
    backup: Path
    removed_files: int
    removed_blobs: int


def flush(store: DataStore, progress: Progress | None = None) -> FlushResult:
    """Back up, verify the backup, then delete the data files and content/cover files (one lock)."""
    with store.lock_all():
        try:
            taken = backup(store, None, progress, verify=True)
        except StorageError as exc:  # the failed backup was removed by `backup`
            raise type(exc)(f"{exc.message}; nothing was deleted") from None
        with pending_marker(store, "flush", taken.path):
            removed_files, removed_blobs = _delete_data(store)
        store.forget()
    return FlushResult(taken.path, removed_files, removed_blobs)


def _delete_data(store: DataStore) -> tuple[int, int]:
    removed_files = 0
    for name in FILES:
        removed_files += store.remove_files(name)
    removed_blobs = 0
    for _rel, path in list(blob_files(store.root)):
        path.unlink()
        removed_blobs += 1
    for folder in (store.root, *(store.root / d for d in BLOB_DIRS if (store.root / d).is_dir())):
        fsync_dir(folder)
    return removed_files, removed_blobs
