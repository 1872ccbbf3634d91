"""An item's files: one or more, each with its format, facts, versions and public sample.

Why the shape: every part of the shop that was written for one PDF per item (downloads, stamping,
the download limit, backups, other engineers' branches) reads the item's top-level `sha256`, `size`,
`pages`, `filename`, `version` and `versions`. Those stay, and always describe the *primary* file
(`files[0]`); the `files` list holds every file, the primary first, each with the same fields plus
its `key` (its URL name, unique in the item), `format`, `media_type` and the format's facts.

- Items written before files existed have no `files` list: `files_of` makes their one PDF from the
  top-level fields, so old data opens unchanged; `normalized` writes the list on the item's first
  write (`catalog._put`), which is the whole upgrade, the same on both backends.
- Version numbers are counted per item, across its files (`next_version`): adding or updating any
  file takes the next number. So (item, version) names exactly one file version, and everything
  keyed by it (the download limit's budget, the download log, update notices) stays correct without
  knowing about files; `/content/<id>/download?version=N` of an old link still finds its file.
- A removed file (`content file-remove`) stays in the list with `removed_at`: owners who had the
  item before it was removed keep downloading it, like owners of a retired item; later buyers do not
  get it (`visible_to`).

A leaf module (no store access): `catalog` and `item_file_changes` write what these functions return.
"""

from __future__ import annotations

import re
from typing import Any

from paidpdf.content import versions
from paidpdf.errors import InvalidInput, NotFound
from paidpdf.store import Doc

#: The fields of one file, in the order `content files --json` shows them.
FIELDS = (
    "key", "name", "format", "media_type", "size", "pages", "chapters", "duration_ms", "width", "height",
    "codecs", "sha256", "version", "primary", "sample", "poster", "added_at", "removed_at",
)
#: Fields of the primary file mirrored at the item's top level (the data contract of one-file items).
MIRRORED = ("sha256", "size", "pages", "filename", "version", "versions")
MAX_FILES = 20
_KEY_RE = re.compile(r"[^a-z0-9._-]+")
PDF_TYPE = "application/pdf"


def files_of(item: Doc, *, include_removed: bool = False) -> list[dict[str, Any]]:
    """The item's files, primary first (removed ones only with `include_removed`)."""
    stored = item.get("files")
    rows = [dict(f) for f in stored] if isinstance(stored, list) and stored else [_from_top_level(item)]
    rows[0] = {**rows[0], **_primary_fields(item), "primary": True}
    for row in rows[1:]:
        row["primary"] = False
    return rows if include_removed else [r for r in rows if not r.get("removed_at")]


def primary(item: Doc) -> dict[str, Any]:
    return files_of(item)[0]


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """One file as `--json` shows it: exactly `FIELDS`, sample and poster reduced to what they are."""
    shown = {name: entry.get(name) for name in FIELDS}
    shown["codecs"] = list(entry.get("codecs") or [])
    sample = entry.get("sample")
    shown["sample"] = dict(sample) if isinstance(sample, dict) else None
    shown["primary"] = bool(entry.get("primary"))
    return shown


def find(item: Doc, name: str, *, include_removed: bool = False) -> dict[str, Any]:
    """The file named `name` (its key or its file name, case-insensitively); `NotFound` names them."""
    wanted = name.strip().lower()
    rows = files_of(item, include_removed=include_removed)
    for row in rows:
        if wanted and wanted in (str(row.get("key")).lower(), str(row.get("name") or "").lower()):
            return row
    have = ", ".join(str(r.get("key")) for r in rows)
    raise NotFound(f"{item['id']} has no file {name!r} (files: {have})")


def normalized(doc: Doc) -> Doc:
    """`doc` with its `files` list written out and the primary synced from the top level (see the
    module docstring): what every write of an item stores."""
    return {**doc, "files": [_stored(r) for r in files_of(doc, include_removed=True)]}


def next_version(item: Doc) -> int:
    """The next version number of the item, counted across all of its files, removed ones included."""
    numbers = [int(item.get("version") or 0)]
    for row in files_of(item, include_removed=True):
        numbers += [int(v.get("version") or 0) for v in file_history(row)]
    return max(numbers) + 1


