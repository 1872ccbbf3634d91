"""The download log: each owner download that completes, and the optional per-item download limit.

Why: a creator who sees one account fetch a book 400 times from 60 addresses has found a leak; a
reader who says "the file never arrived" can be shown that it did. One record per completed download
in the `downloads` table of `sales` (item, version, time, bytes, resumed or not, and the client
address as a keyed hash, so the log names no address). "Completed" means the answer's last byte was
handed to the connection; a resumed download is one request that finishes a file, so a reader who
resumes twice still downloaded once.

A limit (`content edit --download-limit N`) is a byte budget per owner and version, reserved before
an answer's bytes are sent (`download_budget`); this module writes the log, gives back what an answer
did not send, and seeds the budget of shops that counted completed downloads before.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from paidpdf.clock import now_iso
from paidpdf.content.shop_secret import tag
from paidpdf.errors import NotFound
from paidpdf.ownership import download_budget, library
from paidpdf.ownership.download_budget import DownloadLimitReached as DownloadLimitReached  # the web's name
from paidpdf.ownership.download_budget import Reservation
from paidpdf.store import SALES, DataStore, Doc, View

DOWNLOADS = "downloads"


@dataclass(frozen=True)
class Delivery:
    """One answer that ended: which bytes of which version's file it was to send, to whom, how many
    it handed to the connection (`sent`), and what it had reserved of a limit's budget."""

    user_id: str
    content_id: str
    version: int
    start: int
    length: int
    size: int
    client: str
    sent: int = -1  # -1: all of `length`
    reservation: Reservation | None = None
    file: str = ""  # the key of the item's file (`content.item_files`); "" before items had several

    @property
    def completed(self) -> bool:
        return self.sent < 0 or self.sent >= self.length

    @property
    def unsent(self) -> int:
        return 0 if self.completed else self.length - max(self.sent, 0)

    @property
    def worth_writing(self) -> bool:
        """A completed answer is logged; an incomplete one only gives back a reservation."""
        return self.completed or (self.reservation is not None and self.unsent > 0)


def record(store: DataStore, sent: Delivery) -> Doc | None:
    """Write what an answer that ended leaves behind, in one sales unit: its log record when it was
    completed (its last byte handed on), the unsent part of its reservation when it stopped early."""
    if not sent.worth_writing:
        return None
    with store.unit(SALES) as unit:
        if sent.reservation is not None and sent.unsent > 0:
            download_budget.give_back(unit, sent.reservation, sent.unsent)
        if not sent.completed:
            return None
        return unit.put(DOWNLOADS, _log_row(store, sent))  # a fresh random id: nothing to check


def _log_row(store: DataStore, sent: Delivery) -> Doc:
    return {
        "id": f"dl_{secrets.token_hex(8)}",
        "user_id": sent.user_id,
        "content_id": sent.content_id,
        "version": sent.version,
        "file": sent.file,
        "at": now_iso(),
        "bytes": sent.length,
        "resumed": sent.start > 0,
        "to_end": sent.start + sent.length >= sent.size,
        "client": tag(store, "client", sent.client) if sent.client else "",
    }


def for_user(view: View, user_id: str, content_id: str | None = None) -> list[Doc]:
    """A reader's downloads, oldest first (of one item with `content_id`)."""
    rows = view.find(DOWNLOADS, "user_id", user_id)
    if content_id is not None:
        rows = [r for r in rows if r.get("content_id") == content_id]
    return sorted(rows, key=lambda r: (r.get("at") or "", r["id"]))


def for_item(view: View, content_id: str) -> list[Doc]:
    return view.find(DOWNLOADS, "content_id", content_id)


def seed(view: View, user_id: str, content_id: str) -> dict[str, int]:
    """The bytes per version an owner's logged downloads took since their last reset: where the
    budget of a shop that counted completed downloads before starts (`download_budget`)."""
    entry = library.entry(view, user_id, content_id) or {}
    since = str(entry.get("downloads_reset_at") or "")
    used: dict[str, int] = {}
    for row in for_user(view, user_id, content_id):
        if str(row.get("at") or "") > since:
            key = str(row.get("version"))
            used[key] = used.get(key, 0) + int(row.get("bytes") or 0)
    return used


def check(view: View, item: Doc, user_id: str, version: int, size: int) -> None:
    """`DownloadLimitReached` when the owner spent every use of `version` (answers without bytes)."""
    download_budget.check(view, item, user_id, version, size, seed)


def reserve(
    store: DataStore, item: Doc, user_id: str, version: int, length: int, size: int
) -> Reservation | None:
    """Charge an answer's bytes to the owner's budget before they are sent (see `download_budget`)."""
    return download_budget.reserve(store, item, user_id, version, length, size, seed)


def reset(store: DataStore, user_id: str, content_id: str) -> Doc:
    """Let an owner download an item again as if new (`users reset-downloads`)."""
    with store.unit(SALES) as unit:
        entry = library.entry(unit, user_id, content_id)
        if entry is None or entry.get("revoked_at") is not None:
            raise NotFound(f"this reader does not own {content_id!r}")
        download_budget.reset(unit, user_id, content_id)
        return unit.put(library.LIBRARY, {**entry, "downloads_reset_at": now_iso()})
