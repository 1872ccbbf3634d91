"""ZIP archives (software, asset packs, and the container of every EPUB): listed and checked before storing.

Buyers unpack what they buy, so an archive must unpack the same, and safely, everywhere: no entry may
name an absolute path or climb out with `..` (a "zip slip" writes outside the buyer's folder), be a
symbolic link (which can point anywhere on the buyer's disk), or be encrypted (the shop could not check
it, and buyers could not open it). Zip bombs are refused from the listing before anything is unpacked:
the total unpacked size, the unpacked/packed ratio and the number of entries are bounded, and entries
may not overlap (the trick behind the smallest bombs). Then every entry is unpacked once, in chunks
(memory stays flat), which proves its data and CRC; a lying size in the listing fails that proof,
because unpacking stops at the listed size.

The archive must start with its first entry and end with its end record (an archive hiding behind or in
front of another file is a polyglot). Limits are module constants, documented in docs/formats.md.
"""

from __future__ import annotations

import itertools
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from paidpdf.content.formats.facts import MEDIA_TYPES, FileFacts
from paidpdf.errors import InvalidInput

#: At most this many entries (folders count).
MAX_ENTRIES = 20_000
#: At most this many bytes once unpacked, all entries together (8 GiB).
MAX_UNPACKED = 8 * 1024**3
#: The unpacked size may be at most this many times the archive's size...
MAX_RATIO = 100
#: ...unless it is this small anyway (a ZIP of text files can legitimately shrink 50 times).
RATIO_FREE_BYTES = 64 * 1024**2
#: Compression methods accepted: stored and deflate, the two every unzip tool reads (and whose unpacking
#: here is bounded chunk by chunk; bzip2 and LZMA can swell one small read into many megabytes).
METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}

_CHUNK = 1024 * 1024
_LOCAL_HEADER_SIZE = 30


@dataclass(frozen=True)
class Limits:
    """The bounds one kind of archive is checked against (an EPUB gets tighter ones than a ZIP)."""

    max_entries: int = MAX_ENTRIES
    max_unpacked: int = MAX_UNPACKED
    max_ratio: int = MAX_RATIO


@dataclass(frozen=True)
class ArchiveListing:
    """What the listing of a checked archive says."""

    entries: int
    files: int
    unpacked: int
    names: tuple[str, ...]