def file_history(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """Every version of one file, oldest first (same fields as `versions.FIELDS`)."""
    return versions.history({**entry, "filename": entry.get("name"), "id": entry.get("key")})


def version_of(item: Doc, number: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The file and its version numbered `number` (numbers are unique in the item); `NotFound` if none."""
    for row in files_of(item, include_removed=True):
        for version in file_history(row):
            if version["version"] == number:
                return row, version
    raise NotFound(f"{item['id']} has no version {number}")


def visible_to(entry: dict[str, Any], acquired_at: str | None) -> bool:
    """Whether an owner who got the item at `acquired_at` has this file: every live file, and a
    removed one if they had the item before it was removed (timestamps have one-second steps: the
    same second counts as before, erring for the buyer)."""
    removed = entry.get("removed_at")
    return not removed or (acquired_at is not None and str(acquired_at) <= str(removed))


def unique_key(item: Doc | None, filename: str) -> str:
    """The URL name of a new file: its file name in lower case, `[a-z0-9._-]` only, made unique."""
    base = _KEY_RE.sub("-", filename.lower()).strip("-.")[:60] or "file"
    taken = {str(r.get("key")) for r in files_of(item, include_removed=True)} if item else set()
    key, number = base, 2
    while key in taken:
        key, number = f"{base}-{number}", number + 1
    return key


def check_name_free(item: Doc, name: str) -> None:
    """A live file of the item already has this file name: refused (downloads are told apart by name)."""
    for row in files_of(item):
        if str(row.get("name") or "").lower() == name.lower():
            raise InvalidInput(f"{item['id']} already has a file named {name!r}; rename the new one")


def check_count(item: Doc) -> None:
    if len(files_of(item)) >= MAX_FILES:
        raise InvalidInput(f"an item holds at most {MAX_FILES} files")


def entry(
    facts: Any, *, key: str, name: str, sha256: str, version: int, when: str, notes: str = "",
    sample: dict[str, Any] | None = None, poster: str | None = None,
) -> dict[str, Any]:
    """A new file from its checked facts (`formats.FileFacts`) and where it is stored."""
    row: dict[str, Any] = {
        "key": key, "name": name, "format": facts.format, "media_type": facts.media_type,
        "size": facts.size, "pages": facts.pages, "chapters": facts.chapters,
        "duration_ms": facts.duration_ms, "width": facts.width, "height": facts.height,
        "codecs": list(facts.codecs), "sha256": sha256, "version": version, "sample": sample,
        "poster": poster, "added_at": when, "removed_at": None,
    }
    row["versions"] = [_version_row(row, notes, when)]
    return row


def replaced(entry_now: dict[str, Any], new: dict[str, Any], notes: str, number: int) -> dict[str, Any]:
    """`entry_now` after `new` (a fresh `entry` for the new file) became its version `number`: the
    key and the date it was added stay, the history grows."""
    history = file_history(entry_now)
    kept = {**new, "key": entry_now["key"], "added_at": entry_now.get("added_at"), "version": number}
    kept["versions"] = [*history, _version_row(kept, notes, str(new.get("added_at") or ""))]
    return kept


def renumbered(new: dict[str, Any], number: int) -> dict[str, Any]:
    """A new file's entry with the version number it gets under the catalog's lock."""
    row = {**new, "version": number}
    row["versions"] = [{**v, "version": number} for v in new.get("versions") or []]
    return row


def pdf_shas(item: Doc) -> list[str]:
    """Every PDF file version of the item (what the PDF stamper needs a template of)."""
    return list(dict.fromkeys(
        str(v["sha256"]) for row in files_of(item, include_removed=True) if row.get("format") == "pdf"
        for v in file_history(row) if v.get("sha256")
    ))


def stampable_versions(item: Doc) -> list[tuple[str, str, str]]:
    """(format, sha256, file name) of every non-PDF file version of the item (each format's stamp
    template is built from these when stamping is turned on)."""
    return list(dict.fromkeys(
        (str(row.get("format")), str(v["sha256"]), str(v.get("filename") or row.get("key") or ""))
        for row in files_of(item, include_removed=True) if row.get("format") not in (None, "pdf")
        for v in file_history(row) if v.get("sha256")
    ))


def stored_shas(item: Doc) -> list[str]:
    """Every content file the item names: each file's versions and each sample (backups, checks)."""
    shas: list[str] = []
    for row in files_of(item, include_removed=True):
        shas += [str(v["sha256"]) for v in file_history(row) if v.get("sha256")]
        sample = row.get("sample")
        if isinstance(sample, dict) and sample.get("sha256"):
            shas.append(str(sample["sha256"]))
    return list(dict.fromkeys(shas))


def top_level(entry_now: dict[str, Any]) -> dict[str, Any]:
    """The item's top-level fields when `entry_now` is its primary file."""
    return {
        "sha256": entry_now.get("sha256"), "size": entry_now.get("size"), "pages": entry_now.get("pages"),
        "filename": entry_now.get("name"), "version": entry_now.get("version"),
        "versions": file_history(entry_now),
    }


def _version_row(row: dict[str, Any], notes: str, when: str) -> dict[str, Any]:
    return {
        "version": row["version"], "sha256": row["sha256"], "size": row["size"], "pages": row.get("pages"),
        "filename": row["name"], "notes": notes, "created_at": when,
    }


def _primary_fields(item: Doc) -> dict[str, Any]:
    return {
        "sha256": item.get("sha256"), "size": item.get("size"), "pages": item.get("pages"),
        "name": item.get("filename"), "version": item.get("version"), "versions": versions.history(item),
    }


def _from_top_level(item: Doc) -> dict[str, Any]:
    """The one PDF of an item written before files existed."""
    return {
        "key": unique_key(None, str(item.get("filename") or f"{item.get('id')}.pdf")),
        "format": "pdf", "media_type": PDF_TYPE, "chapters": None, "duration_ms": None, "width": None,
        "height": None, "codecs": [], "sample": None, "poster": None,
        "added_at": item.get("created_at"), "removed_at": None,
    }


def _stored(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "primary"}
