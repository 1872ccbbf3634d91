"""A long MP4 or M4A is checked, sampled and given its cover through a window (`mp4_window`): FFmpeg
sees only the seconds each job reads, so its index (and memory) no longer grows with the length, yet
every fact, packet and refusal is the one the whole file gives. The long files are a short clip's
packets repeated with shifted timestamps (more than `MIN_SAMPLES` packets in a few seconds)."""

from __future__ import annotations

import io
from pathlib import Path

import av
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageStat

from paidpdf.content import formats
from paidpdf.content.format_stamps.segments import SegmentedFile
from paidpdf.content.formats.av_probe import _start_and_end
from paidpdf.content.formats.mp4_window import MIN_SAMPLES, window
from paidpdf.errors import InvalidInput
from tests.formats.files import audio_bytes, video_bytes


def repeated(clip: bytes, path: Path, copies: int, muxer: str, faststart: bool = False) -> Path:
    """`clip`'s packets `copies` times over, each copy after the last (a long file made in seconds)."""
    with av.open(io.BytesIO(clip)) as source:
        kept = [(p.stream.index, bytes(p), p.pts, p.dts, p.duration, p.is_keyframe, p.time_base)
                for p in source.demux() if p.dts is not None]
        lengths = {}  # each stream's length in seconds; every copy is shifted by the longest
        for stream in source.streams:
            own = [k for k in kept if k[0] == stream.index]
            lengths[stream.index] = (max(k[3] + k[4] for k in own) - min(k[3] for k in own)) * own[0][6]
        spans = {index: round(max(lengths.values()) / time_base) for index, *_, time_base in kept}
        options = {"movflags": "+faststart"} if faststart else {}
        with av.open(str(path), "w", format=muxer, options=options) as out:
            targets = {s.index: out.add_stream_from_template(s) for s in source.streams}
            for copy in range(copies):
                for index, data, pts, dts, duration, key, time_base in kept:
                    packet = av.Packet(data)
                    packet.pts, packet.dts = pts + copy * spans[index], dts + copy * spans[index]
                    packet.duration, packet.is_keyframe, packet.time_base = duration, key, time_base
                    packet.stream = targets[index]
                    out.mux(packet)
    return path


def packets(media: av.container.InputContainer, since: float = 0.0, until: float = 1e9,
            ) -> list[tuple[int, int, bytes]]:
    """(stream, pts, bytes) of the packets from `since` (after a seek there) to `until`, in seconds."""
    if since:
        media.seek(int(since * 1_000_000), backward=True)
    return [(p.stream.index, p.pts, bytes(p)) for p in media.demux()
            if p.pts is not None and since <= float(p.pts * p.time_base) < until]


@pytest.fixture(scope="module")
def long_m4a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    clip = audio_bytes("m4a", seconds=2.0)  # 8 kHz AAC: 16 packets a second
    return repeated(clip, tmp_path_factory.mktemp("m4a") / "long.m4a", 1300, "ipod")


