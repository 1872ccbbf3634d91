"""Stamped copies: every page of an owner's download carries "Licensed to <email> · order <id>" and an
authenticated identifier, written as a PDF incremental update after the unchanged original.

Why an incremental update: the original bytes are served exactly as before (streamed from disk, by
the server's I/O loop), followed by a small tail that redefines each page's content list and adds
the stamp. Nothing of the original is rewritten, so bookmarks, links, metadata, text and page count
stay as they were, and the download starts at once: no queue, no "we will email you".

Why a template: building the tail parses the whole PDF (pypdf, a fraction of a second to seconds for a
large file), which is done once per file version (`stamp_templates`). The tail's stamp text is a
fixed-width hex string (`SLOT_BYTES` bytes, padded with spaces), so each owner's tail is the template
with that string replaced: the same length for every owner, so offsets in the tail's cross-reference
table stay right, the download's length is known before the first byte, and a resume (Range) of an
owner's copy joins byte for byte.

The identifier `ppdf:<order or account id>:v<version>:<mac>` is a keyed hash (the shop's own key,
`shop_secret`) of what it names: `orders trace` recognises it and refuses a made-up one.
"""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from paidpdf.content.shop_secret import tag
from paidpdf.errors import InvalidInput
from paidpdf.store import DataStore

#: Bytes of stamp text on each page (about 180 characters at 5 points fits an A5 page's width).
SLOT_BYTES = 180
FONT_NAME = "/PaidpdfStamp"
FORMAT = 1
_ID_RE = re.compile(r"ppdf:([A-Za-z0-9_]{3,64}):v(\d{1,6}):([0-9a-f]{16})")
_SLOT_RE = re.compile(rb"<([0-9a-f]{%d})>\s*Tj" % (SLOT_BYTES * 2))


@dataclass(frozen=True)
class Template:
    """The tail of one file version, with `slot` (hex text) where each owner's stamp goes."""

    tail: bytes
    slot: bytes


def build_template(pdf: Path) -> Template:
    """The incremental update that stamps every page of `pdf` (see the module docstring)."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PyPdfError
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, StreamObject

    original = Path(pdf).read_bytes()
    slot = secrets.token_hex(SLOT_BYTES).encode("ascii")
    try:
        reader = PdfReader(io.BytesIO(original))
        if reader.is_encrypted:
            raise InvalidInput("an encrypted PDF cannot be stamped (its pages cannot be changed)")
        writer = PdfWriter(reader, incremental=True)
        font = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        }))
        save = StreamObject()
        save.set_data(b"q\n")
        save_ref = writer._add_object(save)
        stamps: dict[tuple[float, float], Any] = {}
        for page in writer.pages:
            box = page.cropbox
            where = (float(box.left) + 6, float(box.bottom) + 5)
            if where not in stamps:
                stamp = StreamObject()
                stamp.set_data(
                    b"Q q BT %s 5 Tf 0.45 g 1 0 0 1 %.2f %.2f Tm <%s> Tj ET Q\n"
                    % (FONT_NAME.encode(), where[0], where[1], slot)
                )
                stamps[where] = writer._add_object(stamp)
            contents = page.get("/Contents")
            listed = contents.get_object() if contents is not None else None
            before = list(listed) if isinstance(listed, ArrayObject) else [contents] if contents else []
            page[NameObject("/Contents")] = ArrayObject([save_ref, *before, stamps[where]])
            _add_font(page, font)
        out = io.BytesIO()
        writer.write(out)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, NotImplementedError) as exc:
        raise InvalidInput(f"this PDF cannot be stamped: {exc}") from None
    data = out.getvalue()
    if not data.startswith(original) or slot not in data[len(original):]:
        raise InvalidInput("this PDF cannot be stamped: the update did not keep the original bytes")
    return Template(data[len(original):], slot)


def _add_font(page: Any, font: Any) -> None:
    from pypdf.generic import DictionaryObject, NameObject

    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if resources is None:
        resources = DictionaryObject()
        page[NameObject("/Resources")] = resources
    fonts = resources.get("/Font")
    fonts = fonts.get_object() if fonts is not None else None
    if fonts is None:
        resources[NameObject("/Font")] = DictionaryObject({NameObject(FONT_NAME): font})
    else:
        fonts[NameObject(FONT_NAME)] = font


def identifier(store: DataStore, ref: str, version: int) -> str:
    """`ppdf:<ref>:v<version>:<mac>`, `ref` an order id (bought) or an account id (free, granted)."""
    return f"ppdf:{ref}:v{version}:{tag(store, 'stamp', f'{ref}:{version}')}"


def stamp_text(email: str, order_id: str | None, ident: str) -> bytes:
    """The line on every page, exactly `SLOT_BYTES` bytes of WinAnsi text (the email is shortened
    when the line would not fit; the identifier never is)."""
    tail = f" · order {order_id} · {ident}" if order_id else f" · {ident}"
    room = SLOT_BYTES - len("Licensed to ") - len(tail)
    shown = email if len(email) <= room else email[: max(room - 1, 0)] + "…"
    line = f"Licensed to {shown}{tail}".encode("cp1252", errors="replace")
    return line[:SLOT_BYTES].ljust(SLOT_BYTES, b" ")


def fill(template: Template, text: bytes) -> bytes:
    """One owner's tail: the template with their line in the slot (same length as the template)."""
    if len(text) != SLOT_BYTES:
        raise ValueError("stamp text must be exactly SLOT_BYTES long")
    return template.tail.replace(template.slot, text.hex().encode("ascii"))


@dataclass(frozen=True)
class Found:
    """A verified identifier: who it names (`ref`: order or account id) and the file version."""

    ref: str
    version: int
    identifier: str


def find_identifiers(data: bytes, pdf: Path | None = None) -> list[str]:
    """Identifiers in a file: in the stamp's hex text as written, or, for a copy that was re-saved
    (and maybe compressed), in the text of its first pages."""
    found: list[str] = []
    for match in _SLOT_RE.finditer(data):
        text = bytes.fromhex(match.group(1).decode("ascii")).decode("cp1252", errors="replace")
        found += [m.group(0) for m in _ID_RE.finditer(text)]
    if not found and pdf is not None:
        found = [m.group(0) for m in _ID_RE.finditer(_first_pages_text(pdf))]
    return list(dict.fromkeys(found))


def verify(store: DataStore, ident: str) -> Found | None:
    """The identifier's meaning when its keyed hash is this shop's, else None (forged or foreign)."""
    match = _ID_RE.fullmatch(ident)
    if match is None:
        return None
    ref, version = match.group(1), int(match.group(2))
    if identifier(store, ref, version) != ident:
        return None
    return Found(ref, version, ident)


def _first_pages_text(pdf: Path, pages: int = 3) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(pdf))
        return "\n".join(page.extract_text() or "" for page in reader.pages[:pages])
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return ""