def check_archive(path: Path, handle: BinaryIO, filename: str, limits: Limits = Limits()) -> ArchiveListing:
    """Prove that `handle` is a ZIP safe to unpack; `InvalidInput` naming `filename` and the reason if not."""
    size = path.stat().st_size
    try:
        with zipfile.ZipFile(handle) as archive:
            infos = archive.infolist()
            _check_listing(infos, size, filename, limits)
            _check_layout(handle, infos, size, filename)
            for info in infos:
                _unpack(archive, info, filename)
    except InvalidInput:
        raise
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"{filename} is not a readable ZIP archive (damaged or cut: {exc})") from None
    except (zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        raise InvalidInput(f"{filename} is not a readable ZIP archive ({exc})") from None
    names = tuple(info.filename for info in infos)
    files = sum(1 for info in infos if not info.is_dir())
    return ArchiveListing(
        entries=len(infos), files=files, unpacked=sum(i.file_size for i in infos), names=names
    )


def _check_listing(infos: list[zipfile.ZipInfo], size: int, filename: str, limits: Limits) -> None:
    if not infos:
        raise InvalidInput(f"{filename} is an empty ZIP archive")
    if len(infos) > limits.max_entries:
        raise InvalidInput(f"{filename} has {len(infos)} entries; at most {limits.max_entries} are accepted")
    seen: set[str] = set()
    unpacked = 0
    for info in infos:
        name = info.filename
        check_entry_name(name, filename)
        if name in seen:
            raise InvalidInput(f"{filename} lists {name!r} twice (unpackers disagree on which one wins)")
        seen.add(name)
        if info.flag_bits & 0x1 or info.flag_bits & 0x40:
            raise InvalidInput(f"{filename} has an encrypted entry ({name!r}): buyers could not open it")
        if info.create_system == 3 and stat.S_ISLNK(info.external_attr >> 16):
            raise InvalidInput(f"{filename} has a symbolic link ({name!r}); links can point anywhere")
        if info.compress_type not in METHODS:
            raise InvalidInput(
                f"{filename}: entry {name!r} uses compression method {info.compress_type}; use deflate"
            )
        unpacked += info.file_size
    if unpacked > limits.max_unpacked:
        raise InvalidInput(f"{filename} would unpack to {unpacked} bytes; at most {limits.max_unpacked}"
                           " (a zip bomb?)")
    if unpacked > RATIO_FREE_BYTES and unpacked > limits.max_ratio * size:
        raise InvalidInput(f"{filename} would unpack to {unpacked // max(size, 1)} times its size; at most"
                           f" {limits.max_ratio} times (a zip bomb?)")


def check_entry_name(name: str, filename: str) -> None:
    """Refuse entry names that unpack outside the buyer's folder or that some systems cannot write."""
    if "\x00" in name or not name:
        raise InvalidInput(f"{filename} has an entry with an invalid name")
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise InvalidInput(f"{filename} has an entry with an absolute path ({name!r}); use relative paths")
    if ".." in parts:
        raise InvalidInput(f"{filename} has an entry that climbs out of its folder with '..' ({name!r})")


def _check_layout(handle: BinaryIO, infos: list[zipfile.ZipInfo], size: int, filename: str) -> None:
    """The first entry starts the file; entries do not overlap; the end record ends the file."""
    ordered = sorted(infos, key=lambda info: info.header_offset)
    if ordered[0].header_offset != 0:
        raise InvalidInput(f"{filename} has data before its first entry (a file hiding in front of it)")
    for info, following in itertools.pairwise(ordered):
        handle.seek(info.header_offset + 26)
        lengths = handle.read(4)
        name_len = int.from_bytes(lengths[:2], "little")
        extra_len = int.from_bytes(lengths[2:], "little")
        end = info.header_offset + _LOCAL_HEADER_SIZE + name_len + extra_len + info.compress_size
        if end > following.header_offset:
            raise InvalidInput(f"{filename} has overlapping entries ({info.filename!r}): a zip bomb?")
    from paidpdf.content.formats.sniff import end_record

    record = end_record(handle)
    if record is None:
        raise InvalidInput(f"{filename} is not a readable ZIP archive (no end record)")
    where, _cd_size, comment = record
    if where + 22 + comment != size:
        raise InvalidInput(f"{filename} has data after the end of the archive (a file hiding behind it)")


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, filename: str) -> None:
    """Read one entry to its end, in chunks: zipfile stops at the listed size and checks the CRC."""
    if info.is_dir():
        return
    try:
        with archive.open(info) as entry:
            while entry.read(_CHUNK):
                pass
    except zipfile.BadZipFile as exc:
        raise InvalidInput(f"{filename}: entry {info.filename!r} is damaged ({exc})") from None
    except (OSError, EOFError, ValueError) as exc:
        raise InvalidInput(f"{filename}: entry {info.filename!r} cannot be unpacked ({exc})") from None


def check_zip(path: Path, filename: str) -> FileFacts:
    """Prove that `path` is a ZIP archive safe to sell; its facts (entries, files, unpacked size)."""
    from paidpdf.content.formats.sniff import expect

    with path.open("rb") as handle:
        expect(path, handle, "zip", filename)
        listing = check_archive(path, handle, filename)
    return FileFacts(
        format="zip",
        media_type=MEDIA_TYPES["zip"],
        size=path.stat().st_size,
        details={"entries": listing.entries, "files": listing.files, "unpacked": listing.unpacked},
    )