@pytest.fixture(scope="module", params=[False, True], ids=["index-last", "fast-start"])
def long_mp4(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    clip = video_bytes("mp4", seconds=4.0, size=(32, 24), fps=10)  # a colour a second, AAC at 48 kHz
    return repeated(clip, tmp_path_factory.mktemp("mp4") / "long.mp4", 90, "mp4", faststart=request.param)


def test_a_long_m4a_shows_ffmpeg_only_its_start_and_end_and_the_same_packets(long_m4a: Path) -> None:
    size = long_m4a.stat().st_size
    with av.open(str(long_m4a)) as whole:
        assert whole.streams[0].frames > MIN_SAMPLES
        micros = whole.duration
        duration = micros / 1_000_000
        first, last = packets(whole, 0, 8), packets(whole, duration - 8)  # inside the 10 s windows
    with long_m4a.open("rb") as handle:
        view = window(handle, size, _start_and_end)
        assert view is not None
        with av.open(view, format="mp4") as windowed:  # type: ignore[arg-type]
            assert windowed.duration == micros
            every = [p for p in windowed.demux() if p.size]
            assert len(every) < 1_000  # the index: about 20 s of packets and a few fillers
        view.seek(0)
        with av.open(view, format="mp4") as windowed:  # type: ignore[arg-type]
            assert packets(windowed, 0, 8) == first
            assert packets(windowed, duration - 8) == last


def test_a_long_m4a_has_the_facts_and_sample_of_the_whole_file(long_m4a: Path, tmp_path: Path) -> None:
    facts = formats.check_file(long_m4a, long_m4a.name)
    with av.open(str(long_m4a)) as whole:
        assert facts.duration_ms == whole.duration // 1000
        assert facts.details["bitrate"] == whole.bit_rate
        assert facts.codecs == ("aac",)
    sample = formats.make_sample(long_m4a, facts, tmp_path, 30)
    assert sample is not None
    assert 29_000 <= (formats.check_file(sample, sample.name).duration_ms or 0) <= 31_000


def test_a_long_video_is_checked_sampled_and_covered_through_windows(long_mp4: Path, tmp_path: Path) -> None:
    facts = formats.check_file(long_mp4, long_mp4.name)
    with av.open(str(long_mp4)) as whole:
        assert sum(s.frames for s in whole.streams) > MIN_SAMPLES
        assert facts.duration_ms == whole.duration // 1000
        assert facts.details["bitrate"] == whole.bit_rate
        assert (facts.width, facts.height, facts.codecs) == (32, 24, ("h264", "aac"))
        target = whole.duration / 1_000_000 * 0.1
        stream = whole.streams.video[0]
        whole.seek(int(target / stream.time_base), stream=stream, backward=True)
        expected = next(f for f in whole.decode(stream) if f.time is not None and f.time >= target).to_image()
    sample = formats.make_sample(long_mp4, facts, tmp_path, 12)
    assert sample is not None
    assert 11_000 <= (formats.check_file(sample, sample.name).duration_ms or 0) <= 13_000
    cover = formats.extract_cover(long_mp4, facts)
    assert cover is not None
    got = ImageStat.Stat(Image.open(io.BytesIO(cover)).convert("RGB")).mean
    want = ImageStat.Stat(expected.convert("RGB")).mean
    assert all(abs(a - b) < 12 for a, b in zip(got, want, strict=True)), (got, want)  # the same colour


def test_a_long_fast_start_file_cut_short_is_still_refused(tmp_path: Path) -> None:
    clip = video_bytes("mp4", seconds=4.0, size=(32, 24), fps=10)
    data = repeated(clip, tmp_path / "whole.mp4", 90, "mp4", faststart=True).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) * 3 // 4])
    with cut.open("rb") as handle:
        assert window(handle, cut.stat().st_size, _start_and_end) is not None  # the window is used
    with pytest.raises(InvalidInput, match="cut short"):
        formats.check_file(cut, cut.name)


def test_a_short_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "short.m4a"
    path.write_bytes(audio_bytes("m4a", seconds=2.0))
    with path.open("rb") as handle:
        assert window(handle, path.stat().st_size, _start_and_end) is None


#: (where in the movie box, 0 to 1; the bytes written there)
DAMAGE = st.lists(st.tuples(st.floats(0, 1), st.binary(min_size=1, max_size=8)), min_size=1, max_size=6)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=DAMAGE)
def test_a_damaged_movie_box_gives_a_window_or_the_whole_file_never_an_error(
    long_m4a: Path, changes: list[tuple[float, bytes]]
) -> None:
    """Any bytes of the `moov` box overwritten (sizes, counts, tables): `window` answers a file view or
    None (FFmpeg then judges the whole file), in bounded time; it never raises."""
    data = bytearray(long_m4a.read_bytes())
    moov = data.rindex(b"moov") - 4  # the index comes last in these files
    for where, replacement in changes:
        at = moov + int(where * (len(data) - moov - len(replacement)))
        data[at : at + len(replacement)] = replacement
    view = window(io.BytesIO(bytes(data)), len(data), _start_and_end)  # read, not mapped: no file
    assert view is None or isinstance(view, SegmentedFile)
    if view is not None:
        assert view.read(64)[4:8] == bytes(data[4:8])  # the same file up to the movie box
