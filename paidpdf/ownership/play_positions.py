"""Where each reader stopped playing each audio and video file, kept by the shop so it follows the
reader from device to device: stop on the phone, resume on the laptop ("remembered per reader and
file", issue 24).

How it is kept: one small document per reader, item and file in `play_positions` of the `accounts`
data file (id `<user>/<item>/<file key>`, looked up by `user_id` for the library page), holding the
version it was played in (the file version's sha256 and number), the position and the duration in
seconds, and when (`at`, and `at_ms` for the player, which compares it with its own offline copy).
A new version of the file starts at 0: the stored position names the old sha256 and is not handed
back (`current`).

Why `accounts` and not `sales`: it is the reader's own state, like their sessions, and the sales data
(orders, the download log) stays free of a write every few seconds per listener. Writes are few by
design: the player (`static/player.js`) sends at most one position every 10 seconds while playing,
plus one on pause and on leaving the page, and a write that changes nothing (same version, moved by
less than `UNCHANGED_SECONDS`) is answered from a view without opening a unit.

Who may store or read a position is the web adapter's question (the download's own entitlement check);
this module only keeps values that make sense: finite, 0 <= position <= duration, and no longer than
the file itself when its duration is known.
"""

from __future__ import annotations

import math
import re
import time

from paidpdf.clock import now_iso
from paidpdf.errors import InvalidInput
from paidpdf.store import ACCOUNTS, DataStore, Doc, View

TABLE = "play_positions"
DATA_FILE = ACCOUNTS
#: The longest position or duration accepted for a file whose duration the catalog does not know.
MAX_SECONDS = 7 * 24 * 3600.0
#: How far the browser's duration may exceed the probed one (containers and streams disagree a little).
SLACK_SECONDS = 2.0
#: A position moved by less than this (same version) is not written again.
UNCHANGED_SECONDS = 1.0

#: Plain decimal seconds in ASCII digits (`\d` would take any script's digits): no sign, exponent, `nan` or
#: `inf`, so every accepted value is finite.
_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")


def parse_seconds(text: str | None, what: str) -> float | None:
    """Seconds as the player sends them (`12.3`), None when absent; anything else is `InvalidInput`."""
    if text is None or text == "":
        return None
    if not _SECONDS.fullmatch(text):
        raise InvalidInput(f"{what} must be a number of seconds such as 12.5")
    value = float(text)
    if not math.isfinite(value) or value > MAX_SECONDS:
        raise InvalidInput(f"{what} is out of range")
    return value


def doc_id(user_id: str, item_id: str, file_key: str) -> str:
    return f"{user_id}/{item_id}/{file_key}"


def checked(position: float, duration: float | None, known_ms: int | None) -> tuple[float, float | None]:
    """`(position, duration)` if they make sense for a file of `known_ms` (None: unknown), rounded to
    a tenth of a second; else `InvalidInput` saying which rule they break."""
    if not (math.isfinite(position) and 0 <= position <= MAX_SECONDS):
        raise InvalidInput("position is out of range")
    if duration is not None:
        if not (math.isfinite(duration) and 0 < duration <= MAX_SECONDS):
            raise InvalidInput("duration is out of range")
        if position > duration:
            raise InvalidInput("position is past the duration")
    if known_ms and known_ms > 0:
        longest = known_ms / 1000 + SLACK_SECONDS
        if position > longest or (duration is not None and duration > longest):
            raise InvalidInput("position is past the end of the file")
    return round(position, 1), (round(duration, 1) if duration is not None else None)


def for_user(view: View, user_id: str) -> dict[str, Doc]:
    """The reader's stored positions by `<item>/<file key>` (any version: see `current`)."""
    return {f"{d['item_id']}/{d['file_key']}": d for d in view.find(TABLE, "user_id", user_id)}


def current(doc: Doc | None, sha256: str) -> Doc | None:
    """`doc` when it was stored for the file version `sha256`, else None (a new version starts at 0)."""
    return doc if doc is not None and doc.get("sha256") == sha256 else None


def stored(view: View, user_id: str, item_id: str, file_key: str, sha256: str) -> Doc | None:
    """The reader's position in this version of the file, or None."""
    return current(view.get(TABLE, doc_id(user_id, item_id, file_key)), sha256)


def record(
    store: DataStore, user_id: str, item_id: str, file_key: str, *, sha256: str, version: int,
    position: float, duration: float | None, known_ms: int | None = None,
) -> Doc:
    """Keep where the reader stopped in this version of the file (0 once they finished it: it starts
    over); returns what is stored. An unchanged position is not written again."""
    position, duration = checked(position, duration, known_ms)
    key = doc_id(user_id, item_id, file_key)
    before = stored(store.view(DATA_FILE), user_id, item_id, file_key, sha256)
    if _unchanged(before, position, duration):
        assert before is not None
        return before
    doc: Doc = {
        "id": key, "user_id": user_id, "item_id": item_id, "file_key": file_key, "sha256": sha256,
        "version": int(version), "position": position, "duration": duration,
        "at": now_iso(), "at_ms": int(time.time() * 1000),
    }
    with store.unit(DATA_FILE) as unit:
        unit.put(TABLE, doc)
    return doc


def _unchanged(before: Doc | None, position: float, duration: float | None) -> bool:
    return (
        before is not None
        and abs(float(before.get("position") or 0) - position) < UNCHANGED_SECONDS
        and (duration is None or before.get("duration") == duration)
    )


def public(doc: Doc | None) -> dict[str, object]:
    """What the player and the JSON answer see: position, duration, version and when (ms)."""
    if doc is None:
        return {"position": 0, "duration": None, "version": None, "at_ms": 0}
    return {
        "position": doc.get("position") or 0, "duration": doc.get("duration"),
        "version": doc.get("version"), "at_ms": int(doc.get("at_ms") or 0),
    }
