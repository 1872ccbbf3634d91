"""Changing an item's files: add one, remove one, publish a new version of one.

Like every catalog change, each file is checked whole (`file_intake.check`) and stored before the
catalog unit that names it; the unit then checks again what another process may have changed
meanwhile (a file of the same name added, the last other file removed) and takes the next version
number there, so two parallel changes never share one.

Removing a file never takes it from the people who have it: the entry stays with `removed_at`, and
owners who got the item before that keep downloading it (`item_files.visible_to`), as owners of a
retired item do. Only the last live file cannot be removed: an item without a file sells nothing,
and retiring it is the way to stop selling it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paidpdf.clock import now_iso
from paidpdf.content import catalog, file_intake, format_stamps, item_files, stamp_templates, versions
from paidpdf.content.catalog import CONTENT, Progress
from paidpdf.errors import InvalidInput
from paidpdf.store import CATALOG, DataStore, Doc
from paidpdf.store.files import blobs, object_files


def add_file(
    store: DataStore, item_id: str, path: Path, *, sample_seconds: int = file_intake.DEFAULT_SAMPLE_SECONDS,
    progress: Progress | None = None,
) -> tuple[Doc, dict[str, Any]]:
    """Add a file to an item (the item's next version); returns the item and the new file."""
    seconds = file_intake.check_seconds(sample_seconds)
    current = catalog.get_item(store, item_id)
    checked = file_intake.check(Path(path), current["id"])
    item_files.check_name_free(current, checked.name)
    item_files.check_count(current)
    new = file_intake.store(
        store.root, checked, key=item_files.unique_key(current, checked.name), version=0, when=now_iso(),
        sample_seconds=seconds, progress=progress,
    )
    _prepare_stamp(store, current, new)
    object_files.publish(store, file_intake.stored_names(new))
    with store.unit(CATALOG) as unit:
        latest = catalog._require(unit, current["id"])
        item_files.check_name_free(latest, checked.name)
        item_files.check_count(latest)
        added = item_files.renumbered(
            {**new, "key": item_files.unique_key(latest, checked.name)}, item_files.next_version(latest)
        )
        rows = item_files.files_of(latest, include_removed=True)
        item = catalog._put(unit, latest, {"files": [*rows, added]})
    return item, item_files.find(item, added["key"])


def remove_file(store: DataStore, item_id: str, name: str) -> tuple[Doc, dict[str, Any]]:
    """Stop selling one file of an item (see the module docstring); returns the item and the file."""
    with store.unit(CATALOG) as unit:
        latest = catalog._require(unit, item_id)
        target = item_files.find(latest, name)
        live = item_files.files_of(latest)
        if len(live) == 1:
            raise InvalidInput(
                f"{target['name']} is the only file of {latest['id']}; an item needs one: add another first,"
                f" or retire the item (`paidpdf content retire {latest['id']}`)"
            )
        rows = item_files.files_of(latest, include_removed=True)
        gone = {**target, "removed_at": now_iso(), "primary": False}
        rows = [gone if r["key"] == target["key"] else r for r in rows]
        changes: dict[str, Any] = {}
        if target.get("primary"):  # the next live file becomes the one the item's old link serves
            heir = next(r for r in rows if r["key"] != target["key"] and not r.get("removed_at"))
            rows = [heir, *(r for r in rows if r["key"] != heir["key"])]
            changes.update(item_files.top_level(heir), previews=[], preview_pages=0)
        item = catalog._put(unit, latest, {**changes, "files": rows})
    return item, gone


def update_file(
    store: DataStore, item_id: str, path: Path, *, name: str | None = None, notes: str = "",
    progress: Progress | None = None, sample_seconds: int = file_intake.DEFAULT_SAMPLE_SECONDS,
) -> tuple[Doc, dict[str, Any]]:
    """Publish a new version of one file of an item (`name`; by default the one file of the new
    file's format). Returns the item and the file as it is now."""
    clean_notes = versions.check_notes(notes)
    seconds = file_intake.check_seconds(sample_seconds)
    current = catalog.get_item(store, item_id)
    checked = file_intake.check(Path(path), current["id"])
    target = _target(current, checked, name)
    if blobs.hash_file(checked.path) == target.get("sha256"):
        raise InvalidInput(f"{path} is the current version of {target['name']} already: nothing changed")
    if target["format"] != checked.facts.format:
        raise InvalidInput(
            f"{path} is {checked.facts.format.upper()}, but {target['name']} is {target['format'].upper()}:"
            " a new version keeps its format (add it as another file with `content file-add`)"
        )
    if target.get("primary") and target["format"] == "pdf":  # covers and look-inside pages follow it
        item = catalog.edit_item(store, current["id"], pdf=checked.path, progress=progress, notes=clean_notes)
        return item, item_files.primary(item)
    new = file_intake.store(
        store.root, checked, key=target["key"], version=0, when=now_iso(), notes=clean_notes,
        sample_seconds=seconds, progress=progress,
    )
    _prepare_stamp(store, current, new)
    object_files.publish(store, file_intake.stored_names(new))
    with store.unit(CATALOG) as unit:
        latest = catalog._require(unit, current["id"])
        now_entry = item_files.find(latest, target["key"])
        if now_entry.get("sha256") == new["sha256"]:
            return latest, now_entry  # the same bytes again: no new version
        changed = item_files.replaced(now_entry, new, clean_notes, item_files.next_version(latest))
        rows = [changed if r["key"] == changed["key"] else r
                for r in item_files.files_of(latest, include_removed=True)]
        extra = item_files.top_level(changed) if now_entry.get("primary") else {}
        item = catalog._put(unit, latest, {**extra, "files": rows})
    return item, item_files.find(item, target["key"])


def _target(item: Doc, checked: file_intake.Checked, name: str | None) -> dict[str, Any]:
    if name is not None:
        return item_files.find(item, name)
    live = item_files.files_of(item)
    same = [r for r in live if r.get("format") == checked.facts.format]
    if len(same) == 1:
        return same[0]
    if len(live) == 1:
        return live[0]
    have = ", ".join(str(r["key"]) for r in live)
    raise InvalidInput(f"{item['id']} has several files: name the one to replace with --file NAME ({have})")


def _prepare_stamp(store: DataStore, item: Doc, new: dict[str, Any]) -> None:
    """A stamped item's new file takes the stamp before it is sold (its template is built now)."""
    if item.get("stamp") and new.get("format") == "pdf":
        stamp_templates.build(store, str(new["sha256"]))
    elif item.get("stamp"):
        name = str(new.get("filename") or "")
        format_stamps.prepare(store, str(new.get("format")), str(new["sha256"]), name)


__all__ = ["CONTENT", "add_file", "remove_file", "update_file"]
