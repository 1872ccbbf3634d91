"""An item's file versions: every PDF it was ever sold as, with the creator's notes.

Why keep them: a buyer who paid for the first edition may want it still (their notes, their page
numbers), so a new file never takes an old one away. The item document keeps the newest file in its
top-level fields (`sha256`, `size`, `pages`, `filename`, `version`: what a download serves by default)
and the whole list in `versions`, oldest first. Items stored before versions were kept have no list;
`history` makes their one version from the top-level fields, so old data needs no migration.

A leaf module (no store access): `catalog.edit_item` appends in the same unit that bumps `version`.
"""

from __future__ import annotations

from typing import Any

from paidpdf.errors import InvalidInput, NotFound
from paidpdf.store import Doc

MAX_NOTES = 2000

#: The fields of one version, in the order `content versions --json` shows them.
FIELDS = ("version", "sha256", "size", "pages", "filename", "notes", "created_at")


def check_notes(notes: str | None) -> str:
    """Release notes: plain text, at most `MAX_NOTES` characters, no control characters but line breaks."""
    text = (notes or "").strip().replace("\r\n", "\n")
    if len(text) > MAX_NOTES:
        raise InvalidInput(f"notes are too long: {len(text)} characters, at most {MAX_NOTES}")
    if any(ord(c) < 32 and c not in "\n\t" for c in text):
        raise InvalidInput("notes must not contain control characters")
    return text


def history(item: Doc) -> list[dict[str, Any]]:
    """Every version of the item, oldest first (the newest is the item's own file)."""
    kept = item.get("versions")
    if isinstance(kept, list) and kept:
        return [{name: v.get(name) for name in FIELDS} for v in kept]
    return [_entry(item, int(item.get("version") or 1), "", str(item.get("created_at") or ""))]


def appended(
    latest: Doc, new_file: dict[str, Any], version: int, notes: str, when: str
) -> list[dict[str, Any]]:
    """The version list after `new_file` (sha256, size, pages, filename) becomes `version`."""
    return [*history(latest), _entry(new_file, version, notes, when)]


def get(item: Doc, number: int | None) -> dict[str, Any]:
    """One version (None: the newest); `NotFound` names the versions there are."""
    rows = history(item)
    if number is None:
        return rows[-1]
    for row in rows:
        if row["version"] == number:
            return row
    have = ", ".join(str(r["version"]) for r in rows)
    raise NotFound(f"{item['id']} has no version {number} (versions: {have})")


def parse_number(text: str | None) -> int | None:
    """A version number from a query string or option: None when absent, `NotFound` when not a number
    (a URL naming no version is the same answer as one naming a version that does not exist)."""
    if text is None or text == "":
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 6 or int(text) < 1:
        raise NotFound("no such version")
    return int(text)


def _entry(source: dict[str, Any], version: int, notes: str, when: str) -> dict[str, Any]:
    return {
        "version": version,
        "sha256": source.get("sha256"),
        "size": source.get("size"),
        "pages": source.get("pages"),
        "filename": source.get("filename"),
        "notes": notes,
        "created_at": when,
    }
