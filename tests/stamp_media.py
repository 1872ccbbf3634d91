"""Real files of every format that is stamped besides PDFs, and a helper that adds them all to an
item, shared by the stamping tests of tests/web and tests/payments."""

from __future__ import annotations

from pathlib import Path

from paidpdf.content import item_file_changes
from paidpdf.store import DataStore
from tests.formats import files

FORMATS = ("epub", "mp3", "m4a", "ogg", "flac", "wav", "zip", "mp4", "webm")


def make_media(folder: Path) -> dict[str, Path]:
    """One real file of each stamped format (`tests.formats.files`) in `folder`."""
    made = {"epub": files.write_epub(folder / "book.epub", chapters=3),
            "zip": folder / "plugin.zip", "mp4": files.write_video(folder / "clip.mp4", seconds=1.0),
            "webm": files.write_video(folder / "clip.webm", seconds=1.0)}
    made["zip"].write_bytes(files.zip_bytes([("plugin/main.py", b"print('hi')\n" * 50),
                                             ("plugin/README.txt", b"Read me.\n")]))
    for fmt in ("mp3", "m4a", "ogg", "flac", "wav"):
        made[fmt] = files.write_audio(folder / f"talk.{fmt}", seconds=1.0)
    return made


def add_all(store: DataStore, item_id: str, stamp_media: dict[str, Path]) -> dict[str, str]:
    """The item's file key of each format."""
    keys = {}
    for fmt in FORMATS:
        _item, row = item_file_changes.add_file(store, item_id, stamp_media[fmt], sample_seconds=1)
        keys[fmt] = str(row["key"])
    return keys

