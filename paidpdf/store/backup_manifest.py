"""A backup folder's `manifest.json`, read and checked in one place.

A backup counts as complete (and `Store.latest_backup` offers it) only once its manifest is in it;
`db restore` and `db backup --verify` trust nothing else in the folder, so the manifest's shape is
checked before any name in it is used: only `<file>.json` data files, only `content/<sha256>` and
`covers/<name>` blobs (no path from it can leave the backup folder).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from paidpdf.errors import InvalidInput, NotFound
from paidpdf.store.files import blobs
from paidpdf.store.layout import BACKUPS_DIR, FILES

BACKUP_MANIFEST = "manifest.json"
#: The manifest's `format`; a backup of another format is refused rather than half-understood.
FORMAT = 1


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
        and all(isinstance(b, dict) and safe_blob_path(b.get("path")) for b in manifest["blobs"])
    )
    if not ok:
        raise InvalidInput(f"{folder / BACKUP_MANIFEST} is not a paidpdf backup manifest")
    return manifest


def safe_blob_path(rel: object) -> bool:
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


def looks_restorable(folder: Path) -> bool:
    """A verified manifest whose listed files all exist with their listed sizes."""
    try:
        manifest = read_manifest(folder)
        if manifest.get("verified") is not True:
            return False
        listed = [(f["name"], f["size"]) for f in manifest["files"].values()]
        listed += [(b["path"], b["size"]) for b in manifest["blobs"]]
        return all((folder / rel).stat().st_size == size for rel, size in listed)
    except (InvalidInput, OSError, KeyError, TypeError):
        return False


def latest_backup_in(root: Path) -> Path | None:
    """The newest backup under `<data>/backups/` that can be offered for a restore, if any.

    Offered only when its manifest parses and says the backup was verified when it was taken
    (every content file hashed), and every file it lists is still there with the listed size
    (cheap: no hashing, since this runs inside error messages). A folder that fails is skipped
    for the next older one, so a "corrupt file" message never recommends a backup that cannot
    be restored.
    """
    folder = root / BACKUPS_DIR
    try:
        found = sorted((p for p in folder.iterdir() if not p.name.startswith(".")), reverse=True)
    except OSError:
        return None
    return next((p for p in found if looks_restorable(p)), None)
