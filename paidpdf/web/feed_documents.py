"""A reader's private feeds as documents: the OPDS 1.2 catalog (Atom) and the podcast (RSS 2.0 with
the iTunes namespace), written by feedgen from the same `access.library_items` the library page lists.

Why from the library's own rows: whatever the library shows (bought, granted, free, membership, a
retired item an owner keeps, a removed file they had) the feeds show, and nothing else; a refund takes
the item out of both at once. Every link carries the feed token (apps cannot log in) and points at
`/feeds/<token>/files/<item>/<key>?version=N`, which answers through the library's own download path.

- OPDS: one entry per item that has an ebook or PDF; one acquisition link
  (`http://opds-spec.org/acquisition`) per such file, typed `application/epub+zip` or
  `application/pdf`; the item's cover as `http://opds-spec.org/image` and `.../image/thumbnail`.
  The entry's `updated` is its newest file version's date, so reading apps see a new version.
  feedgen only allows the Atom core `rel` values on links, so the OPDS links are written by a small
  feedgen extension (`_OpdsEntry`) into each entry.
- Podcast: one episode per audio file (its newest version); the guid names the item, file and
  version (`urn:paidpdf:file:<item>:<key>:v<N>:<sha256 prefix>`), so a new version is a new
  episode and an unchanged one is never offered twice; the enclosure has the file's size and type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from paidpdf.clock import parse_iso
from paidpdf.ownership.access import ShelfItem

OPDS_ACQUISITION = "http://opds-spec.org/acquisition"
OPDS_IMAGE = "http://opds-spec.org/image"
OPDS_THUMBNAIL = "http://opds-spec.org/image/thumbnail"
OPDS_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
#: What reading apps are offered (a file of another format is not an ebook).
BOOK_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip"}
_IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


@dataclass(frozen=True)
class FeedContext:
    """Where the links point: the shop's base URL and this reader's feed token."""

    base_url: str
    token: str
    #: Names the reader in the catalog's id without naming the token (a reset keeps the id).
    reader: str
    shop_name: str
    updated: datetime

    def file_url(self, item_id: str, key: str, version: int) -> str:
        return (
            f"{self.base_url}/feeds/{self.token}/files/{quote(item_id, safe='')}/{quote(key, safe='')}"
            f"?version={version}"
        )

    def feed_url(self, name: str) -> str:
        return f"{self.base_url}/feeds/{self.token}/{name}"

    def item_url(self, item_id: str) -> str:
        return f"{self.base_url}/content/{quote(item_id, safe='')}"

    def cover_url(self, name: str) -> str:
        return f"{self.base_url}/covers/{quote(name, safe='')}"


class _OpdsFeed(BaseExtension):
    def extend_ns(self) -> dict[str, str]:
        return {"opds": "http://opds-spec.org/2010/catalog", "dc": "http://purl.org/dc/terms/"}


class _OpdsEntry(BaseEntryExtension):
    """An entry's OPDS links (acquisitions, cover images), which feedgen's own `link` refuses."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        for attributes in self.links:
            element = etree.SubElement(entry, "link")  # as feedgen writes its own: the feed's namespace
            for name, value in attributes.items():
                element.set(name, value)
        return entry


def _moment(text: object, fallback: datetime) -> datetime:
    try:
        return parse_iso(str(text)) if text else fallback
    except ValueError:
        return fallback


def _newest(row: dict[str, Any]) -> dict[str, Any]:
    history: list[dict[str, Any]] = row.get("history") or []
    return history[-1] if history else row


def _downloadable(shelf: ShelfItem) -> bool:
    return shelf.can_download


