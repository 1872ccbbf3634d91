"""Download limits as a byte budget, reserved in the store before any byte is sent.

Why bytes: a limit that counted *completed* downloads, checked against a log written after them, was
bypassed twice (issue 20): Range requests that stop one byte short of the end never complete, and N
parallel GETs all pass the check before the first one is logged. So a limit of L downloads of a
version is a budget of `L × size` bytes per owner and version (`size` being the copy's size, stamped
tail included), and every answer that carries bytes first reserves its length inside one `sales`
unit: atomic on both backends, so N parallel requests at 0 of 2 get at most 2 whole copies, and six
near-complete ranges cost six near-complete copies.

- An answer that stops early (the reader's connection broke) gives back what it did not send, once
  the server closed it (`give_back`, from the download recorder): a resume with Range then costs
  only the bytes it carries, never a whole new use.
- "Sent" is what the server handed to the connection; bytes lost in flight when it broke (the
  kernel's socket buffers, several MiB each way, or a proxy's buffer) count as sent, and a download
  program may probe with `Range: bytes=0-0` first. So a request made while some of a use is left may
  go past the budget by an allowance: `1/ALLOWANCE_SHARE` of the copy, at most `ALLOWANCE_MAX`,
  always less than one copy, so `L × size + allowance` bytes never make an `L + 1`th copy (a third
  copy one byte short needs almost a whole copy more). Once `L × size` bytes are charged, every
  request is refused.
- A process killed while sending keeps its reservation charged (the record of what was sent dies
  with it): the limit errs for the shop, and `users reset-downloads` is the way out.
- One document per owner and item (`download_budgets`, id `user:item`) holds the bytes charged per
  version and a `generation`; a reset writes a new generation, so a give-back of an answer from
  before the reset cannot lower the new budget.
- Shops that counted downloads before this: an owner's first reservation starts their budget from
  the bytes of their logged downloads since the last reset (`seed`), so nobody gets a fresh limit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from paidpdf.clock import now_iso
from paidpdf.errors import AccessDenied
from paidpdf.ownership import library
from paidpdf.store import SALES, DataStore, Doc, Unit, View

BUDGETS = "download_budgets"
ALLOWANCE_SHARE = 4
ALLOWANCE_MAX = 16 * 1024 * 1024

#: Bytes already used per version (as text keys), for an owner without a budget document yet.
Seed = Callable[[View, str, str], dict[str, int]]


class DownloadLimitReached(AccessDenied):
    """The owner has used every download this item allows for this version."""


@dataclass(frozen=True)
class Reservation:
    """Bytes charged to one owner's budget for one answer, before it was sent."""

    user_id: str
    content_id: str
    version: int
    length: int
    generation: str


def limit_of(item: Doc) -> int | None:
    limit = item.get("download_limit")
    return limit if isinstance(limit, int) and not isinstance(limit, bool) and limit > 0 else None


def allowance(size: int) -> int:
    return min(size // ALLOWANCE_SHARE, ALLOWANCE_MAX)


def _doc_id(user_id: str, content_id: str) -> str:
    return library.entry_id(user_id, content_id)


def _fresh(user_id: str, content_id: str, charged: dict[str, int] | None = None) -> Doc:
    return {
        "id": _doc_id(user_id, content_id), "user_id": user_id, "content_id": content_id,
        "charged": dict(charged or {}), "generation": secrets.token_hex(8), "since": now_iso(),
    }


def charged(view: View, user_id: str, content_id: str, version: int, seed: Seed) -> int:
    """Bytes of `version` charged to the owner so far."""
    doc = view.get(BUDGETS, _doc_id(user_id, content_id))
    table = doc["charged"] if doc is not None else seed(view, user_id, content_id)
    return int(table.get(str(version), 0))


def _refusal(version: int, limit: int) -> DownloadLimitReached:
    return DownloadLimitReached(
        f"you have downloaded version {version} of this item {limit} time(s), as many as the shop "
        "allows; ask the shop to reset your downloads if you need it again"
    )


def check(view: View, item: Doc, user_id: str, version: int, size: int, seed: Seed) -> None:
    """For answers without bytes (HEAD, 304, 416): refused once every use is spent."""
    limit = limit_of(item)
    if limit is not None and charged(view, user_id, item["id"], version, seed) >= limit * size:
        raise _refusal(version, limit)


def reserve(
    store: DataStore, item: Doc, user_id: str, version: int, length: int, size: int, seed: Seed,
) -> Reservation | None:
    """Charge `length` bytes of a `size`-byte copy before they are sent, or `DownloadLimitReached`;
    None when the item has no limit (nothing to charge)."""
    limit = limit_of(item)
    if limit is None:
        return None
    budget = limit * size
    with store.unit(SALES) as unit:
        doc = unit.get(BUDGETS, _doc_id(user_id, item["id"]))
        if doc is None:
            doc = _fresh(user_id, item["id"], seed(unit, user_id, item["id"]))
        used = int(doc["charged"].get(str(version), 0))
        if used >= budget or used + length > budget + allowance(size):
            raise _refusal(version, limit)
        unit.put(BUDGETS, {**doc, "charged": {**doc["charged"], str(version): used + length}})
    return Reservation(user_id, item["id"], version, length, str(doc["generation"]))


def give_back(unit: Unit, reservation: Reservation, unsent: int) -> None:
    """Inside a sales unit: return the `unsent` bytes of a reservation (its answer stopped early)."""
    doc = unit.get(BUDGETS, _doc_id(reservation.user_id, reservation.content_id))
    if doc is None or doc.get("generation") != reservation.generation or unsent <= 0:
        return  # reset since: the new budget owes nothing to answers from before
    key = str(reservation.version)
    left = max(0, int(doc["charged"].get(key, 0)) - min(unsent, reservation.length))
    unit.put(BUDGETS, {**doc, "charged": {**doc["charged"], key: left}})


def reset(unit: Unit, user_id: str, content_id: str) -> None:
    """Inside a sales unit: a new, empty budget for every version (`users reset-downloads`)."""
    unit.put(BUDGETS, _fresh(user_id, content_id))
