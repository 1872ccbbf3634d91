"""Stamp templates of non-PDF files on disk, beside the PDF ones: `<data>/stamps/<sha256>.<format>.json`.

Why on disk: a template is built when stamping is turned on (by the CLI), and a web server that finds
it there does not build it again on its first download of that version (for a long EPUB that is
recompressing every chapter, a fraction of a second). It is derived data (a cache): a missing,
damaged or older-format file is built again, a failed write only costs the next process a rebuild.

The file is JSON of the template's dataclasses (bytes as base64), read back only into the template
classes named in `_CLASSES`: nothing in the file can make the shop run code or build another type.
Written like every file here (temp file, fsync, rename), so a kill leaves the whole file or none.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path
from typing import Any

from paidpdf.store.files import blobs
from paidpdf.store.files.atomic import atomic_write

STAMPS_DIR = "stamps"


def _classes() -> dict[str, type]:
    from paidpdf.content.format_stamps import (
        audio_tags,
        epub_stamp,
        mp4_stamp,
        ogg_stamp,
        webm_stamp,
        zip_stamp,
    )

    found = [zip_stamp.ZipTemplate, epub_stamp.EpubTemplate, epub_stamp.StampedEntry,
             audio_tags.BlockTemplate, ogg_stamp.OggTemplate, mp4_stamp.Mp4Template, webm_stamp.WebmTemplate]
    return {cls.__name__: cls for cls in found}


def path_for(root: Path, sha256: str, file_format: str) -> Path:
    blobs.content_path(root, sha256)  # validates the name
    return Path(root) / STAMPS_DIR / f"{sha256}.{file_format}.json"


def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple):
        return {"t": [_encode(v) for v in value]}
    if isinstance(value, frozenset):
        return {"f": sorted(_encode(v) for v in value)}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"d": type(value).__name__, "v": fields}
    if value is None or isinstance(value, (int, str)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__} in a stamp template")


def _decode(value: Any, classes: dict[str, type]) -> Any:
    if isinstance(value, list):
        return [_decode(v, classes) for v in value]
    if not isinstance(value, dict):
        return value
    if "b" in value:
        return base64.b64decode(value["b"], validate=True)
    if "t" in value:
        return tuple(_decode(v, classes) for v in value["t"])
    if "f" in value:
        return frozenset(_decode(v, classes) for v in value["f"])
    return classes[value["d"]](**{k: _decode(v, classes) for k, v in value["v"].items()})


def save(root: Path, sha256: str, file_format: str, template: object, version: int) -> None:
    """Keep `template` on disk (a failed write is ignored: the next process builds it again)."""
    data = json.dumps({"version": version, "template": _encode(template)}, separators=(",", ":"))
    target = path_for(root, sha256, file_format)
    try:
        target.parent.mkdir(mode=0o700, exist_ok=True)
        atomic_write(target, data.encode("utf-8"), mode=0o600)
    except OSError:
        pass


def load(root: Path, sha256: str, file_format: str, version: int) -> Any | None:
    """The template kept on disk, or None (missing, damaged, or written for another `version`)."""
    try:
        raw = json.loads(path_for(root, sha256, file_format).read_bytes())
        if raw.get("version") != version:
            return None
        return _decode(raw["template"], _classes())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
