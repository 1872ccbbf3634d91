"""One way to read a stored file, whichever store holds it: the `FileSource` interface.

Why: a download, a cover, a look-inside page and a stamped copy are all "these bytes, with these
validators, maybe a range of them", and only where the bytes come from differs (the data folder, an
S3 bucket, a stored file followed by an owner's stamp). Each store hands out sources
(`DataStore.files`, built by `Settings.open_store`: `disk_source.DiskFiles` or
`object_source.ObjectSources`), the web adapter answers any source the same way
(`web.source_answers.send_source`), and stamping wraps a source in another source
(`content.stamped_source`). A new store or a new kind of file is one new class here, not a new
branch in every caller.

Names are validated in one place (`FileSources.content`/`cover` through `blobs`), before they become a
path or an object key, so no request can reach another file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from paidpdf.errors import NotFound
from paidpdf.store.files import blobs


@runtime_checkable
class LocalFile(Protocol):
    """An open, seekable file: the web server may send it from its I/O loop (`wsgi.file_wrapper`)."""

    @property
    def closed(self) -> bool: ...

    def read(self, size: int = -1, /) -> bytes: ...
    def seek(self, offset: int, whence: int = 0, /) -> int: ...
    def tell(self) -> int: ...
    def close(self) -> None: ...


class BlockStream(Protocol):
    """A range's bytes as blocks, to be iterated by a worker thread (a remote store must never be read
    from a server's I/O loop); `close` gives back what it holds, read to the end or not."""

    def __iter__(self) -> Iterator[bytes]: ...
    def __next__(self) -> bytes: ...
    def close(self) -> None: ...


#: What `FileSource.open_range` hands back: a `LocalFile` positioned at the range's start (the
#: answer's Content-Length bounds what is sent of it), or a `BlockStream` of exactly the range.
Opened = LocalFile | BlockStream


class FileSource(Protocol):
    """One stored file as an HTTP answer needs it. Cheap to make: nothing is read or asked before a
    method is called, and `size`/`last_modified` ask the store at most once per source."""

    #: A strong validator that changes whenever the bytes could (`"<sha256[:32]>…"`).
    etag: str
    #: The media type the file is answered with (`application/pdf`, `image/png`, ...).
    content_type: str

    def size(self) -> int:
        """The length in bytes; `NotFound` when the store does not have the file."""

    def last_modified(self) -> str:
        """The HTTP date for `Last-Modified` (and `If-Range` by date)."""

    def open_range(self, start: int, length: int) -> Opened:
        """`length` bytes from `start` (see `Opened`); `NotFound` when the file is missing. Raised
        before anything is returned, so an answer can still become a clean 404."""

    def presigned_url(self, *, disposition: str) -> str | None:
        """A short-lived address the reader can fetch the whole file from directly (with this
        Content-Disposition), or None when this source cannot hand one out."""


class FileSources(Protocol):
    """A store's files by kind: the only way the web adapter reaches stored bytes."""

    def content(
        self, sha256: str, *, version: int | None = None, size: int | None = None,
        content_type: str | None = None,
    ) -> FileSource:
        """The content file `<sha256>`; `version` goes into its validator (`etag`), `size` is the
        catalog's length of it (content-addressed, so always right), which spares a remote store a
        round trip; `content_type` is the file's media type (default: a PDF's)."""

    def cover(self, name: str) -> FileSource:
        """A cover, look-inside page or logo `<sha256>.png|jpg|webp`."""

    def describe(self) -> str:
        """Where the files are, for people (`/healthz`, `db info`)."""

    def check(self) -> None:
        """`StorageError`/`StorageUnavailable` unless the files can be read now (`/healthz`)."""


PDF = "application/pdf"
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


def content_etag(sha256: str, version: int | None) -> str:
    """`"<sha256[:32]>-v<version>"` (a version's file), or `"<sha256[:32]>"`."""
    return f'"{sha256[:32]}-v{int(version)}"' if version is not None else f'"{sha256[:32]}"'


def content_rel(sha256: str) -> str:
    """`content/<sha256>` for a valid hash, else `NotFound`: the one check before a name is used."""
    if not blobs.is_content_name(sha256):
        raise NotFound("no such content file")
    return f"{blobs.CONTENT_DIR}/{sha256}"


def cover_rel(name: str) -> str:
    """`covers/<name>` for a valid cover name, else `NotFound`."""
    if not blobs.is_cover_name(name):
        raise NotFound("no such cover")
    return f"{blobs.COVERS_DIR}/{name}"


def cover_etag(name: str) -> str:
    return f'"{name.split(".")[0][:32]}"'


def cover_type(name: str) -> str:
    return IMAGE_TYPES[name.rsplit(".", 1)[1]]
