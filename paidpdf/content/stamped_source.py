"""A stamped copy as a `FileSource`: any stored file's source, then the owner's tail (`stamping`).

Wrapping a source keeps stamped and plain answers one code path: the web adapter sends a
`StampedSource` exactly like the file it wraps. Range and If-Range work over the whole (a resume may
start in the original and end in the tail, or start in the tail), and the length is known up front
because every owner's tail has the template's length. When the original is a local file, the copy is
one seekable file (`JoinedFile`) that the server sends from its I/O loop like a plain file; from a
remote store the original's blocks are streamed, then the tail. Never presigned: a link to the
stored object cannot add the tail.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from paidpdf.store.files.file_source import FileSource, LocalFile, Opened


def stamped_etag(inner_etag: str, tail: bytes) -> str:
    """A strong validator per (file version, owner): the file's own tag and the owner's tail."""
    mark = hashlib.sha256(tail).hexdigest()[:16]
    return f'{inner_etag.removesuffix(chr(34))}-{mark}"'


class StampedSource:
    """`inner`'s bytes followed by `tail`."""

    def __init__(self, inner: FileSource, tail: bytes) -> None:
        self.inner = inner
        self.tail = tail
        self.etag = stamped_etag(inner.etag, tail)
        self.content_type = inner.content_type

    def size(self) -> int:
        return self.inner.size() + len(self.tail)

    def last_modified(self) -> str:
        return self.inner.last_modified()

    def open_range(self, start: int, length: int) -> Opened:
        head = self.inner.size()
        end = start + length
        if start >= head:
            return BlocksThenTail(iter(()), self.tail[start - head : end - head])
        opened = self.inner.open_range(start, min(end, head) - start)
        if isinstance(opened, LocalFile):
            joined = JoinedFile(opened, head, self.tail)
            joined.seek(start)
            return joined
        return BlocksThenTail(opened, self.tail[: max(end - head, 0)])


    def presigned_url(self, *, disposition: str) -> str | None:
        return None


class BlocksThenTail:
    """The original's blocks, then `tail` (empty when the range ends in the original)."""

    def __init__(self, blocks: Iterator[bytes], tail: bytes) -> None:
        self._blocks = blocks
        self._tail = tail

    def __iter__(self) -> BlocksThenTail:
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._blocks)
        except StopIteration:
            if not self._tail:
                raise
            tail, self._tail = self._tail, b""
            return tail

    def close(self) -> None:
        close = getattr(self._blocks, "close", None)
        if close is not None:
            close()


class JoinedFile:
    """`head` (an open file of `head_size` bytes) followed by `tail`, as one seekable file."""

    def __init__(self, head: LocalFile, head_size: int, tail: bytes) -> None:
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
