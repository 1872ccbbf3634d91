"""A stamped copy read as a file (`SegmentedFile`, what the server sends from the data folder) or as a
range's parts (`_pieces`, what an object store's blocks are read from) gives exactly the bytes of its
segments joined, whatever the seeks, read sizes and segment layout: the cursor kept across reads and
the bisection after a seek can never skip, repeat or reorder a byte. A read gives all it was asked for
except where a big part starts or ends (a big part is handed out as read, never joined) or at the end."""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paidpdf.content.format_stamps.segments import BIG_PART, Segment, SegmentedFile, _pieces

ORIGINAL_SIZE = 3 * BIG_PART + 20_000


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    data = random.Random(24).randbytes(ORIGINAL_SIZE)
    path = tmp_path_factory.mktemp("segments") / "original.bin"
    path.write_bytes(data)
    return path, data


@st.composite
def stored_range(draw: st.DrawFn) -> tuple[int, int]:
    start = draw(st.integers(0, ORIGINAL_SIZE))
    short = draw(st.booleans())  # most parts are small; some are big (a picture, the sound)
    longest = min(3_000, ORIGINAL_SIZE - start) if short else ORIGINAL_SIZE - start
    return start, draw(st.integers(0, longest))


LITERAL = st.one_of(st.binary(max_size=40), st.just(b"L" * (BIG_PART + 7)))  # a big one: a long directory
SEGMENTS = st.lists(st.one_of(LITERAL, stored_range()), max_size=40)
SIZES = st.one_of(st.integers(0, 5_000), st.integers(0, 3 * BIG_PART))
#: ("seek", offset) or ("read", size); -1 reads to the end, offsets may pass the end.
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("seek"), st.integers(0, 2 * ORIGINAL_SIZE)),
        st.tuples(st.just("read"), st.one_of(st.just(-1), SIZES)),
    ),
    max_size=30,
)


def joined(segments: list[Segment], data: bytes) -> bytes:
    return b"".join(s if isinstance(s, bytes) else data[s[0] : s[0] + s[1]] for s in segments)


def big_edges(segments: list[Segment]) -> set[int]:
    """Where a part of `BIG_PART` bytes or more starts or ends in the copy: a read may stop there."""
    edges, at = set(), 0
    for seg in segments:
        size = len(seg) if isinstance(seg, bytes) else seg[1]
        if size >= BIG_PART:
            edges |= {at, at + size}
        at += size
    return edges


def check_read(got: bytes, asked: int, at: int, size: int, edges: set[int]) -> None:
    """`got`, read from `at` for `asked` bytes: all of it, unless it stops at a big part's edge."""
    assert len(got) <= asked
    if len(got) < asked and at + len(got) < size:
        assert got and at + len(got) in edges


@settings(max_examples=150, deadline=None)
@given(segments=SEGMENTS, steps=STEPS)
def test_any_seeks_and_reads_give_the_joined_bytes(
    original: tuple[Path, bytes], segments: list[Segment], steps: list[tuple[str, int]]
) -> None:
    path, data = original
    whole = joined(segments, data)
    model, edges = io.BytesIO(whole), big_edges(segments)
    copy = SegmentedFile(path.open("rb"), segments)
    try:
        for what, number in [*steps, ("seek", 0), ("read", -1)]:
            if what == "seek":
                assert copy.seek(number) == model.seek(number)
            elif number < 0:
                assert copy.read(number) == model.read(number)
            else:
                at = copy.tell()
                got = copy.read(number)
                assert got == model.read(len(got))
                check_read(got, number, at, len(whole), edges)
            assert copy.tell() == model.tell()
    finally:
        copy.close()
    assert copy.closed


@settings(max_examples=150, deadline=None)
@given(segments=SEGMENTS, block=st.one_of(st.integers(16, 9_000), st.integers(16, 3 * BIG_PART)),
       start=st.integers(0, 2 * ORIGINAL_SIZE))
def test_reading_on_in_blocks_from_any_offset_gives_the_rest(
    original: tuple[Path, bytes], segments: list[Segment], block: int, start: int
) -> None:
    """The server's own pattern: a seek to the Range's start, then blocks until the end."""
    path, data = original
    whole = joined(segments, data)
    edges = big_edges(segments)
    copy = SegmentedFile(path.open("rb"), segments)
    copy.seek(start)
    got: list[bytes] = []
    done = start
    while chunk := copy.read(block):
        check_read(chunk, block, done, len(whole), edges)
        got.append(chunk)
        done += len(chunk)
    copy.close()
    assert b"".join(got) == whole[start:]


@settings(max_examples=150, deadline=None)
@given(segments=SEGMENTS, start=st.integers(0, 2 * ORIGINAL_SIZE), length=st.integers(0, 2 * ORIGINAL_SIZE))
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
