"""Reading a data file's bytes: TinyDB-shaped JSON or `StorageCorrupt`, never a guess.

Apart from the backends because it is the one place that decides what a healthy file is (the embedded
store's reads, `db check`, backups and restores on either backend all parse through it) and what an error
about a bad one says: the file's path, that it was left untouched, and the latest backup to restore.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson

from paidpdf.errors import StorageCorrupt

Tables = dict[str, dict[str, dict[str, Any]]]


def backup_hint(backup: Path | None) -> str:
    if backup is None:
        return "; no backup found"
    return f"; latest backup: {backup} (restore it with `paidpdf db restore {backup}`)"


def parse_data_file(
    raw: bytes, path: Path, backup: Path | Callable[[], Path | None] | None = None
) -> Tables:
    """Parse the bytes of a data file; anything but a TinyDB-shaped JSON object is `StorageCorrupt`.

    An empty file counts as corrupt: our writer never produces one (an empty database is `{}`), so an
    empty file means something else truncated it, and treating it as empty would overwrite the evidence.
    `backup` may be a callable (`Store.latest_backup`): it is only called when the file is corrupt, so
    a healthy parse (every cold read) does not list and check the backups folder.
    """

    def hint() -> str:
        return backup_hint(backup() if callable(backup) else backup)

    if not raw.strip():
        raise StorageCorrupt(f"{path} is corrupt (empty file); it was left untouched{hint()}")
    try:
        data = _loads_without_gc(raw)
    except orjson.JSONDecodeError as exc:
        raise StorageCorrupt(
            f"{path} is corrupt (not valid JSON: {exc}); it was left untouched{hint()}"
        ) from None
    if not isinstance(data, dict) or not all(
        isinstance(t, dict) and all(isinstance(d, dict) for d in t.values()) for t in data.values()
    ):
        raise StorageCorrupt(f"{path} is corrupt (not a TinyDB file); it was left untouched{hint()}")
    return data



@contextmanager
def bulk_load() -> Iterator[None]:
    """Make many objects at once (a parsed base, a replayed journal) without the cyclic garbage
    collector in the way.

    Parsing a file allocates many dicts and lists; with the GC running, each allocation burst
    triggers collections that find nothing (JSON holds no cycles), a third of the parse time. So the
    GC is paused while loading. (An earlier version also froze the result with `gc.freeze()` so that
    later collections skip it; but a freeze also pins every garbage cycle alive at that instant in
    any thread, forever, and with it whatever the cycle holds: a snapshot, and the descriptor of a
    base a compaction has replaced. Large bases now stay on disk (`cold.py`), so what is parsed into
    memory is small and the freeze is not worth that.)
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _loads_without_gc(raw: bytes) -> Any:
    with bulk_load():
        return orjson.loads(raw)
