"""Files in the S3-compatible object store as `FileSource`s (`PAIDPDF_FILES_URL`, `object_files`).

A range is one ranged GET, asked when the bytes are wanted and streamed a chunk at a time by a worker
thread. Objects are named by content hash and never change, so their validators are fixed: the
name's hash for ETag, one constant date for Last-Modified. `PAIDPDF_S3_DOWNLOADS=redirect` (the
default) lets a source hand out a presigned GET (5 minutes, `object_files.PRESIGNED_SECONDS`) so a
download's bytes go from the bucket to the reader and never through Python; `proxy` makes every
source answer None there, so the shop streams (and counts) every byte itself.
"""

from __future__ import annotations

from paidpdf.store.files import file_source
from paidpdf.store.files.file_source import FileSource
from paidpdf.store.files.object_files import Blocks, ObjectFiles

#: Objects are immutable (named by content hash), so their validator never changes.
LAST_MODIFIED = "Thu, 01 Jan 2026 00:00:00 GMT"


class ObjectSource:
    """One object of the bucket; `size`, when known (the catalog's), spares a HEAD round trip."""

    def __init__(
        self, objects: ObjectFiles, rel: str, *, etag: str, content_type: str, size: int | None = None,
        presign: bool = False,
    ) -> None:
        self.rel = rel
        self.etag = etag
        self.content_type = content_type
        self._objects = objects
        self._size = size
        self._presign = presign

    def size(self) -> int:
        if self._size is None:
            self._size = self._objects.size(self.rel)
        return self._size

    def last_modified(self) -> str:
        return LAST_MODIFIED

    def open_range(self, start: int, length: int) -> Blocks:
        return self._objects.open_range(self.rel, start, length)

    def presigned_url(self, *, disposition: str) -> str | None:
        if not self._presign:
            return None
        return self._objects.presigned(self.rel, disposition=disposition, content_type=self.content_type)


class ObjectSources:
    """`DataStore.files` for a shop whose files are served from its object store."""

    def __init__(self, objects: ObjectFiles) -> None:
        self.objects = objects
        self._presign = objects.downloads == "redirect"

    def content(
        self, sha256: str, *, version: int | None = None, size: int | None = None,
        content_type: str | None = None,
    ) -> FileSource:
        return ObjectSource(
            self.objects, file_source.content_rel(sha256), etag=file_source.content_etag(sha256, version),
            content_type=content_type or file_source.PDF, size=size, presign=self._presign,
        )

    def cover(self, name: str) -> FileSource:
        """Covers are never presigned: small, public and cached for a year under their hash."""
        return ObjectSource(
            self.objects, file_source.cover_rel(name), etag=file_source.cover_etag(name),
            content_type=file_source.cover_type(name),
        )

    def describe(self) -> str:
        return self.objects.describe()

    def check(self) -> None:
        self.objects.check()
