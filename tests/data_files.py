"""What a data file holds, read the way the shop reads it: its base plus its journal.

A unit appends to `<name>.journal` and leaves `<name>.json` (the base) alone until a compaction, so
a test that wants "what the file says" reads the state through a fresh `Store` (as another process
would), and a test that wants "nothing was written" compares the bytes of both files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from paidpdf.store import DataStore, Store
from paidpdf.store.layout import FILES


def state_bytes(data_dir: Path, name: str) -> bytes:
    """The file's whole state as plain TinyDB JSON (b"" when the shop never wrote it)."""
    return Store(data_dir).export(name) or b""


def state(data_dir: Path, name: str) -> dict[str, Any]:
    """The file's whole state, parsed (a corrupt base or journal raises, as it would in the shop)."""
    found: dict[str, Any] = orjson.loads(state_bytes(data_dir, name) or b"{}")
    return found


def on_disk(data_dir: Path, name: str) -> bytes:
    """The bytes of the base and the journal together: equal before and after = nothing written."""
    parts = []
    for path in (data_dir / f"{name}.json", data_dir / f"{name}.journal"):
        parts.append(path.read_bytes() if path.exists() else b"-")
    return b"\0".join(parts)


def torn_bytes(data_dir: Path, name: str) -> int:
    """Bytes after the journal's last whole record (what an interrupted append leaves)."""
    from paidpdf.store.embedded import journal

    path = data_dir / f"{name}.journal"
    if not path.exists():
        return 0
    raw = path.read_bytes()
    return journal.scan(raw[len(journal.MAGIC) :], len(journal.MAGIC)).tail


def written(store: DataStore) -> tuple[Any, ...]:
    """Everything a command could have written, whatever the backend: every file under the data folder
    (but lock files) with its bytes, and each data file's documents and version as the store reads
    them (equal before and after = nothing was written)."""
    documents = tuple(store.export(n) for n in FILES)
    return (tree(store.root), documents, tuple(store.view(n).version for n in FILES))


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under a data folder (but the lock files) with its bytes."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".locks" not in p.parts
    }


def documents(store: DataStore, name: str) -> dict[str, Any]:
    """A data file's documents by table, as the store (either backend) reads them."""
    found: dict[str, Any] = orjson.loads(store.export(name) or b"{}")
    return found
