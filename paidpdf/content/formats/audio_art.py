"""Artwork embedded in audio files (an album or podcast cover), read with mutagen.

Tags differ by container: ID3 APIC frames (MP3, and WAV's id3 chunk), MP4 `covr` atoms (M4A), FLAC
picture blocks, and base64 METADATA_BLOCK_PICTURE comments (Ogg). The front cover is preferred when a
file has several pictures. Only PNG, JPEG and WebP bytes are returned, and only up to the cover size
limit: the shop's cover code checks and re-encodes them like any uploaded cover.
"""

from __future__ import annotations

import base64
from pathlib import Path

from paidpdf.content.formats.sniff import identify_bytes

#: Pictures larger than this are ignored (the shop's own cover limit).
MAX_ART_BYTES = 30 * 1024 * 1024
#: The picture type of a front cover in ID3 and FLAC pictures.
FRONT_COVER = 3


def audio_artwork(path: Path) -> bytes | None:
    """The front cover embedded in an audio file (or its first picture), or None if it has none."""
    import mutagen

    try:
        audio = mutagen.File(str(path))
    except (mutagen.MutagenError, OSError, ValueError, EOFError, KeyError, IndexError):
        return None
    if audio is None:
        return None
    pictures: list[tuple[int, bytes]] = []  # (picture type, data)
    pictures += _flac_pictures(audio)
    tags = getattr(audio, "tags", None)
    if tags is not None:
        pictures += _id3_pictures(tags) + _mp4_pictures(tags) + _vorbis_pictures(tags)
    usable = [(kind, data) for kind, data in pictures
              if 0 < len(data) <= MAX_ART_BYTES and identify_bytes(data[:64]) in ("png", "jpeg", "webp")]
    if not usable:
        return None
    usable.sort(key=lambda picture: picture[0] != FRONT_COVER)
    return usable[0][1]


def _id3_pictures(tags: object) -> list[tuple[int, bytes]]:
    getall = getattr(tags, "getall", None)
    if getall is None:
        return []
    return [(int(frame.type), bytes(frame.data)) for frame in getall("APIC")]


def _mp4_pictures(tags: object) -> list[tuple[int, bytes]]:
    from mutagen.mp4 import MP4Tags

    if not isinstance(tags, MP4Tags):
        return []
    return [(FRONT_COVER, bytes(cover)) for cover in tags.get("covr", [])]


def _flac_pictures(audio: object) -> list[tuple[int, bytes]]:
    return [(int(picture.type), bytes(picture.data)) for picture in getattr(audio, "pictures", None) or []]


def _vorbis_pictures(tags: object) -> list[tuple[int, bytes]]:
    """Vorbis comments (Ogg Vorbis and Opus) carry pictures as base64 FLAC picture blocks."""
    from mutagen.flac import Picture

    from_tags = getattr(tags, "get", None)
    encoded_pictures = from_tags("metadata_block_picture") if from_tags is not None else None
    if not isinstance(encoded_pictures, list):
        return []
    found = []
    for encoded in encoded_pictures:
        try:
            picture = Picture(base64.b64decode(encoded))
        except Exception:  # noqa: S112 - a damaged picture tag is no cover, whatever mutagen raises
            continue
        found.append((int(picture.type), bytes(picture.data)))
    return found
