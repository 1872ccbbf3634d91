"""`orders trace`: which order (or account) a leaked stamped copy was delivered to.

A stamped copy carries `ppdf:<ref>:v<version>:<mac>`: on every page of a PDF (`content.stamping`), in
an EPUB's chapters and metadata, a ZIP's license entry, audio tags or a video's metadata
(`content.format_stamps`). The file is searched as it is (memory-mapped, so a large video is not read
into memory) and, failing that, as another program may have re-saved it: the text of a PDF's first
pages, the entries of a recompressed EPUB or ZIP, tags rewritten in another encoding
(`format_stamps.trace_scan`). Only an identifier whose keyed hash is this shop's counts: a made-up or
edited identifier is reported as not this shop's, never as a buyer.
"""

from __future__ import annotations

import mmap
from dataclasses import dataclass
from pathlib import Path

from paidpdf.accounts.records import USERS
from paidpdf.content import stamping
from paidpdf.content.format_stamps import trace_scan
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.sales.orders import ORDERS
from paidpdf.store import ACCOUNTS, SALES, DataStore, Doc


@dataclass(frozen=True)
class Trace:
    identifier: str
    version: int
    order: Doc | None
    user: Doc | None


def _is_pdf(data: mmap.mmap) -> bool:
    return b"%PDF-" in data[:1024]


def trace(store: DataStore, pdf: Path) -> Trace:
    """The order and buyer a copy names; `NotFound` when it carries no valid stamp of this shop."""
    path = Path(pdf)
    try:
        with path.open("rb") as handle:
            if path.stat().st_size == 0:
                raise InvalidInput(f"{path} is empty")
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                found = stamping.find_identifiers(data, path if _is_pdf(data) else None)  # type: ignore[arg-type]
                found = found or trace_scan.in_bytes(data)  # type: ignore[arg-type]
        found = found or trace_scan.in_reencoded(path)
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}") from None
    if not found:
        raise NotFound(f"{path.name} carries no stamp of this shop")
    for ident in found:
        verified = stamping.verify(store, ident)
        if verified is None:
            continue
        sales = store.view(SALES)
        order = sales.get(ORDERS, verified.ref) if verified.ref.startswith("ord_") else None
        user_id = order.get("user_id") if order is not None else verified.ref
        user = store.view(ACCOUNTS).get(USERS, str(user_id)) if user_id else None
        return Trace(ident, verified.version, order, user)
    raise NotFound(
        f"{path.name} carries a stamp identifier ({found[0]}) that this shop did not make: it was forged, "
        "altered, or comes from another shop"
    )
