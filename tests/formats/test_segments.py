"""A stamped copy read as a file (`SegmentedFile`, what the server sends from the data folder) or as a
range's parts (`_pieces`, what an object store's blocks are read from) gives exactly the bytes of its
segments joined, whatever the seeks, read sizes and segment layout: the cursor kept across reads and
the bisection after a seek can never skip, repeat or reorder a byte."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paidpdf.content.format_stamps.segments import Segment, SegmentedFile, _pieces

ORIGINAL_SIZE = 20_000


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = random.Random(24).randbytes(ORIGINAL_SIZE)
    path = tmp_path_factory.mktemp("segments") / "original.bin"
    path.write_bytes(data)
    return path, data


@st.composite
def stored_range(draw: st.DrawFn) -> tuple[int, int]:
    start = draw(st.integers(0, ORIGINAL_SIZE))
    return start, draw(st.integers(0, min(3_000, ORIGINAL_SIZE - start)))


SEGMENTS = st.lists(st.one_of(st.binary(max_size=40), stored_range()), max_size=60)
#: ("seek", offset) or ("read", size); -1 reads to the end, offsets may pass the end.
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("seek"), st.integers(0, 70_000)),
        st.tuples(st.just("read"), st.one_of(st.just(-1), st.integers(0, 5_000))),
    ),
    max_size=40,
)


def joined(segments: list[Segment], data: bytes) -> bytes:
    return b"".join(s if isinstance(s, bytes) else data[s[0] : s[0] + s[1]] for s in segments)


@settings(max_examples=150, deadline=None)
@given(segments=SEGMENTS, steps=STEPS)
def test_any_seeks_and_reads_give_the_joined_bytes(
    original: tuple[Path, bytes], segments: list[Segment], steps: list[tuple[str, int]]
) -> None:
    path, data = original
    model = io.BytesIO(joined(segments, data))
    copy = SegmentedFile(path.open("rb"), segments)
    try:
        for what, number in [*steps, ("seek", 0), ("read", -1)]:
            if what == "seek":
                assert copy.seek(number) == model.seek(number)
            else:
                assert copy.read(number) == model.read(number)
            assert copy.tell() == model.tell()
    finally:
        copy.close()
    assert copy.closed


@settings(max_examples=150, deadline=None)
@given(segments=SEGMENTS, block=st.integers(16, 9_000), start=st.integers(0, 70_000))
def test_reading_on_in_blocks_from_any_offset_gives_the_rest(
    original: tuple[Path, bytes], segments: list[Segment], block: int, start: int
) -> None:
    """The server's own pattern: a seek to the Range's start, then blocks until the end."""
    path, data = original
    whole = joined(segments, data)
    copy = SegmentedFile(path.open("rb"), segments)
    copy.seek(start)
    got: list[bytes] = []
    done = start
    while chunk := copy.read(block):
        assert len(chunk) == min(block, len(whole) - done)  # full blocks until the last one
        got.append(chunk)
        done += len(chunk)
    copy.close()
    assert b"".join(got) == whole[start:]


@settings(max_examples=150, deadline=None)
@given(segments=SEGMENTS, start=st.integers(0, 70_000), length=st.integers(0, 70_000))
def test_a_ranges_parts_join_to_its_bytes(
    original: tuple[Path, bytes], segments: list[Segment], start: int, length: int
) -> None:
    _, data = original
    whole = joined(segments, data)
    parts = list(_pieces(segments, start, start + length))
    assert all(size > 0 for _, _, size in parts)
    assert joined([seg[off : off + size] if isinstance(seg, bytes) else (seg[0] + off, size)
                   for seg, off, size in parts], data) == whole[start : start + length]


def test_a_file_shorter_than_its_segments_ends_the_read_early(tmp_path: Path) -> None:
    """A stored file cut short (the catalog says more) gives what there is, never invented bytes."""
    path = tmp_path / "short.bin"
    path.write_bytes(b"abcdef")
    copy = SegmentedFile(path.open("rb"), [b"<", (2, 10), b">"])
    assert copy.read(100) == b"<cdef"
    assert copy.tell() == 5
    copy.close()
