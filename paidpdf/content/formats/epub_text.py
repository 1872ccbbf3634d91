"""An EPUB's first chapter as plain text: the "look inside" of a book, as a PDF's first pages are.

The first chapter is the first document of the reading order (spine, linear items) with real text:
cover and title pages, which carry an image or a few words, are passed over. Markup is dropped and
block elements (paragraphs, headings, list items) become lines, so the text reads as the chapter does.
Only text leaves the book: no markup, links, scripts or styles, so the preview is safe to show anywhere.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.etree.ElementTree import Element

#: A document with fewer characters of text than this is a cover or title page, not the first chapter.
MIN_CHAPTER_CHARS = 400
#: The preview text is cut after this many characters (about ten printed pages).
MAX_PREVIEW_CHARS = 20_000

_XHTML = "{http://www.w3.org/1999/xhtml}"
_BLOCKS = frozenset({
    "p", "div", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre",
    "tr", "dt", "dd", "figcaption", "header", "footer", "aside", "br", "hr",
})
_SKIP = frozenset({"script", "style", "head", "title"})
_CHAPTER_TYPES = frozenset({"application/xhtml+xml", "text/html"})


def first_chapter_text(path: Path, max_chars: int = MAX_PREVIEW_CHARS) -> str:
    """The text of the book's first chapter (or of its first document with any text), cut to `max_chars`
    and to half of the whole book's text: a book of one chapter must not give itself away as its sample."""
    from paidpdf.content.formats.epub import read_structure
    from paidpdf.content.formats.epub_package import parse_xml

    archive, package = read_structure(path)
    chosen = fallback = ""
    total = 0
    with archive:
        for item_id in package.linear or package.spine:
            item = package.manifest[item_id]
            if item.media_type not in _CHAPTER_TYPES:
                continue
            text = document_text(parse_xml(archive, item.path, path.name))
            total += len(text)
            if not chosen and len(text) >= MIN_CHAPTER_CHARS:
                chosen = text
            fallback = fallback or text
    return _cut(chosen or fallback, min(max_chars, total // 2))


def document_text(root: Element) -> str:
    """The readable text of one XHTML document: blocks as lines, runs of spaces as one space."""
    body = root.find(f"{_XHTML}body")
    if body is None:
        body = root.find("body")
    parts: list[str] = []
    # Depth-first without recursion, so a hostile document nested 100,000 levels deep is harmless.
    stack: list[Element | str] = [body if body is not None else root]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
            continue
        name = _local(node.tag)
        if name in _SKIP:
            if node.tail:
                parts.append(node.tail)
            continue
        block = name in _BLOCKS
        stack.append(("\n" if block else "") + (node.tail or ""))
        stack.extend(reversed(list(node)))
        parts.append(("\n" if block else "") + (node.text or ""))
    return _tidy("".join(parts))


def _local(tag: object) -> str:
    text = tag if isinstance(tag, str) else ""
    return text.rsplit("}", 1)[-1].lower()


def _tidy(text: str) -> str:
    lines = (re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[:max_chars]
    space = cut.rfind(" ")
    return (cut[:space] if space > max_chars * 0.8 else cut) + " …"
