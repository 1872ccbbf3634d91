"""Files in the data folder as `FileSource`s: `<data>/content/<sha256>` and `<data>/covers/<name>`.

A range is an open file positioned at its start, so the web server sends it from its I/O loop
(`wsgi.file_wrapper`) with flat memory and no worker thread held. The validators come from one
`stat` (size, and the file's mtime for Last-Modified); the file is opened only when bytes are
wanted, so HEAD and 304 answers never open it. No presigned addresses: the shop itself serves them.
"""

from __future__ import annotations

import logging
import os
from email.utils import formatdate
from pathlib import Path

from paidpdf.errors import NotFound
from paidpdf.store.files import file_source
from paidpdf.store.files.file_source import FileSource, LocalFile

log = logging.getLogger("paidpdf.store")


class DiskSource:
    """One file of the data folder; `what` names it in errors ("download", "cover")."""

    def __init__(self, path: Path, *, etag: str, content_type: str, what: str) -> None:
        self.path = path
        self.etag = etag
        self.content_type = content_type
        self._what = what
        self._stat: os.stat_result | None = None

    def _missing(self, exc: OSError) -> NotFound:
        log.error("%s missing or unreadable at %s: %s", self._what, self.path, exc.strerror)
        return NotFound(f"this {self._what} is not available right now")

    def _status(self) -> os.stat_result:
        if self._stat is None:
            try:
                self._stat = self.path.stat()
            except OSError as exc:
                raise self._missing(exc) from None
        return self._stat

    def size(self) -> int:
        return self._status().st_size

    def last_modified(self) -> str:
        return formatdate(self._status().st_mtime, usegmt=True)

    def open_range(self, start: int, length: int) -> LocalFile:
        try:
            handle = self.path.open("rb")
        except OSError as exc:
            raise self._missing(exc) from None
        if start:
            handle.seek(start)
        return handle

    def presigned_url(self, *, disposition: str) -> str | None:
        return None


class DiskFiles:
    """`DataStore.files` for a shop whose files are served from its data folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def content(
        self, sha256: str, *, version: int | None = None, size: int | None = None,
        content_type: str | None = None,
    ) -> FileSource:
        rel = file_source.content_rel(sha256)
        return DiskSource(
            self.root / rel, etag=file_source.content_etag(sha256, version),
            content_type=content_type or file_source.PDF,
            what="download",
        )

    def cover(self, name: str) -> FileSource:
        rel = file_source.cover_rel(name)
        return DiskSource(
            self.root / rel, etag=file_source.cover_etag(name), content_type=file_source.cover_type(name),
            what="cover",
        )

    def describe(self) -> str:
        return f"data folder {self.root}"

    def check(self) -> None:
        """The data folder is the documents' folder too: `check_health` already answers for it."""
