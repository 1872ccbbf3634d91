"""Who may read the data folder: only the shop's own user.

`accounts.json` holds password hashes and emails, `content/` the paid PDFs, `backups/` copies of both,
and `.locks/` the `flock`s every writer takes (a local user who could open them could hold them and
stall the shop). So everything the shop creates is private: folders 0700, files 0600. The entry points
set the process umask to 077 (`private_umask`), and the store creates its folders and files with those
modes explicitly, so library use is private too. `loose` finds anything looser (a folder made by hand,
files copied in with `cp`), which `db check` reports and `db check --fix-permissions` mends with `tighten`.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
UMASK = 0o077


def private_umask() -> int:
    """Make everything this process creates from now on private to its user; returns the old umask."""
    return os.umask(UMASK)


def make_private_dir(folder: Path) -> None:
    """`mkdir -p` where every folder this call creates is 0700 (existing ones are left as they are)."""
    missing = []
    current = Path(folder)
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue
        path.chmod(PRIVATE_DIR)  # mkdir's mode is filtered by the umask; be exact


@dataclass(frozen=True)
class LooseMode:
    path: Path
    mode: int

    @property
    def wanted(self) -> int:
        return PRIVATE_DIR if stat.S_ISDIR(self.mode) else PRIVATE_FILE

    def describe(self) -> str:
        return f"mode {stat.S_IMODE(self.mode):04o}, readable by others (want {self.wanted:04o})"


def loose(root: Path) -> list[LooseMode]:
    """Every folder and file under `root` (itself included) that group or others may use."""
    found: list[LooseMode] = []
    for path in [Path(root), *_walk(Path(root))]:
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(st.st_mode):
            continue
        if st.st_mode & 0o077:
            found.append(LooseMode(path, st.st_mode))
    return found


def tighten(items: list[LooseMode]) -> int:
    """Set each to 0700 (folders) or 0600 (files), removing group and other access; returns how many."""
    fixed = 0
    for item in items:
        try:
            item.path.chmod(stat.S_IMODE(item.mode) & ~0o077 | (item.wanted & 0o700))
        except FileNotFoundError:
            continue
        fixed += 1
    return fixed


def _walk(root: Path) -> list[Path]:
    paths: list[Path] = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        base = Path(folder)
        paths.extend(base / d for d in dirs)
        paths.extend(base / f for f in files)
    return paths