def opds(rows: list[ShelfItem], where: FeedContext) -> bytes:
    """The reader's ebooks and PDFs as an OPDS 1.2 acquisition feed."""
    fg = FeedGenerator()
    fg.register_extension("opds", _OpdsFeed, _OpdsEntry, atom=True, rss=False)
    fg.id(f"urn:paidpdf:opds:{where.reader}")
    fg.title(f"{where.shop_name}: my library")
    fg.author({"name": where.shop_name})
    fg.link(href=where.feed_url("opds"), rel="self", type=OPDS_TYPE)
    newest = None
    for shelf in rows:
        books = [f for f in shelf.files if str(f.get("format") or "") in BOOK_TYPES]
        if not books or not _downloadable(shelf):
            continue
        item = shelf.item
        fe = fg.add_entry(order="append")
        fe.id(f"urn:paidpdf:item:{item['id']}")
        fe.title(str(item.get("title") or item["id"]))
        fe.author({"name": str(item.get("author") or where.shop_name)})
        fe.link(href=where.item_url(item["id"]), rel="alternate", type="text/html")
        if item.get("description"):
            fe.summary(str(item["description"])[:2000])
        updated = max(_moment(_newest(f).get("created_at"), where.updated) for f in books)
        newest = updated if newest is None or updated > newest else newest
        fe.updated(updated)
        links: list[dict[str, str]] = []
        cover = item.get("cover")
        if cover:
            kind = _IMAGE_TYPES.get(str(cover).rsplit(".", 1)[-1], "image/png")
            links += [{"rel": rel, "href": where.cover_url(str(cover)), "type": kind}
                      for rel in (OPDS_IMAGE, OPDS_THUMBNAIL)]
        for f in books:
            version = _newest(f)
            link = {
                "rel": OPDS_ACQUISITION, "type": BOOK_TYPES[str(f["format"])],
                "href": where.file_url(item["id"], str(f["key"]), int(version["version"])),
                "title": str(f.get("name") or f["key"]),
            }
            if not item.get("stamp") and isinstance(version.get("size"), int):
                link["length"] = str(version["size"])  # a stamped copy's size is not known beforehand
            links.append(link)
        fe.opds.links = links
    fg.updated(newest or where.updated)
    document: bytes = fg.atom_str(pretty=False)
    return document


def podcast(rows: list[ShelfItem], where: FeedContext) -> bytes:
    """The reader's audio files as a podcast: one episode per file's newest version."""
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.title(f"{where.shop_name}: my audio")
    fg.description(f"Audio you own at {where.shop_name}. This feed is private to you.")
    fg.link(href=f"{where.base_url}/library", rel="alternate")
    fg.language("en")
    fg.podcast.itunes_author(where.shop_name)
    fg.podcast.itunes_explicit("no")
    fg.podcast.itunes_block(True)  # private: never listed in a directory
    newest = None
    for shelf in rows:
        if not _downloadable(shelf):
            continue
        item = shelf.item
        for f in shelf.files:
            if not str(f.get("media_type") or "").startswith("audio/"):
                continue
            version = _newest(f)
            number = int(version["version"])
            sha = str(version.get("sha256") or "")[:16]
            published = _moment(version.get("created_at"), where.updated)
            newest = published if newest is None or published > newest else newest
            fe = fg.add_entry(order="append")
            title = str(item.get("title") or item["id"])
            name = str(f.get("name") or f["key"])
            fe.title(title if len(shelf.files) == 1 else f"{title}: {name}")
            fe.guid(f"urn:paidpdf:file:{item['id']}:{f['key']}:v{number}:{sha}", permalink=False)
            fe.description(str(item.get("description") or title)[:2000])
            fe.published(published)
            fe.link(href=where.item_url(item["id"]), rel="alternate")
            size = version.get("size") if isinstance(version.get("size"), int) else f.get("size")
            fe.enclosure(where.file_url(item["id"], str(f["key"]), number), str(int(size or 0)),
                         str(f["media_type"]))
            if f.get("duration_ms"):
                fe.podcast.itunes_duration(int(f["duration_ms"]) // 1000)
            cover = str(item.get("cover") or "")
            if cover.endswith((".jpg", ".png")):
                fe.podcast.itunes_image(where.cover_url(cover))
    fg.lastBuildDate(newest or where.updated)
    document: bytes = fg.rss_str(pretty=False)
    return document
