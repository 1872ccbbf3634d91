"""Stamping every format that is not a PDF: each owner's copy names them in the way its format allows
(an EPUB's chapters and package metadata, audio tags, a video's container metadata, a license file
added to a ZIP), while the download stays a stream of the stored file.

Per file version, a template is built once (`template`): where the stored file is cut and the few
bytes that change, with a fixed-width slot for the owner's line. An owner's copy is then
`segments.SegmentedSource`: ranges of the stored file as they are and small parts filled in for them,
so its length is known up front, the same owner always gets the same bytes (ETag, Range resumes), and
the first byte does not wait for anything but the template. Templates read only what they change
(a ZIP's directory, a tag block, a `moov` box, an EPUB's chapter documents) through the store's
`FileSource`, so any server can build one; they are kept in memory and on disk (`template_files`).
`prepare` builds one when stamping is turned on, so a file that cannot be stamped is refused then.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import BinaryIO, Protocol

from paidpdf.content.format_stamps import template_files
from paidpdf.content.format_stamps.segments import Segment, SegmentedSource, SourceReader
from paidpdf.content.format_stamps.stamp_line import Stamp
from paidpdf.store import DataStore
from paidpdf.store.files import blobs
from paidpdf.store.files.file_source import FileSource

__all__ = ["STAMPED_FORMATS", "Stamp", "owner_copy", "prepare", "template"]

#: Changes whenever a format's stamp changes, so owners' ETags change with it.
TEMPLATE_FORMAT = 1
#: Templates kept in memory per process.
MEMORY_SLOTS = 64


class Template(Protocol):
    def segments(self, stamp: Stamp) -> list[Segment]: ...


def _builders() -> dict[str, Callable[[BinaryIO, int, str], Template]]:
    from paidpdf.content.format_stamps import (
        audio_tags,
        epub_stamp,
        mp4_stamp,
        ogg_stamp,
        webm_stamp,
        zip_stamp,
    )

    return {
        "epub": epub_stamp.build, "zip": zip_stamp.build, "mp3": audio_tags.build_mp3,
        "flac": audio_tags.build_flac, "wav": audio_tags.build_wav, "ogg": ogg_stamp.build,
        "m4a": mp4_stamp.build, "mp4": mp4_stamp.build, "webm": webm_stamp.build,
    }


STAMPED_FORMATS = frozenset({"epub", "zip", "mp3", "flac", "wav", "ogg", "m4a", "mp4", "webm"})

_lock = threading.Lock()
_building: dict[tuple[str, str], threading.Lock] = {}
_memory: OrderedDict[tuple[str, str, str], Template] = OrderedDict()


def template(store: DataStore, file_format: str, sha256: str, name: str = "") -> Template:
    """The template of the stored file `sha256` as `file_format`: from memory, or built now (once,
    whatever the number of threads asking); `InvalidInput` when the file cannot be stamped."""
    key = (str(store.root), file_format, sha256)
    with _lock:
        found = _memory.get(key)
        if found is not None:
            _memory.move_to_end(key)
            return found
        building = _building.setdefault((file_format, sha256), threading.Lock())
    with building:
        with _lock:
            found = _memory.get(key)
        if found is None:
            found = template_files.load(store.root, sha256, file_format, TEMPLATE_FORMAT)
        if found is None:
            found = _build(store, file_format, sha256, name or f"{sha256[:12]}.{file_format}")
            template_files.save(store.root, sha256, file_format, found, TEMPLATE_FORMAT)
        with _lock:
            _memory[key] = found
            while len(_memory) > MEMORY_SLOTS:
                _memory.popitem(last=False)
        return found


def _build(store: DataStore, file_format: str, sha256: str, name: str) -> Template:
    """From the data folder's copy when it has one (a file just added, before it is published to an
    object store), else through the store's `FileSource` (only the parts the format changes)."""
    local = blobs.content_path(store.root, sha256)
    build = _builders()[file_format]
    if local.is_file():
        with local.open("rb") as handle:
            return build(handle, local.stat().st_size, name)
    reader = SourceReader(store.files.content(sha256))
    return build(reader, reader.seek(0, 2), name)  # type: ignore[arg-type]


def prepare(store: DataStore, file_format: str, sha256: str, name: str = "") -> None:
    """Build the template now (stamping is being turned on, or a stamped item got a new file), so a
    file that cannot be stamped is refused then (`InvalidInput` naming it), not at a download."""
    if file_format in STAMPED_FORMATS:
        template(store, file_format, sha256, name)


def owner_copy(
    store: DataStore, file_format: str, source: FileSource, sha256: str, stamp: Stamp
) -> FileSource:
    """`source` (the stored file `sha256`) as `stamp`'s owner gets it. Its ETag is the file version's
    and the stamp's (the template is a function of the version), so no large part is hashed per request."""
    owner = f"{TEMPLATE_FORMAT}\n{file_format}\n{stamp!r}".encode()
    return SegmentedSource(source, template(store, file_format, sha256).segments(stamp), owner)
