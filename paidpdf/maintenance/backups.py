"""Backups, their verification and restores of the whole data folder.

Why these rules:
- A backup is taken under `Store.lock_all`, so the three data files and the content files in it belong
  to one moment: no unit can commit half-way through. Each data file is written as its whole state at
  that moment (base plus journal, `Store.export`) in plain TinyDB JSON, and it must parse (a backup of
  a corrupt file would be useless when it is needed).
- Content and cover files are immutable and named by their content, so a hard link costs nothing; a
  copy is made where linking fails (another file system) or when asked (`copy=True`, for a backup that
  must survive damage to the disk: a link shares the live file's inode). Every file is hashed while it
  is linked or copied, and a content file whose sha256 is not its name fails the whole backup (it could
  never be restored): a damaged file must be found by `db check`, not discovered at restore time.
- A backup is built in a hidden `.NAME.partial-*` folder and renamed into place only once every file
  is verified and its manifest (size and sha256 of every file, `"verified": true`) is written, so a
  crash or a failure never leaves something that looks complete; a failed backup is removed.
  `Store.latest_backup` only offers verified backups whose files are all still there.
- A restore verifies the whole backup (every hash, streaming) before it touches anything, then
  replaces each data file atomically while holding every lock.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from paidpdf.clock import now, now_iso
from paidpdf.content.catalog import CATALOG
from paidpdf.errors import InvalidInput, StorageCorrupt, StorageError
from paidpdf.maintenance.data_folder import (
    BLOB_DIRS,
    Problem,
    Progress,
    blob_files,
    copy_hashing,
    fetch_from_objects,
    missing_blobs,
    offset_progress,
    pending_marker,
    write_new,
)
from paidpdf.store import FILES, DataStore
from paidpdf.store.backup_manifest import BACKUP_MANIFEST, FORMAT, read_manifest
from paidpdf.store.files import blobs, object_files
from paidpdf.store.files.atomic import fsync_dir
from paidpdf.store.files.permissions import PRIVATE_DIR, make_private_dir
from paidpdf.store.layout import BACKUPS_DIR
from paidpdf.store.parsing import parse_data_file


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: dict[str, dict[str, Any]]
    blobs: int
    linked: int
    copied: int
    bytes: int
    warnings: list[Problem] = field(default_factory=list)


def backup(
    store: DataStore,
    dest: Path | None = None,
    progress: Progress | None = None,
    *,
    copy: bool = False,
    verify: bool = False,
) -> BackupResult:
    """Copy the data files (and link or copy content/cover files) into `dest` with a manifest.

    `copy` forces real copies of content and cover files (no hard links). `verify` re-reads the whole
    finished backup against its manifest before publishing it (flush: nothing is deleted unless the
    backup reads back right). Any failure removes the backup and raises.
    """
    with store.lock_all():  # the default name is picked under the lock, so two backups never collide
        target = _backup_target(store, dest)
        staging = target.parent / f".{target.name}.partial-{secrets.token_hex(4)}"
        try:
            make_private_dir(staging.parent)
            staging.mkdir(mode=PRIVATE_DIR)
        except OSError as exc:
            raise StorageError(f"cannot create backup folder {target}: {exc.strerror}") from None
        try:
            fetch_from_objects(store)
            result = _fill_backup(store, staging, progress, copy)
            if verify:
                _verify_staged(staging, target)
            _publish(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BackupResult(
        target, result.files, result.blobs, result.linked, result.copied, result.bytes, result.warnings
    )


def _backup_target(store: DataStore, dest: Path | None) -> Path:
    if dest is None:
        folder = store.root / BACKUPS_DIR
        stamp = now().strftime("%Y%m%dT%H%M%SZ")
        target = folder / stamp
        counter = 1
        while target.exists() or any(folder.glob(f".{target.name}.partial-*")):
            counter += 1
            target = folder / f"{stamp}-{counter:02d}"
        return target
    target = Path(dest).absolute()
    if target.exists() and not (target.is_dir() and not any(target.iterdir())):
        raise InvalidInput(f"backup folder {target} already exists and is not empty")
    root = store.root.absolute()
    if target == root or (target.is_relative_to(root) and not target.is_relative_to(root / BACKUPS_DIR)):
        raise InvalidInput(f"a backup cannot go inside the data folder {root} (except under {BACKUPS_DIR}/)")
    return target


def _verify_staged(staging: Path, target: Path) -> None:
    problems = verify_backup(staging)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        where = first.where.replace(str(staging), str(target))
        raise StorageError(f"backup {target} failed verification ({where}: {first.problem}){more}")


def _fill_backup(store: DataStore, staging: Path, progress: Progress | None, copy: bool) -> BackupResult:
    files: dict[str, dict[str, Any]] = {}
    catalog: dict[str, Any] = {}
    for name in FILES:
        source = store.path(name)
        raw = store.export(name)  # base plus journal, as one plain TinyDB file
        if raw is None:
            continue
        parsed = parse_data_file(raw, source, store.latest_backup)
        if name == CATALOG:
            catalog = parsed
        write_new(staging / source.name, raw)
        files[name] = {"name": source.name, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}

    entries: list[dict[str, Any]] = []
    damaged: list[Path] = []
    linked = copied = done = 0
    for rel, src in blob_files(store.root):
        dst = staging / rel
        make_private_dir(dst.parent)
        try:
            if copy:
                raise OSError("copy requested")
            os.link(src, dst)
        except OSError:
            digest = copy_hashing(src, dst, offset_progress(progress, done))
            copied += 1
        else:
            # The link shares the live file's bytes: hash them now, or damage goes unnoticed until
            # the day the backup is restored.
            digest = blobs.hash_file(dst, offset_progress(progress, done))
            linked += 1
        size = dst.stat().st_size
        if rel.startswith(blobs.CONTENT_DIR + "/") and digest != src.name:
            damaged.append(src)
        done += size
        if progress is not None:
            progress(done)
        entries.append({"path": rel, "size": size, "sha256": digest})
    if damaged:
        names = ", ".join(str(p) for p in damaged)
        raise StorageCorrupt(
            f"backup not taken: {len(damaged)} content file(s) damaged (sha256 does not match the name):"
            f" {names}; run `paidpdf db check` and replace or restore them"
        )
    for folder in {staging / d for d in BLOB_DIRS if (staging / d).is_dir()}:
        fsync_dir(folder)

    warnings = missing_blobs(store.root, catalog)
    manifest = {
        "format": FORMAT,
        "verified": True,  # every file above was hashed as it went in (see `Store.latest_backup`)
        "created_at": now_iso(),
        "source": str(store.root.absolute()),
        "files": files,
        "blobs": entries,
        "warnings": [{"where": w.where, "problem": w.problem} for w in warnings],
    }
    write_new(staging / BACKUP_MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    fsync_dir(staging)
    return BackupResult(staging, files, len(entries), linked, copied, done, warnings)


def _publish(staging: Path, target: Path) -> None:
    """Rename the finished staging folder to its final name (an empty pre-made target is replaced)."""
    try:
        if target.is_dir():
            target.rmdir()
        staging.rename(target)
        fsync_dir(target.parent)
    except OSError as exc:
        raise StorageError(f"cannot create backup folder {target}: {exc.strerror}") from None


def verify_backup(path: Path, progress: Progress | None = None) -> list[Problem]:
    """Every problem with the backup at `path`: files missing, sizes or sha256 wrong, JSON invalid."""
    folder = Path(path)
    manifest = read_manifest(folder)
    problems: list[Problem] = []
    for name, meta in manifest["files"].items():
        file = folder / meta["name"]
        try:
            raw = file.read_bytes()
        except OSError as exc:
            problems.append(Problem(str(file), f"unreadable: {exc.strerror}"))
            continue
        if hashlib.sha256(raw).hexdigest() != meta["sha256"] or len(raw) != meta.get("size"):
            problems.append(Problem(str(file), "size or sha256 differs from the manifest"))
            continue
        try:
            parse_data_file(raw, file)
        except StorageCorrupt:
            problems.append(Problem(str(file), f"{name} is not a valid data file"))
    done = 0
    for entry in manifest["blobs"]:
        file = folder / entry["path"]
        try:
            size = file.stat().st_size
        except OSError:
            problems.append(Problem(str(file), "missing"))
            continue
        if size != entry.get("size"):
            problems.append(Problem(str(file), f"size {size} differs from the manifest ({entry['size']})"))
            continue
        digest = blobs.hash_file(file, offset_progress(progress, done))
        done += size
        if digest != entry.get("sha256"):
            problems.append(Problem(str(file), "sha256 differs from the manifest"))
    return problems


def backup_size(path: Path) -> int:
    """Total bytes of the blobs a backup lists (for a progress bar's total)."""
    return sum(int(b.get("size") or 0) for b in read_manifest(path)["blobs"])


def restore(store: DataStore, path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Replace the data folder's contents with the backup at `path`, after verifying all of it."""
    folder = Path(path).absolute()
    problems = verify_backup(folder, progress)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InvalidInput(
            f"backup {folder} failed verification: {first.where}: {first.problem}{more}; nothing was changed"
        )
    manifest = read_manifest(folder)
    with store.lock_all():
        payloads: dict[str, bytes] = {}
        for name, meta in manifest["files"].items():
            raw = (folder / meta["name"]).read_bytes()
            if hashlib.sha256(raw).hexdigest() != meta["sha256"]:
                raise InvalidInput(f"backup {folder} changed while restoring it; nothing was changed")
            payloads[name] = raw
        with pending_marker(store, "restore", folder):
            for entry in manifest["blobs"]:
                _put_blob(folder / entry["path"], store.root / entry["path"])
            object_files.publish(store, [entry["path"] for entry in manifest["blobs"]])
            for name in FILES:
                if name in payloads:
                    store.replace_file(name, payloads[name])
                else:
                    store.remove_files(name)
            fsync_dir(store.root)
        store.forget()
    return manifest


def _put_blob(src: Path, dst: Path) -> None:
    """Make `dst` hold `src`'s bytes, atomically (link or copy to a temp name, then rename)."""
    make_private_dir(dst.parent)
    if dst.exists() and dst.samefile(src):
        return
    tmp = dst.with_name(f".restore.{secrets.token_hex(6)}.tmp")
    try:
        try:
            os.link(src, tmp)
        except OSError:
            copy_hashing(src, tmp, None)
        tmp.replace(dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot restore {dst}: {exc.strerror}") from None
    fsync_dir(dst.parent)
