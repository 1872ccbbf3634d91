"""An EPUB's structure, read with XML entity expansion off: container, package document, manifest, spine.

Every XML document in an EPUB is parsed with defusedxml, which refuses entity declarations outright:
an "XML bomb" (billion laughs: entities that expand to gigabytes) and external entities (which make a
parser read local files or URLs into the document) are both refused before anything is expanded. DTD
declarations without entities (XHTML's doctype) are still accepted: EPUB 2 books carry them.
"""

from __future__ import annotations

import posixpath
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from paidpdf.errors import InvalidInput

#: Namespaces of the container and package documents, and of Dublin Core metadata.
CONTAINER_NS = "urn:oasis:names:tc:opendocument:xmlns:container"
OPF_NS = "http://www.idpf.org/2007/opf"
DC_NS = "http://purl.org/dc/elements/1.1/"

#: The one media type a package document is named with in container.xml.
PACKAGE_MEDIA_TYPE = "application/oebps-package+xml"

#: An XML document of an EPUB larger than this is refused (a chapter is text, not a data dump).
MAX_XML_BYTES = 8 * 1024 * 1024

#: Entry names (by extension) and manifest media types that are XML, so parsed with the checks above.
XML_EXTENSIONS = (".xml", ".opf", ".ncx", ".xhtml", ".xht", ".html", ".htm", ".svg", ".smil")
XML_MEDIA_TYPES = frozenset({
    "application/xhtml+xml", "application/x-dtbncx+xml", "image/svg+xml", "application/smil+xml",
    PACKAGE_MEDIA_TYPE,
})


@dataclass(frozen=True)
class ManifestItem:
    """One file of the book as the package document lists it; `path` is its name inside the ZIP."""

    id: str
    path: str
    media_type: str
    properties: frozenset[str]


@dataclass(frozen=True)
class Package:
    """What the package document says: version, title, the manifest and the reading order."""

    path: str
    version: str
    title: str
    language: str | None
    creator: str | None
    manifest: dict[str, ManifestItem]
    spine: tuple[str, ...]
    linear: tuple[str, ...]
    cover_id: str | None


def parse_xml(archive: zipfile.ZipFile, name: str, filename: str) -> Element:
    """Parse one XML entry of the book with entities refused; `InvalidInput` naming it if it fails."""
    from html.entities import name2codepoint

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import DefusedXMLParser, ParseError

    info = archive.getinfo(name)
    if info.file_size > MAX_XML_BYTES:
        raise InvalidInput(f"{filename}: {name} has {info.file_size} bytes (at most {MAX_XML_BYTES})")
    data = archive.read(info)
    parser = DefusedXMLParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    # XHTML's named characters (&nbsp; &eacute;), which its DTD would define: one character each.
    parser.entity.update({entity: chr(code) for entity, code in name2codepoint.items()})
    try:
        parser.feed(data)
        root: Element = parser.close()
        return root
    except DefusedXmlException:
        raise InvalidInput(
            f"{filename}: {name} declares XML entities (an XML bomb or external entity); refused"
        ) from None
    except (ParseError, ValueError) as exc:
        raise InvalidInput(f"{filename}: {name} is not well-formed XML ({exc})") from None


def read_package(archive: zipfile.ZipFile, filename: str) -> Package:
    """Follow META-INF/container.xml to the package document and read it; `InvalidInput` if either fails."""
    names = set(archive.namelist())
    if "META-INF/container.xml" not in names:
        raise InvalidInput(f"{filename} is not an EPUB: META-INF/container.xml is missing")
    container = parse_xml(archive, "META-INF/container.xml", filename)
    path = None
    for rootfile in container.iter(f"{{{CONTAINER_NS}}}rootfile"):
        if rootfile.get("media-type") == PACKAGE_MEDIA_TYPE and rootfile.get("full-path"):
            path = rootfile.get("full-path")
            break
    if not path:
        raise InvalidInput(f"{filename}: META-INF/container.xml names no package document")
    if path not in names:
        raise InvalidInput(f"{filename}: the package document {path} named by container.xml is missing")
    return _read_opf(archive, path, names, filename)


def _read_opf(archive: zipfile.ZipFile, path: str, names: set[str], filename: str) -> Package:
    root = parse_xml(archive, path, filename)
    if root.tag != f"{{{OPF_NS}}}package":
        raise InvalidInput(f"{filename}: {path} is not an EPUB package document")
    version = (root.get("version") or "").strip()
    if not version.startswith(("2.", "3.")):
        raise InvalidInput(f"{filename}: EPUB version {version or '(none)'} is not 2 or 3")
    metadata = root.find(f"{{{OPF_NS}}}metadata")
    title = _text(metadata, "title") if metadata is not None else None
    if not title:
        raise InvalidInput(f"{filename}: the package document has no title (dc:title)")
    manifest = _manifest(root, path, names, filename)
    spine = root.find(f"{{{OPF_NS}}}spine")
    refs = [] if spine is None else list(spine.iter(f"{{{OPF_NS}}}itemref"))
    if not refs:
        raise InvalidInput(f"{filename}: the package document has an empty spine (no reading order)")
    for ref in refs:
        if ref.get("idref") not in manifest:
            raise InvalidInput(f"{filename}: the spine names {ref.get('idref')!r}, which the manifest lacks")
    return Package(
        path=path,
        version=version,
        title=title,
        language=_text(metadata, "language") if metadata is not None else None,
        creator=_text(metadata, "creator") if metadata is not None else None,
        manifest=manifest,
        spine=tuple(str(ref.get("idref")) for ref in refs),
        linear=tuple(str(ref.get("idref")) for ref in refs if ref.get("linear", "yes") != "no"),
        cover_id=_cover_id(root, manifest),
    )


def _text(metadata: Element, name: str) -> str | None:
    found = metadata.find(f"{{{DC_NS}}}{name}")
    text = " ".join("".join(found.itertext()).split()) if found is not None else ""
    return text or None


def _manifest(root: Element, opf_path: str, names: set[str], filename: str) -> dict[str, ManifestItem]:
    base = posixpath.dirname(opf_path)
    items: dict[str, ManifestItem] = {}
    manifest = root.find(f"{{{OPF_NS}}}manifest")
    for item in [] if manifest is None else manifest.iter(f"{{{OPF_NS}}}item"):
        item_id, href = item.get("id"), item.get("href")
        if not item_id or not href:
            continue
        if urlsplit(href).scheme:
            continue  # a remote resource (EPUB 3 allows audio/video by URL): not part of the file
        target = posixpath.normpath(posixpath.join(base, unquote(href.split("#", 1)[0])))
        if target.startswith("../") or target == "..":
            raise InvalidInput(f"{filename}: manifest item {item_id!r} points outside the book ({href!r})")
        if target not in names:
            raise InvalidInput(f"{filename}: manifest item {item_id!r} ({href}) is missing from the book")
        items[item_id] = ManifestItem(
            id=item_id,
            path=target,
            media_type=(item.get("media-type") or "").strip().lower(),
            properties=frozenset((item.get("properties") or "").split()),
        )
    return items


def _cover_id(root: Element, manifest: dict[str, ManifestItem]) -> str | None:
    """EPUB 3 marks the cover with properties="cover-image"; EPUB 2 with <meta name="cover" content=ID>."""
    for item in manifest.values():
        if "cover-image" in item.properties:
            return item.id
    for meta in root.iter(f"{{{OPF_NS}}}meta"):
        if meta.get("name") == "cover" and meta.get("content") in manifest:
            return meta.get("content")
    return None
