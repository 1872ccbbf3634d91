"""Finding stamp identifiers in a copy of any format, for `orders trace`.

A stamp's identifier is written as plain ASCII in every format (a stored deflate block in an EPUB, a
stored license entry in a ZIP, UTF-8 tag text in audio and video), so the file is searched as it is
first (memory-mapped by the caller, so a 2 GB video is not read into memory). A copy that another
program re-saved may have recompressed the EPUB or ZIP, or rewritten the tags in another encoding, so
then the archive's entries (bounded: a ZIP bomb is not unpacked) and the tags as mutagen reads them
are searched too. Whether an identifier is this shop's is decided by `stamping.verify`, never here.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

_ID_BYTES = re.compile(rb"ppdf:[A-Za-z0-9_]{3,64}:v\d{1,6}:[0-9a-f]{16}")
_ID_TEXT = re.compile(r"ppdf:[A-Za-z0-9_]{3,64}:v\d{1,6}:[0-9a-f]{16}")
#: Most bytes unpacked from a re-saved archive's entries while looking for a stamp.
MAX_UNPACKED = 64 * 1024 * 1024


def in_bytes(data: bytes) -> list[str]:
    """Identifiers written as they are anywhere in `data` (a bytes-like object, an mmap too)."""
    return list(dict.fromkeys(m.group(0).decode("ascii") for m in _ID_BYTES.finditer(data)))


def in_reencoded(path: Path) -> list[str]:
    """Identifiers in a re-saved copy: inside a ZIP/EPUB's entries, or in tags read by mutagen."""
    found = _in_archive(path) if zipfile.is_zipfile(path) else _in_tags(path)
    return list(dict.fromkeys(found))


def _in_archive(path: Path) -> list[str]:
    found: list[str] = []
    budget = MAX_UNPACKED
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if info.file_size > budget or info.flag_bits & 0x1:
                    continue
                budget -= info.file_size
                with archive.open(info) as entry:
                    found += in_bytes(entry.read(info.file_size + 1))
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError, EOFError, NotImplementedError):
        return found
    return found


def _in_tags(path: Path) -> list[str]:
    try:
        import mutagen

        tagged = mutagen.File(path)
    except Exception:  # mutagen raises its own errors for files it cannot read
        return []
    if tagged is None or tagged.tags is None:
        return []
    return _ID_TEXT.findall(str(tagged.tags.pprint() if hasattr(tagged.tags, "pprint") else tagged.tags))
