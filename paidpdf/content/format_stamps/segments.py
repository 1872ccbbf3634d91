"""An owner's stamped copy of a non-PDF file as a `FileSource` made of segments: byte ranges of the
unchanged stored file and small literal parts (the bytes that name the owner).

Why segments: every format here is stamped by changing a few small places (a ZIP's central directory,
an EPUB's chapter ends, an audio file's tag block, a video's metadata box), so a download is the
original's ranges streamed as they are plus a few kilobytes computed per owner. The length is known
before the first byte, the same owner always gets the same bytes (so Range resumes join and the
ETag is stable), and from a local file the copy is one seekable file the server sends from its I/O
loop like a plain file (the same path as a stamped PDF's `JoinedFile`).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from itertools import accumulate

from paidpdf.store.files.file_source import FileSource, LocalFile, Opened

#: `(start, length)` of the original file, or literal bytes.
Segment = tuple[int, int] | bytes
#: A read stops at the edge of a part of this many bytes or more (see `SegmentedFile.read`).
BIG_PART = 64 * 1024


def size_of(segments: Sequence[Segment]) -> int:
    return sum(len(s) if isinstance(s, bytes) else s[1] for s in segments)


def merged(segments: Sequence[Segment]) -> list[Segment]:
    """Adjacent literals joined, adjacent original ranges joined, empty parts dropped."""
    out: list[Segment] = []
    for seg in segments:
        if (len(seg) if isinstance(seg, bytes) else seg[1]) == 0:
            continue
        last = out[-1] if out else None
        if isinstance(seg, bytes) and isinstance(last, bytes):
            out[-1] = last + seg
        elif isinstance(seg, tuple) and isinstance(last, tuple) and last[0] + last[1] == seg[0]:
            out[-1] = (last[0], last[1] + seg[1])
        else:
            out.append(seg)
    return out


class SegmentedSource:
    """`segments` over `inner` (the stored file), answered like any `FileSource`."""

    def __init__(self, inner: FileSource, segments: Sequence[Segment], owner: bytes | None = None) -> None:
        """`owner`: what makes these segments differ from another owner's (their stamp), for the
        ETag; without it every segment is hashed."""
        self.inner = inner
        self.segments = merged(segments)
        mark = hashlib.sha256()
        if owner is not None:
            mark.update(owner)
        else:
            for seg in self.segments:
                mark.update(seg if isinstance(seg, bytes) else b"%d+%d;" % seg)
        self.etag = f'{inner.etag.removesuffix(chr(34))}-{mark.hexdigest()[:16]}"'
        self.content_type = inner.content_type
        self._size = size_of(self.segments)

    def size(self) -> int:
        return self._size

    def last_modified(self) -> str:
        return self.inner.last_modified()

    def open_range(self, start: int, length: int) -> Opened:
        if getattr(self.inner, "path", None) is not None:  # a file of the data folder
            opened = self.inner.open_range(0, self.inner.size())  # NotFound before anything is sent
            if isinstance(opened, LocalFile):
                joined = SegmentedFile(opened, self.segments)
                joined.seek(start)
                return joined
            opened.close()
        return SegmentBlocks(self.inner, self.segments, start, length)

    def presigned_url(self, *, disposition: str) -> str | None:
        return None  # a link to the stored object cannot carry the owner's parts


def ends_of(segments: Sequence[Segment]) -> list[int]:
    """Where each segment ends in the copy: `ends[i]` is the offset just past segment `i`, so the
    segment holding offset `pos` is `bisect_right(ends, pos)` (a log-time seek, whatever the count)."""
    return list(accumulate(len(s) if isinstance(s, bytes) else s[1] for s in segments))


def _pieces(segments: Sequence[Segment], start: int, end: int) -> Iterator[tuple[Segment, int, int]]:
    """(segment, offset in it, length) of every part of [start, end), from the segment holding
    `start` found by bisection (a Range that starts deep in a book of many chapters walks nothing)."""
    ends = ends_of(segments)
    index = bisect_right(ends, start)
    while index < len(segments) and start < end:
        seg_start = ends[index - 1] if index else 0
        stop = min(end, ends[index])
        if start < stop:
            yield segments[index], start - seg_start, stop - start
        start = stop
        index += 1


class SegmentBlocks:
    """A range of the segments as blocks, each original part read from the store as its own range
    (a remote store is read by a worker thread, never by the server's I/O loop)."""

    def __init__(self, inner: FileSource, segments: Sequence[Segment], start: int, length: int) -> None:
        self._parts = _pieces(segments, start, start + length)
        self._inner = inner
        self._open: Iterator[bytes] | None = None
        self._ready: list[bytes] = []
        for seg, offset, size in self._parts:  # up to the first stored part, opened now: NotFound is
            if isinstance(seg, bytes):           # raised before the answer starts
                self._ready.append(seg[offset : offset + size])
                continue
            self._open = iter(inner.open_range(seg[0] + offset, size))  # type: ignore[arg-type]
            break

    def __iter__(self) -> SegmentBlocks:
        return self

    def __next__(self) -> bytes:
        if self._ready:
            return self._ready.pop(0)
        while True:
            if self._open is not None:
                block = next(self._open, None)
                if block is not None:
                    return block
                self._close_open()
            seg, offset, length = next(self._parts)
            if isinstance(seg, bytes):
                return seg[offset : offset + length]
            self._open = iter(self._inner.open_range(seg[0] + offset, length))  # type: ignore[arg-type]

    def _close_open(self) -> None:
        close = getattr(self._open, "close", None)
        self._open = None
        if close is not None:
            close()

    def close(self) -> None:
        self._close_open()


class SegmentedFile:
    """The segments as one seekable file over an open local copy of the original.

    Why a cursor: the server reads the copy in blocks of some kilobytes (and waitress seeks back
    after each peek), so a read must cost the same whether the copy has 3 segments or 300 (an EPUB
    of many chapters). The segment holding the position is kept across reads and found again by
    bisection only after a seek that leaves it."""

    def __init__(self, original: LocalFile, segments: Sequence[Segment]) -> None:
        self._original = original
        self._segments = list(segments)
        self._ends = ends_of(self._segments)
        self._starts = [0, *self._ends[:-1]]
        self._size = self._ends[-1] if self._ends else 0
        self._pos = 0
        self._index = 0  # the segment holding `_pos` (len(segments) at the end)
        self._at = -1  # where the original file is positioned, -1: unknown
        self.closed = False

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else self._size + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def _locate(self) -> int:
        """The index of the segment holding `_pos`: the cursor's when it still holds it."""
        index, ends, pos = self._index, self._ends, self._pos
        if index < len(ends) and pos < ends[index] and (index == 0 or ends[index - 1] <= pos):
            return index
        self._index = bisect_right(ends, pos)
        return self._index

    def read(self, size: int = -1) -> bytes:
        """Up to `size` bytes; fewer before the end only where a part of `BIG_PART` bytes or more
        starts or ends, so a large part is handed out as read, never copied again into a join (the
        server asks for 4 MiB at a time). -1: all the rest, joined."""
        pos, index = self._pos, self._index
        # The common case kept short (the server reads 16 KiB blocks): a block inside the current segment.
        if size is not None and size >= 0 and index < len(self._ends):
            start = self._starts[index]
            if start <= pos and pos + size <= self._ends[index]:
                seg = self._segments[index]
                if isinstance(seg, bytes):
                    data = seg[pos - start : pos - start + size]
                else:
                    at = seg[0] + pos - start
                    if self._at != at:  # a read that goes on where the last one ended needs no seek
                        self._original.seek(at)
                    data = self._original.read(size)
                    self._at = at + len(data)
                self._pos = pos + len(data)
                if self._pos == self._ends[index] and size:
                    self._index = index + 1
                return data
        return self._read_across(size)

    def _read_across(self, size: int) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        if end <= self._pos:
            return b""
        whole = size is None or size < 0
        index, pos = self._locate(), self._pos
        parts: list[bytes] = []
        while pos < end:
            seg, seg_end = self._segments[index], self._ends[index]
            offset = pos - (self._ends[index - 1] if index else 0)
            length = min(end, seg_end) - pos
            if parts and length >= BIG_PART and not whole:
                break  # a big part goes out on its own, by the next read: never copied into a join
            if isinstance(seg, bytes):
                data = seg[offset : offset + length]
            else:
                if self._at != seg[0] + offset:  # a read that goes on where the last one ended needs no seek
                    self._original.seek(seg[0] + offset)
                data = self._original.read(length)
                self._at = seg[0] + offset + len(data)
            parts.append(data)
            pos += len(data)
            if len(data) < length:  # the file is shorter than the catalog says
                break
            if pos == seg_end:
                index += 1
            if length >= BIG_PART and not whole:
                break  # this big part alone
        out = parts[0] if len(parts) == 1 else b"".join(parts)
        self._pos, self._index = pos, index
        return out

    def close(self) -> None:
        self.closed = True
        self._original.close()


class SourceReader:
    """A read-only, seekable file over a `FileSource`, for building a template from a stored file
    whichever store holds it: only the parts a format's stamper reads (a ZIP's directory, a tag
    block, a video's index) are fetched, never the whole file."""

    def __init__(self, source: FileSource) -> None:
        self._source = source
        self._size = source.size()
        self._pos = 0

    def seek(self, offset: int, whence: int = 0) -> int:
        self._pos = offset if whence == 0 else self._pos + offset if whence == 1 else self._size + offset
        return self._pos

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        end = self._size if size is None or size < 0 else min(self._size, self._pos + size)
        if end <= self._pos:
            return b""
        opened = self._source.open_range(self._pos, end - self._pos)
        try:
            data = opened.read(end - self._pos) if isinstance(opened, LocalFile) else b"".join(opened)
        finally:
            opened.close()
        self._pos += len(data)
        return data
