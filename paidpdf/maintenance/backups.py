"""Backups, restores, integrity checks and flushes of the whole data folder.

Why these rules:
- A backup is taken under `Store.lock_all`, so the three data files and the content files in it belong
  to one moment: no unit can commit half-way through. JSON files are copied byte for byte after they
  parse (a backup of a corrupt file would be useless when it is needed).
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
- A flush always takes a backup first, verifies it, and only then deletes, all under one `lock_all`,
  so nothing written between the backup and the delete can be lost.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from paidpdf.clock import now, now_iso
from paidpdf.content import blobs
from paidpdf.errors import InvalidInput, NotFound, StorageCorrupt, StorageError
from paidpdf.store import FILES, Store, permissions
from paidpdf.store.db import BACKUP_MANIFEST, BACKUPS_DIR, parse_data_file
from paidpdf.store.files import atomic_write, fsync_dir
from paidpdf.store.permissions import PRIVATE_DIR, PRIVATE_FILE, make_private_dir

FORMAT = 1
CATALOG = "catalog"
CONTENT = "content"
BLOB_DIRS = (blobs.CONTENT_DIR, blobs.COVERS_DIR)
CHUNK = 1024 * 1024

#: Called with the number of bytes done so far (copying or hashing), for a progress bar.
Progress = Callable[[int], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the data folder or a backup: where, and what."""

    where: str
    problem: str


@dataclass(frozen=True)
class BackupResult:
    path: Path
    files: dict[str, dict[str, Any]]
    blobs: int
    linked: int
    copied: int
    bytes: int
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class CheckResult:
    problems: list[Problem]
    files: int
    items: int
    bytes_hashed: int
    #: Folders and files other local users may read (mended by `fix_permissions=True`).
    loose_modes: list[Problem] = field(default_factory=list)
    modes_fixed: int = 0


@dataclass(frozen=True)
class FlushResult:
    backup: Path
    removed_files: int
    removed_blobs: int


