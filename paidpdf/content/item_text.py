"""What an item's words may be: ids (URL slugs), titles, descriptions and download names.

Checked here, before anything is stored, so every error names the rule that was broken. Ids are made
from titles by transliterating what has an obvious ASCII spelling and dropping the rest, because an id
ends up in URLs, file names and admins' scripts.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from paidpdf.content import media
from paidpdf.errors import InvalidInput

MAX_ID = 64
MAX_TITLE = 200
MAX_DESCRIPTION = 20_000
MAX_DESCRIPTION_FILE_BYTES = 1024 * 1024

_ID_RE = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Letters that Unicode decomposition does not reduce to ASCII, spelled the way readers expect.
_TRANSLITERATE = str.maketrans(
    {
        "ß": "ss", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d",
        "ł": "l", "Ł": "l", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ı": "i", "&": " and ", "@": " at ",
    }
)


def slugify(title: str) -> str:
    """A URL-safe id from a title: lower-case a-z, 0-9 and hyphens, at most 64 characters.

    Accents are dropped (`Café` → `cafe`), a few letters are spelled out (`ß` → `ss`), anything else
    that is not a Latin letter or digit becomes a separator. May return "" (e.g. an all-Japanese title).
    """
    text = unicodedata.normalize("NFKD", title.translate(_TRANSLITERATE))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > MAX_ID:
        cut = slug[:MAX_ID]
        if slug[MAX_ID] != "-" and "-" in cut:
            cut = cut.rsplit("-", 1)[0]
        slug = cut.strip("-")
    return slug


def is_item_id(text: object) -> bool:
    """True for a well-formed id exactly as stored (the web refuses anything else before a lookup)."""
    return isinstance(text, str) and bool(_ID_RE.match(text))


def check_id(item_id: str) -> str:
    """An admin's `--id`, lower-cased, or `InvalidInput` explaining the rule."""
    key = item_id.strip().lower()
    if not _ID_RE.match(key):
        raise InvalidInput(
            f"invalid id {item_id!r}: use 1-64 lower-case letters, digits and hyphens,"
            " starting and ending with a letter or digit"
        )
    return key


def shown_text(text: str, what: str, limit: int, hint: str = "") -> str:
    """`text` if it fits in `limit` characters and has no control characters (it ends up in HTML, mail
    and terminal tables); otherwise `InvalidInput` naming `what` was wrong."""
    if len(text) > limit:
        raise InvalidInput(f"the {what} is too long ({len(text)} characters; at most {limit})")
    if _CONTROL_RE.search(text):
        raise InvalidInput(f"the {what} contains control characters{hint}")
    return text


def check_line(text: str, what: str, limit: int) -> str:
    """One line of shown text (a title, a shop name): spaces collapsed, not empty, checked."""
    line = " ".join(text.split())
    if not line:
        raise InvalidInput(f"the {what} is empty")
    return shown_text(line, what, limit)


def check_title(title: str) -> str:
    return check_line(title, "title", MAX_TITLE)


def check_description(text: str) -> str:
    body = text.replace("\r\n", "\n").strip()
    return shown_text(body, "description", MAX_DESCRIPTION, " (is it a binary file?)")


def read_description_file(path: Path) -> str:
    """A description from a UTF-8 text file (a BOM is allowed), checked like a typed one."""
    size = media.check_regular_file(path, "description file")
    if size > MAX_DESCRIPTION_FILE_BYTES:
        raise InvalidInput(f"description file {path} is too large ({size} bytes)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(
            f"description file {path} is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        ) from None
    try:
        return check_description(text)
    except InvalidInput as exc:
        raise InvalidInput(f"description file {path}: {exc.message}") from None


MAX_TAGS = 10
_TAG_RE = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?\Z")


def check_tags(tags: list[str]) -> list[str]:
    """Tags as the catalog filters by them: lower-case slugs (`Home Baking` → `home-baking`), at most
    30 characters, at most 10 per item, no repeats; an empty or all-symbol tag is an error."""
    found: list[str] = []
    for raw in tags:
        tag = slugify(raw)[:30].strip("-")
        if not _TAG_RE.match(tag):
            raise InvalidInput(f"tag {raw.strip()[:40]!r} has no letters or digits to keep")
        if tag not in found:
            found.append(tag)
    if len(found) > MAX_TAGS:
        raise InvalidInput(f"an item has at most {MAX_TAGS} tags, not {len(found)}")
    return found


def download_name(filename: str, item_id: str) -> str:
    """The original file name, kept for the download, minus anything that could break a header line."""
    name = " ".join(_CONTROL_RE.sub("", filename.replace("\n", " ").replace("\r", " ")).split())
    if len(name) > MAX_TITLE:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: MAX_TITLE - len(ext) - 1] + dot + ext) if dot and len(ext) <= 10 else name[:MAX_TITLE]
    return name or f"{item_id}.pdf"
