"""Crash-safe file replacement.

A data file is never rewritten in place: the new bytes go to a temp file in the same folder, are
fsynced, renamed over the old file with `os.replace` (atomic on POSIX) and the folder is fsynced so the
rename itself survives a power cut. A `kill -9` at any instant therefore leaves either the whole old
file or the whole new one, plus at worst a stray temp file that `sweep_temp_files` removes.
"""

from __future__ import annotations

import os
import secrets
from array import array
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".tmp"


def temp_name(path: Path) -> Path:
    """A temp path next to `path` that no other writer (thread or process) can pick."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{TEMP_SUFFIX}")


def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes | Sequence[bytes | array[Any]], mode: int = 0o600) -> None:
    """Replace `path` with `payload` (bytes, or buffers written one after the other, never joined)
    so that readers and crashes only ever see old or new bytes."""
    tmp = temp_name(path)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)  # exact, whatever the umask
        parts: Sequence[bytes | array[Any]] = [payload] if isinstance(payload, bytes) else payload
        for part in parts:
            view = memoryview(part).cast("B")
            while view:
                written = os.write(fd, view)
                view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        tmp.unlink(missing_ok=True)
        raise
    os.close(fd)
    try:
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def sweep_temp_files(path: Path) -> int:
    """Remove temp files an interrupted writer of `path` left behind. Call only while holding its lock."""
    removed = 0
    for leftover in path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed
