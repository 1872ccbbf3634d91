"""The one place that chooses how an owner's copy of a file is stamped, by the file's format.

`stamper_for(format)` is the dispatch point: a format with a stamper gets each owner's copy wrapped by
it when the item is stamped (`content edit ID --stamp`); a format without one is served plain. PDFs
get an incremental update naming the owner on every page (`content.stamping`); EPUB, audio, video
and ZIP files get their format's stamp (`content.format_stamps`: chapter lines and package metadata,
tags, container metadata, a license entry). Each `Stamper` wraps the plain source in a `FileSource`
whose bytes depend only on the owner and the version (so Range and ETag keep working).
"""

from __future__ import annotations

from collections.abc import Callable

from paidpdf.content import format_stamps, stamp_templates, stamping
from paidpdf.content.stamped_source import StampedSource
from paidpdf.ownership import library
from paidpdf.store import SALES, DataStore, Doc
from paidpdf.store.files.file_source import FileSource

#: (store, owner, item, plain source of one file version, its sha256, its version) -> the owner's copy.
Stamper = Callable[[DataStore, Doc, Doc, FileSource, str, int], FileSource]


def stamper_for(file_format: str) -> Stamper | None:
    """The stamper of `file_format`, or None: that format is served plain, even on a stamped item."""
    return _STAMPERS.get(file_format)


def stamp_pdf(
    store: DataStore, user: Doc, item: Doc, source: FileSource, sha256: str, version: int
) -> FileSource:
    """A PDF with the owner's tail after the unchanged original (`content.stamping`)."""
    return StampedSource(source, pdf_tail(store, user, item, sha256, version))


def pdf_tail(store: DataStore, user: Doc, item: Doc, sha256: str, version: int) -> bytes:
    """This owner's tail for a stamped PDF."""
    who = owner_stamp(store, user, item, version)
    text = stamping.stamp_text(who.email, who.order_id, who.ident)
    return stamping.fill(stamp_templates.template(store, sha256), text)


def owner_stamp(store: DataStore, user: Doc, item: Doc, version: int) -> format_stamps.Stamp:
    """Who a copy names: the order that bought it, or (free, granted) the owner's account."""
    entry = library.entry(store.view(SALES), user["id"], item["id"]) or {}
    order_id = entry.get("order_id") if entry.get("source") == "bought" else None
    ref = str(order_id or user["id"])
    return format_stamps.Stamp(str(user["email"]), order_id, ref, stamping.identifier(store, ref, version))


def _format_stamper(file_format: str) -> Stamper:
    def stamp(
        store: DataStore, user: Doc, item: Doc, source: FileSource, sha256: str, version: int
    ) -> FileSource:
        who = owner_stamp(store, user, item, version)
        return format_stamps.owner_copy(store, file_format, source, sha256, who)

    stamp.__doc__ = f"A {file_format} file with its owner's stamp (`content.format_stamps`)."
    return stamp


_STAMPERS: dict[str, Stamper] = {
    "pdf": stamp_pdf, **{fmt: _format_stamper(fmt) for fmt in sorted(format_stamps.STAMPED_FORMATS)},
}
