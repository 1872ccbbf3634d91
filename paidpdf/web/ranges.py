"""HTTP conditional and partial requests for downloads (RFC 9110 §13–14, RFC 6266), as pure functions.

Written by hand because Bottle's `static_file` lacks If-Range (a resumed download could splice two
versions of a replaced file), quotes no ETag and sends non-ASCII file names raw.

Choices:
- One range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) is served as 206. A request for several ranges is
  answered with the whole file (200): RFC 9110 lets a server ignore Range, every download manager
  copes, and it spares a multipart/byteranges encoder nobody here needs.
- A malformed Range header is ignored (200), as the RFC asks; a well-formed one that starts beyond the
  end of the file is 416 with `Content-Range: bytes */size`.
- ETags are strong and change with the file: `"<sha256[:32]>-v<version>"` (made by the file's source,
  `paidpdf.store.files.file_source`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote

_RANGE = re.compile(r"^\s*bytes\s*=\s*(.+)$", re.IGNORECASE)
_SPEC = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


class Unsatisfiable(Exception):
    """The Range header is valid but names no byte of the file: answer 416."""


#: Digits beyond this name a byte no file has (10**18 bytes is an exabyte); never handed to `int()`,
#: whose digit limit (4,300) would otherwise turn a long header into a 500.
MAX_DIGITS = 18


def _position(digits: str) -> int:
    """A byte position from the header; absurdly long numbers saturate instead of being parsed."""
    return int(digits) if len(digits.lstrip("0")) <= MAX_DIGITS else 10**MAX_DIGITS


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range to serve, None for the whole file, or `Unsatisfiable`."""
    if not header:
        return None
    match = _RANGE.match(header)
    if not match:
        return None
    specs = match.group(1).split(",")
    if len(specs) != 1:
        return None
    spec = _SPEC.match(specs[0])
    if not spec:
        return None
    first, last = spec.group(1), spec.group(2)
    if not first and not last:
        return None
    if not first:  # suffix: the last n bytes
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return ByteRange(max(0, size - suffix), size - 1)
    start = _position(first)
    if last and _position(last) < start:
        return None  # syntactically invalid: ignore the header
    if start >= size:
        raise Unsatisfiable
    end = min(_position(last), size - 1) if last else size - 1
    return ByteRange(start, end)


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def none_match(header: str | None, etag: str) -> bool:
    """If-None-Match: True when the client's copy is current (weak comparison, `*` matches)."""
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    return any(t == "*" or t.removeprefix("W/") == wanted for t in _tags(header))


def if_range_allows(header: str | None, etag: str, last_modified: str) -> bool:
    """If-Range: serve the range only if the client's validator still names this exact file.

    An entity tag must match strongly (a weak tag never does); a date must equal Last-Modified.
    """
    if header is None:
        return True
    value = header.strip()
    if value.startswith(('"', "W/")):
        return not value.startswith("W/") and value == etag
    return value == last_modified


def _ascii_fallback(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in decomposed if 32 <= ord(c) < 127 and c not in '"\\')
    text = text.replace("/", "_").strip() or "download"
    return text


def _filename_char(c: str) -> bool:
    """Printable and harmless in a saved file name: no path separators, no control or format
    characters (bidi overrides such as U+202E would make "fdp.exe" show as "exe.pdf"), no line or
    paragraph separators, no unassigned or private-use code points."""
    category = unicodedata.category(c)
    return c not in "/\\" and not category.startswith("C") and category not in ("Zl", "Zp")


def content_disposition(filename: str, fallback_ext: str = ".pdf") -> str:
    """`attachment` with an ASCII `filename=` for old clients and RFC 5987 `filename*` for the rest."""
    name = "".join(c for c in filename if _filename_char(c)).strip()
    name = name or f"download{fallback_ext}"
    plain = _ascii_fallback(name)
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header
