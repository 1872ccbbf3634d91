"""Where stamp templates live: built once per file version, kept beside the content files.

A template (`stamping.Template`) is derived data: it can always be built again from the version's
PDF, so it is a cache, not part of the shop's data (backups skip it; with an object store each server
builds its own the first time it needs one). `content edit --stamp` and `content update` build it
ahead, so a reader's first stamped download does not wait; a server that lacks one builds it on the
first download (once, whatever the number of threads asking) and keeps it in memory afterwards.

On disk: `<data>/stamps/<sha256>.tail`, a one-line header (`paidpdf-stamp <format> <slot>`) and the
tail's bytes, written like every file here (temp file, fsync, rename), so a kill leaves either the
whole template or none.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from paidpdf.content import stamping
from paidpdf.errors import StorageError
from paidpdf.store import DataStore
from paidpdf.store.files import blobs, object_files
from paidpdf.store.files.atomic import atomic_write

STAMPS_DIR = "stamps"
#: Templates kept in memory per process (a 300-page book's is about 130 KB).
MEMORY_SLOTS = 64

_lock = threading.Lock()
_building: dict[str, threading.Lock] = {}
_memory: OrderedDict[tuple[str, str], stamping.Template] = OrderedDict()


def path_for(root: Path, sha256: str) -> Path:
    blobs.content_path(root, sha256)  # validates the name
    return Path(root) / STAMPS_DIR / f"{sha256}.tail"


def template(store: DataStore, sha256: str) -> stamping.Template:
    """The template of the file `sha256`: from memory, from disk, or built now (see the module)."""
    key = (str(store.root), sha256)
    with _lock:
        found = _memory.get(key)
        if found is not None:
            _memory.move_to_end(key)
            return found
        building = _building.setdefault(sha256, threading.Lock())
    with building:
        with _lock:
            found = _memory.get(key)
        if found is None:
            found = _read(path_for(store.root, sha256)) or build(store, sha256)
        with _lock:
            _memory[key] = found
            while len(_memory) > MEMORY_SLOTS:
                _memory.popitem(last=False)
        return found


def build(store: DataStore, sha256: str) -> stamping.Template:
    """Build the template of a stored file and keep it on disk (raises `InvalidInput` for a PDF that
    cannot be stamped)."""
    source = blobs.content_path(store.root, sha256)
    if not source.is_file():
        object_files.hydrate(store, [f"{blobs.CONTENT_DIR}/{sha256}"])
    made = stamping.build_template(source)
    target = path_for(store.root, sha256)
    header = b"paidpdf-stamp %d %s\n" % (stamping.FORMAT, made.slot)
    try:
        target.parent.mkdir(mode=0o700, exist_ok=True)
        atomic_write(target, header + made.tail, mode=0o600)
    except OSError as exc:
        raise StorageError(f"cannot write the stamp template {target}: {exc.strerror}") from None
    return made


def _read(path: Path) -> stamping.Template | None:
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    header, _, tail = raw.partition(b"\n")
    parts = header.split(b" ")
    if len(parts) != 3 or parts[0] != b"paidpdf-stamp" or parts[1] != str(stamping.FORMAT).encode():
        path.unlink(missing_ok=True)  # an older format: built again
        return None
    slot = parts[2]
    if len(slot) != stamping.SLOT_BYTES * 2 or slot not in tail:
        return None
    return stamping.Template(tail, slot)
