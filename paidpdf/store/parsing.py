"""Reading a data file's bytes: TinyDB-shaped JSON or `StorageCorrupt`, never a guess.

Apart from `db` because it is the one place that decides what a healthy file is (the store's reads,
`db check`, backups and restores all parse through it) and what an error about a bad one says: the
file's path, that it was left untouched, and the latest backup to restore.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
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



def _loads_without_gc(raw: bytes) -> Any:
    """`orjson.loads` with the cyclic GC paused: parsing a large file allocates hundreds of thousands
    of dicts, each allocation burst triggers full collections that find nothing (the new objects hold
    no cycles), and that costs a third of the parse time. Re-enabled only if it was on before.

    Pausing alone only postpones the cost: the parsed objects still count as young, so the first
    allocation after `gc.enable()` traverses all of them (~110 ms at 100 000 orders, paid by every
    cold unit). `freeze()` + `unfreeze()` moves every young object straight to the oldest generation
    (an O(1) list splice), where the periodic full collection looks at them like at any long-lived
    data. Nothing is leaked: objects are still freed by reference counting, and any young cycle
    elsewhere in the process is only collected later, by that full collection. Skipped when someone
    else has frozen objects (unfreezing would undo their freeze).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = orjson.loads(raw)
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        return data
    finally:
        if was_enabled:
            gc.enable()
