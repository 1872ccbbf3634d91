"""Serving a stamped copy: the version's file as stored, then the owner's tail (`stamping`).

The two parts are joined into one file-like object (`JoinedFile`) that the server sends exactly like
a plain file: waitress's file wrapper reads it from its I/O loop, Range and If-Range work over the
whole (a resume may start in the original and end in the tail, or start in the tail), and the length
is known up front because every owner's tail has the template's length. With an object store the
original part is streamed from the bucket (a presigned redirect cannot add the tail).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from email.utils import formatdate
from pathlib import Path
from typing import IO, Any

from paidpdf.errors import NotFound
from paidpdf.store.files.object_files import ObjectFiles
from paidpdf.web import file_answers
from paidpdf.web.download_records import CountedStream, TrackedFile, chunks
from paidpdf.web.file_answers import Admit, Finished
from paidpdf.web.object_downloads import LAST_MODIFIED


def stamped_etag(sha256: str, version: int, tail: bytes) -> str:
    """A strong validator per (owner, version): the file and the owner's tail."""
    mark = hashlib.sha256(tail).hexdigest()[:16]
    return f'"{sha256[:32]}-v{int(version)}-{mark}"'


class JoinedFile:
    """`head` (an open file of `head_size` bytes) followed by `tail`, as one seekable file."""

    def __init__(self, head: IO[bytes], head_size: int, tail: bytes) -> None:
        self._head = head
        self._head_size = head_size
        self._tail = tail
        self._pos = 0
        self.closed = False

    def seek(self, offset: int, whence: int = 0) -> int:
        size = self._head_size + len(self._tail)
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else size + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def read(self, size: int = -1) -> bytes:
        total = self._head_size + len(self._tail)
        end = total if size is None or size < 0 else min(total, self._pos + size)
        parts = []
        if self._pos < self._head_size and self._pos < end:
            self._head.seek(self._pos)
            parts.append(self._head.read(min(end, self._head_size) - self._pos))
            self._pos += len(parts[-1])
            if self._pos < min(end, self._head_size):  # the file is shorter than the catalog says
                return b"".join(parts)
        if self._pos >= self._head_size and self._pos < end:
            parts.append(self._tail[self._pos - self._head_size : end - self._head_size])
            self._pos = end
        return b"".join(parts)

    def close(self) -> None:
        self.closed = True
        self._head.close()


def send_stamped(
    path: Path, tail: bytes, *, etag: str, cache_control: str, disposition: str, finished: Finished,
    admit: Admit | None = None,
) -> Any:
    """Answer GET/HEAD for a stamped copy of the file at `path` (see the module docstring)."""
    try:
        handle = path.open("rb")
    except OSError:
        raise NotFound("this download is not available right now") from None
    try:
        st = os.fstat(handle.fileno())
        size = st.st_size + len(tail)
        body = file_answers.plan(
            size, etag=etag, last_modified=formatdate(st.st_mtime, usegmt=True), cache_control=cache_control,
            content_type="application/pdf", disposition=disposition, admit=admit,
        )
        if body is None:
            handle.close()
            return b""
        joined = JoinedFile(handle, st.st_size, tail)
        joined.seek(body.start)
        ended = lambda sent: finished(body, size, sent)  # noqa: E731 - one line, used twice
        if body.partial and not file_answers.server_bounds_file_wrapper():
            return chunks(joined, body.length, ended)
        return TrackedFile(joined, body.start, body.length, ended)
    except BaseException:
        handle.close()
        raise


def send_stamped_object(
    objects: ObjectFiles, rel: str, tail: bytes, *, etag: str, cache_control: str, disposition: str,
    finished: Finished, admit: Admit | None = None,
) -> Any:
    """The same from the object store: the object's bytes streamed, then the tail."""
    head = objects.size(rel)
    size = head + len(tail)
    body = file_answers.plan(
        size, etag=etag, last_modified=LAST_MODIFIED, cache_control=cache_control,
        content_type="application/pdf", disposition=disposition, admit=admit,
    )
    if body is None:
        return b""

    def stream() -> Iterator[bytes]:
        end = body.start + body.length
        if body.start < head:
            yield from objects.read(rel, body.start, min(end, head) - body.start)
        if end > head:
            yield tail[max(body.start - head, 0) : end - head]

    return CountedStream(stream(), lambda sent: finished(body, size, sent))