# -- backup -----------------------------------------------------------------------------------------
def backup(
    store: Store,
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
            result = _fill_backup(store, staging, progress, copy)
            if verify:
                _verify_staged(staging, target)
            _publish(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return BackupResult(target, result.files, result.blobs, result.linked, result.copied, result.bytes,
                        result.warnings)


def _backup_target(store: Store, dest: Path | None) -> Path:
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


def _fill_backup(store: Store, staging: Path, progress: Progress | None, copy: bool) -> BackupResult:
    files: dict[str, dict[str, Any]] = {}
    catalog: dict[str, Any] = {}
    for name in FILES:
        source = store.path(name)
        try:
            raw = source.read_bytes()
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise StorageError(f"cannot read {source}: {exc.strerror}") from None
        parsed = parse_data_file(raw, source, store.latest_backup)
        if name == CATALOG:
            catalog = parsed
        _write_new(staging / source.name, raw)
        files[name] = {"name": source.name, "size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}

    entries: list[dict[str, Any]] = []
    damaged: list[Path] = []
    linked = copied = done = 0
    for rel, src in _blob_files(store.root):
        dst = staging / rel
        make_private_dir(dst.parent)
        try:
            if copy:
                raise OSError("copy requested")
            os.link(src, dst)
        except OSError:
            digest = _copy_hashing(src, dst, _offset(progress, done))
            copied += 1
        else:
            # The link shares the live file's bytes: hash them now, or damage goes unnoticed until
            # the day the backup is restored.
            digest = blobs.hash_file(dst, _offset(progress, done))
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

    warnings = _missing_blobs(store.root, catalog)
    manifest = {
        "format": FORMAT,
        "verified": True,  # every file above was hashed as it went in (see `Store.latest_backup`)
        "created_at": now_iso(),
        "source": str(store.root.absolute()),
        "files": files,
        "blobs": entries,
        "warnings": [{"where": w.where, "problem": w.problem} for w in warnings],
    }
    _write_new(staging / BACKUP_MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
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


def _blob_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(relative path, absolute path) of every content and cover file; temp files are skipped."""
    for folder_name, check in ((blobs.CONTENT_DIR, blobs.content_path), (blobs.COVERS_DIR, blobs.cover_path)):
        folder = root / folder_name
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            try:
                check(root, path.name)
            except NotFound:
                continue
            if path.is_file():
                yield f"{folder_name}/{path.name}", path


def _missing_blobs(root: Path, catalog: dict[str, Any]) -> list[Problem]:
    found: list[Problem] = []
    for item in catalog.get(CONTENT, {}).values():
        for label, path in _item_paths(root, item):
            if path is None:
                found.append(Problem(str(item.get("id")), f"{label} name is invalid"))
            elif not path.is_file():
                found.append(Problem(str(item.get("id")), f"{label} missing: {path}"))
    return found


def _item_paths(root: Path, item: dict[str, Any]) -> list[tuple[str, Path | None]]:
    paths: list[tuple[str, Path | None]] = []
    try:
        paths.append(("content file", blobs.content_path(root, item.get("sha256", ""))))
    except NotFound:
        paths.append(("content file", None))
    if item.get("cover"):
        try:
            paths.append(("cover", blobs.cover_path(root, item["cover"])))
        except NotFound:
            paths.append(("cover", None))
    return paths


# -- verify and restore ------------------------------------------------------------------------------
def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of the backup at `path`, checked for shape; `InvalidInput` when it is not a backup."""
    folder = Path(path)
    if not folder.is_dir():
        raise InvalidInput(f"{folder} is not a backup folder")
    try:
        manifest = orjson.loads((folder / BACKUP_MANIFEST).read_bytes())
    except FileNotFoundError:
        raise InvalidInput(f"{folder} is not a backup (no {BACKUP_MANIFEST})") from None
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"{folder / BACKUP_MANIFEST} is unreadable: {exc}") from None
    ok = (
        isinstance(manifest, dict)
        and manifest.get("format") == FORMAT
        and isinstance(manifest.get("files"), dict)
        and set(manifest["files"]) <= set(FILES)
        and all(
            isinstance(f, dict) and f.get("name") == f"{n}.json" and isinstance(f.get("sha256"), str)
            for n, f in manifest["files"].items()
        )
        and isinstance(manifest.get("blobs"), list)
        and all(isinstance(b, dict) and _safe_blob_rel(b.get("path")) for b in manifest["blobs"])
    )
    if not ok:
        raise InvalidInput(f"{folder / BACKUP_MANIFEST} is not a paidpdf backup manifest")
    return manifest


def _safe_blob_rel(rel: object) -> bool:
    """Only `content/<sha256>` and `covers/<name>` may come out of a manifest (no path escapes)."""
    if not isinstance(rel, str) or rel.count("/") != 1:
        return False
    folder, name = rel.split("/")
    check = {blobs.CONTENT_DIR: blobs.content_path, blobs.COVERS_DIR: blobs.cover_path}.get(folder)
    if check is None:
        return False
    try:
        check(Path(), name)
    except NotFound:
        return False
    return True


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
        digest = blobs.hash_file(file, _offset(progress, done))
        done += size
        if digest != entry.get("sha256"):
            problems.append(Problem(str(file), "sha256 differs from the manifest"))
    return problems


def backup_size(path: Path) -> int:
    """Total bytes of the blobs a backup lists (for a progress bar's total)."""
    return sum(int(b.get("size") or 0) for b in read_manifest(path)["blobs"])


def restore(store: Store, path: Path, progress: Progress | None = None) -> dict[str, Any]:
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
        with _pending(store, "restore", folder):
            for entry in manifest["blobs"]:
                _put_blob(folder / entry["path"], store.root / entry["path"])
            for name in FILES:
                if name in payloads:
                    store.replace_file(name, payloads[name])
                else:
                    store.path(name).unlink(missing_ok=True)
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
            _copy_hashing(src, tmp, None)
        tmp.replace(dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot restore {dst}: {exc.strerror}") from None
    fsync_dir(dst.parent)


PENDING = ".pending-operation.json"


@contextmanager
def _pending(store: Store, operation: str, backup_path: Path) -> Iterator[None]:
    """Leave a marker while a restore or flush replaces several files: each file is replaced
    atomically, but a crash between two of them would leave a mix. `check` reports the marker and
    says which command finishes the job (both are safe to run again)."""
    marker = store.root / PENDING
    record = {"operation": operation, "backup": str(backup_path), "started_at": now_iso()}
    atomic_write(marker, orjson.dumps(record))
    yield
    marker.unlink(missing_ok=True)
    fsync_dir(store.root)


def pending(store: Store) -> Problem | None:
    """The restore or flush that was interrupted, if any, as a problem that says how to finish it."""
    try:
        record = orjson.loads((store.root / PENDING).read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, orjson.JSONDecodeError):
        record = {}
    backup_path = record.get("backup", "?") if isinstance(record, dict) else "?"
    operation = record.get("operation") if isinstance(record, dict) else None
    if operation == "flush":
        fix = f"run `paidpdf db flush --yes` again (backup taken: {backup_path})"
    else:
        fix = f"run `paidpdf db restore {backup_path} --yes` again"
    what = f"an interrupted {operation or 'restore'} left the data mixed"
    return Problem(str(store.root / PENDING), f"{what}; {fix}")


def blob_bytes(store: Store) -> int:
    """Total size of the content and cover files (a progress bar's total for backup and flush)."""
    return sum(path.stat().st_size for _rel, path in _blob_files(store.root))


# -- check --------------------------------------------------------------------------------------------
def check(store: Store, progress: Progress | None = None, *, fix_permissions: bool = False) -> CheckResult:
    """Everything wrong with the data folder: data files that do not parse, content files missing,
    of the wrong size or hash, covers missing. Hashing streams, so memory stays flat. Also lists what
    other local users could read (see `paidpdf.store.permissions`), and tightens it when asked."""
    loose = permissions.loose(store.root)
    fixed = permissions.tighten(loose) if fix_permissions else 0
    loose_modes = [Problem(str(m.path), m.describe()) for m in loose]
    problems: list[Problem] = []
    interrupted = pending(store)
    if interrupted is not None:
        problems.append(interrupted)
    readable = 0
    items: list[dict[str, Any]] = []
    for name in FILES:
        try:
            view = store.view(name)
        except StorageError as exc:
            problems.append(Problem(str(store.path(name)), exc.message))
            continue
        readable += 1
        if name == CATALOG:
            items = view.all(CONTENT)
    hashed: dict[Path, str] = {}
    done = 0
    for item in items:
        item_id = str(item.get("id"))
        for label, path in _item_paths(store.root, item):
            if path is None:
                problems.append(Problem(item_id, f"{label} name is invalid"))
                continue
            try:
                size = path.stat().st_size
            except OSError:
                problems.append(Problem(item_id, f"{label} missing: {path}"))
                continue
            if label != "content file":
                continue
            if size != item.get("size"):
                expected = item.get("size")
                problems.append(Problem(item_id, f"size is {size} bytes, the catalog says {expected}"))
            if path not in hashed:
                hashed[path] = blobs.hash_file(path, _offset(progress, done))
                done += size
            if hashed[path] != item.get("sha256"):
                problems.append(Problem(item_id, f"sha256 of {path} does not match (file damaged)"))
    return CheckResult(problems, readable, len(items), done, loose_modes, fixed)


def content_bytes(store: Store) -> int:
    """Bytes `check` will hash (for a progress bar's total); 0 when the catalog is unreadable."""
    try:
        items = store.view(CATALOG).all(CONTENT)
    except StorageError:
        return 0
    sizes: dict[str, int] = {}
    for item in items:
        if isinstance(item.get("sha256"), str) and isinstance(item.get("size"), int):
            sizes[item["sha256"]] = item["size"]
    return sum(sizes.values())


# -- flush --------------------------------------------------------------------------------------------
def flush(store: Store, progress: Progress | None = None) -> FlushResult:
    """Back up, verify the backup, then delete the data files and content/cover files (one lock)."""
    with store.lock_all():
        try:
            taken = backup(store, None, progress, verify=True)
        except StorageError as exc:  # the failed backup was removed by `backup`
            raise type(exc)(f"{exc.message}; nothing was deleted") from None
        with _pending(store, "flush", taken.path):
            removed_files, removed_blobs = _delete_data(store)
        store.forget()
    return FlushResult(taken.path, removed_files, removed_blobs)


def _delete_data(store: Store) -> tuple[int, int]:
    removed_files = 0
    for name in FILES:
        path = store.path(name)
        if path.exists():
            path.unlink()
            removed_files += 1
    removed_blobs = 0
    for _rel, path in list(_blob_files(store.root)):
        path.unlink()
        removed_blobs += 1
    for folder in (store.root, *(store.root / d for d in BLOB_DIRS if (store.root / d).is_dir())):
        fsync_dir(folder)
    return removed_files, removed_blobs


# -- info ---------------------------------------------------------------------------------------------
def info(store: Store) -> dict[str, Any]:
    """Paths, sizes and record counts of the data folder; an unreadable file is reported, not raised."""
    files: dict[str, Any] = {}
    for name in FILES:
        path = store.path(name)
        entry: dict[str, Any] = {"path": str(path), "exists": path.exists(),
                                 "size": path.stat().st_size if path.exists() else 0}
        try:
            view = store.view(name)
            entry["tables"] = {t: view.count(t) for t in view.tables()}
        except StorageError as exc:
            entry["error"] = exc.message
        files[name] = entry
    blob_stats = {}
    for folder in BLOB_DIRS:
        found = [p for rel, p in _blob_files(store.root) if rel.startswith(folder + "/")]
        blob_stats[folder] = {"path": str(store.root / folder), "files": len(found),
                              "bytes": sum(p.stat().st_size for p in found)}
    latest = store.latest_backup()
    return {
        "data_dir": str(store.root.absolute()),
        "files": files,
        "blobs": blob_stats,
        "latest_backup": str(latest) if latest else None,
    }


def _offset(progress: Progress | None, base: int) -> Progress | None:
    """A per-file progress callback that reports the running total across files."""
    if progress is None:
        return None
    report = progress
    return lambda n: report(base + n)


def _write_new(path: Path, payload: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_hashing(src: Path, dst: Path, progress: Progress | None) -> str:
    """Copy in 1 MiB chunks, hashing as it goes, and fsync; returns the sha256 of what was copied."""
    digest = hashlib.sha256()
    done = 0
    with src.open("rb", buffering=0) as reader, dst.open("xb", buffering=0) as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            view = memoryview(chunk)
            while view:
                view = view[writer.write(view) or 0:]
            done += len(chunk)
            if progress is not None:
                progress(done)
        os.fsync(writer.fileno())
    return digest.hexdigest()
