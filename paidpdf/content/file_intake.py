"""Taking a file into an item: checked by what it is (`formats`), stored, its sample cut once.

Two steps, so that an item with several files is checked whole before any byte is stored: `check`
proves every file is what its name claims (one clear `InvalidInput` naming the file otherwise), then
`store` copies it into the content store, cuts its public sample (`formats.make_sample`: an audio cut,
a video clip, an EPUB's first chapter) and, for a video, keeps a poster frame for the sample player.

Samples are stored content-addressed like any file and served publicly (`web/samples.py`), so a
sample is published only when it is not the file itself: a "sample" that hashes to the full file (a
clip longer than the recording) is dropped, and the full file is never public.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paidpdf.content import formats, item_files, media
from paidpdf.content.formats import FileFacts
from paidpdf.content.item_text import download_name
from paidpdf.errors import InvalidInput
from paidpdf.store.files import blobs

Progress = Callable[[int], None]

DEFAULT_SAMPLE_SECONDS = 30
MAX_SAMPLE_SECONDS = 300
#: What a sample may be served as, by its file's extension: media the browser plays, plain text.
SAMPLE_TYPES = {**{ext: formats.MEDIA_TYPES[kind] for ext, kind in formats.EXTENSIONS.items()
                   if kind in formats.AUDIO_FORMATS | formats.VIDEO_FORMATS},
                "txt": "text/plain; charset=utf-8"}


@dataclass(frozen=True)
class Checked:
    """A file proven to be what it claims, not yet stored."""

    path: Path
    name: str
    facts: FileFacts


def check_seconds(seconds: int) -> int:
    """`--preview-seconds`: 0 (no sample) to `MAX_SAMPLE_SECONDS`."""
    if not 0 <= seconds <= MAX_SAMPLE_SECONDS:
        raise InvalidInput(f"preview seconds must be 0 to {MAX_SAMPLE_SECONDS}, not {seconds}")
    return seconds


def check(path: Path, item_id: str) -> Checked:
    """Check one file (see the module docstring); its download name is its own file name."""
    path = Path(path)
    media.check_regular_file(path, "file")
    facts = formats.check_file(path, path.name)
    return Checked(path, download_name(path.name, item_id), facts)


def check_all(paths: list[Path], item_id: str) -> list[Checked]:
    """Check the files of a new item, all before any is stored; two with the same download name would
    be indistinguishable to a buyer."""
    if len(paths) > item_files.MAX_FILES:
        raise InvalidInput(f"an item holds at most {item_files.MAX_FILES} files")
    files = [check(Path(p), item_id) for p in paths]
    seen: set[str] = set()
    for one in files:
        if one.name.lower() in seen:
            raise InvalidInput(f"two files are named {one.name!r}; an item's files need different names")
        seen.add(one.name.lower())
    return files


def store_all(
    root: Path, checked: list[Checked], item_id: str, *, when: str, seconds: int, progress: Progress | None
) -> list[dict[str, Any]]:
    """Store a new item's checked files, numbered 1, 2, ... (the item's first versions)."""
    entries: list[dict[str, Any]] = []
    for number, one in enumerate(checked, start=1):
        partial = {"id": item_id, "files": entries} if entries else None
        entries.append(store(
            root, one, key=item_files.unique_key(partial, one.name), version=number, when=when,
            sample_seconds=seconds, progress=progress if number == 1 else None,
        ))
    return entries


def store(
    root: Path, checked: Checked, *, key: str, version: int, when: str, notes: str = "",
    sample_seconds: int = DEFAULT_SAMPLE_SECONDS, progress: Progress | None = None,
) -> dict[str, Any]:
    """Store a checked file, its sample and poster; returns its `item_files` entry."""
    sha256, _size = blobs.store_file(root, checked.path, progress)
    sample = _sample(root, checked, sha256, sample_seconds)
    poster = _poster(root, checked) if checked.facts.format in formats.VIDEO_FORMATS else None
    return item_files.entry(
        checked.facts, key=key, name=checked.name, sha256=sha256, version=version, when=when, notes=notes,
        sample=sample, poster=poster,
    )


def stored_names(entry: dict[str, Any]) -> list[str]:
    """The stored files an entry names (`content/<sha>` for the file and its sample, the poster)."""
    names = [f"{blobs.CONTENT_DIR}/{entry['sha256']}"]
    sample = entry.get("sample")
    if isinstance(sample, dict) and sample.get("sha256"):
        names.append(f"{blobs.CONTENT_DIR}/{sample['sha256']}")
    if entry.get("poster"):
        names.append(f"{blobs.COVERS_DIR}/{entry['poster']}")
    return names


def cover_from(root: Path, checked: Checked, title: str) -> str:
    """The item's cover when the admin gives none: the file's own picture (`formats.extract_cover`,
    re-encoded like an admin's cover), else one generated from the title."""
    picture = _own_picture(checked)
    if picture is not None:
        return blobs.store_cover(root, picture.data, picture.ext)
    from paidpdf.content import generated_covers

    return blobs.store_cover(root, generated_covers.render(title), "png")


def _own_picture(checked: Checked) -> media.CoverImage | None:
    try:
        data = formats.extract_cover(checked.path, checked.facts)
    except InvalidInput:
        return None
    if not data:
        return None
    with tempfile.TemporaryDirectory(prefix="paidpdf-cover-") as folder:
        path = Path(folder) / "cover"
        path.write_bytes(data)
        try:
            return media.check_cover(path)  # the same checks and re-encoding as an admin's cover
        except InvalidInput:
            return None


def _poster(root: Path, checked: Checked) -> str | None:
    picture = _own_picture(checked)
    return blobs.store_cover(root, picture.data, picture.ext) if picture is not None else None


def _sample(root: Path, checked: Checked, sha256: str, seconds: int) -> dict[str, Any] | None:
    if seconds <= 0 or checked.facts.format == "pdf":  # a PDF's look-inside is its page images
        return None
    with tempfile.TemporaryDirectory(prefix="paidpdf-sample-") as folder:
        made = formats.make_sample(checked.path, checked.facts, Path(folder), seconds=seconds)
        if made is None or not Path(made).is_file():
            return None
        media_type = SAMPLE_TYPES.get(Path(made).suffix.lower().lstrip("."))
        if media_type is None:  # anything else could be a page that runs in the shop's origin
            return None
        sample_sha, size = blobs.store_file(root, Path(made))
    if sample_sha == sha256:  # the sample is the whole file: never public
        return None
    return {"sha256": sample_sha, "size": size, "media_type": media_type}
