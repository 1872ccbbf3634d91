"""Audio and video are probed and partly decoded with PyAV: the container must be the one the name
claims, the codecs ones browsers play in it, and the file must decode at its start and reach its end."""

from __future__ import annotations

import io
import random
from pathlib import Path

import av
import pytest

from paidpdf.content import formats
from paidpdf.errors import InvalidInput
from tests.formats.files import audio_bytes, video_bytes, write_audio, write_video, zip_bytes

AUDIO_CODECS = {"mp3": "mp3", "m4a": "aac", "ogg": "opus", "flac": "flac", "wav": "pcm_s16le"}
NOISE = random.Random(7).randbytes(4000)
EBML_WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"
MEDIA_TYPES = {"mp3": "audio/mpeg", "m4a": "audio/mp4", "ogg": "audio/ogg", "flac": "audio/flac",
               "wav": "audio/wav"}


def _refused(path: Path, message: str, name: str | None = None) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        formats.check_file(path, name or path.name)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("fmt", sorted(AUDIO_CODECS))
def test_audio_is_probed_for_codec_and_duration(tmp_path: Path, fmt: str) -> None:
    path = write_audio(tmp_path / f"track.{fmt}", seconds=2.0)
    facts = formats.check_file(path, path.name)
    assert (facts.format, facts.media_type, facts.codecs) == (fmt, MEDIA_TYPES[fmt], (AUDIO_CODECS[fmt],))
    assert facts.duration_ms is not None and 1900 <= facts.duration_ms <= 2100
    assert (facts.width, facts.height, facts.pages, facts.chapters) == (None, None, None, None)
    assert facts.details["channels"] == 1 and int(facts.details["bitrate"]) > 0


@pytest.mark.parametrize(("fmt", "codecs"), [("mp4", ("h264", "aac")), ("webm", ("vp8", "opus"))])
def test_video_is_probed_for_codecs_duration_and_size(tmp_path: Path, fmt: str, codecs: tuple[str, ...],
                                                      ) -> None:
    path = write_video(tmp_path / f"film.{fmt}", seconds=2.0, size=(80, 60))
    facts = formats.check_file(path, path.name)
    assert (facts.format, facts.media_type, facts.codecs) == (fmt, f"video/{fmt}", codecs)
    assert (facts.width, facts.height) == (80, 60)
    assert facts.duration_ms is not None and 1900 <= facts.duration_ms <= 2100


def test_a_silent_video_is_fine(tmp_path: Path) -> None:
    path = write_video(tmp_path / "silent.mp4", with_audio=False)
    assert formats.check_file(path, path.name).codecs == ("h264",)


@pytest.mark.parametrize(
    ("real", "named", "message"),
    [
        ("mp3", "m4a", "is not an M4A audio file: its content does not match its name; it looks like an MP3"),
        ("m4a", "mp3", "is not an MP3 file.*looks like an MP4 file"),
        ("wav", "flac", "is not a FLAC file.*looks like a WAV file"),
        ("flac", "ogg", "is not an Ogg file.*looks like a FLAC file"),
        ("ogg", "wav", "is not a WAV file.*looks like an Ogg file"),
        ("webm", "mp4", "is not an MP4 file.*looks like a WebM video"),
        ("mp4", "webm", "is not a WebM video.*looks like an MP4 file"),
        ("mp4", "m4a", r"holds video: sell it as \.mp4 or \.webm"),
        ("m4a", "mp4", "has no video"),
        ("mp3", "webm", "is not a WebM video.*looks like an MP3 file"),
        ("mp3", "pdf", "not a PDF"),
        ("wav", "epub", "is not an EPUB book"),
        ("flac", "zip", "is not a ZIP archive"),
    ],
)
def test_a_file_renamed_to_another_format_is_refused(tmp_path: Path, real: str, named: str, message: str,
                                                     ) -> None:
    data = audio_bytes(real) if real in AUDIO_CODECS else video_bytes(real)
    path = tmp_path / f"renamed.{named}"
    path.write_bytes(data)
    _refused(path, message)


def test_a_matroska_video_is_not_webm(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="matroska") as out:
        stream = out.add_stream("libvpx", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for index in range(5):
            frame = av.VideoFrame(32, 32, "yuv420p")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    path = tmp_path / "film.webm"
    path.write_bytes(buffer.getvalue())
    _refused(path, r"looks like a Matroska \(MKV\) video")


def test_a_codec_browsers_do_not_play_in_mp4_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for index in range(5):
            frame = av.VideoFrame(32, 32, "yuv420p")
            frame.pts = index
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    path = tmp_path / "old.mp4"
    path.write_bytes(buffer.getvalue())
    _refused(path, "MP4 video must be h264, not mpeg4")


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("mp3", "cut short: it claims 6 s"),
        ("flac", "cut short: it claims 6 s"),
        ("wav", r"cut short: its header announces 96000 bytes of sound, \d+ are there"),
        ("m4a", "not a readable M4A file"),  # the index (moov) comes last and is gone
    ],
)
def test_truncated_audio_is_refused(tmp_path: Path, fmt: str, message: str) -> None:
    data = audio_bytes(fmt, seconds=6.0)
    path = tmp_path / f"cut.{fmt}"
    path.write_bytes(data[: len(data) // 2])
    _refused(path, message)


@pytest.mark.parametrize(
    ("fmt", "faststart", "message"),
    [
        ("mp4", False, "not a readable MP4 file"),
        ("mp4", True, "cut short: it claims 6 s"),  # index first, the pictures it lists are gone
        ("webm", False, "cut short: it claims 6 s"),
    ],
)
def test_truncated_video_is_refused(tmp_path: Path, fmt: str, faststart: bool, message: str) -> None:
    data = video_bytes(fmt, seconds=6.0, size=(32, 24), fps=4, faststart=faststart)
    path = tmp_path / f"cut.{fmt}"
    path.write_bytes(data[: len(data) // 2])
    _refused(path, message)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("tag.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + NOISE, "is not an MP3 file"),  # a tag, then no MP3
        ("noise.mp3", b"\xff\xfb\x90\x00" + NOISE, r"not a readable MP3 file \(Invalid data"),
        ("noise.ogg", b"OggS" + NOISE, "not a readable Ogg file"),
        ("noise.mp4", b"\x00\x00\x00\x18ftypisom" + NOISE, "not a readable MP4 file"),
        ("noise.flac", b"fLaC" + NOISE, "not a readable FLAC file"),
        ("noise.webm", EBML_WEBM + NOISE, "not a readable WebM file"),
        ("noise.wav", b"RIFF\x00\x10\x00\x00WAVE" + NOISE, "not a readable WAV file"),
        ("playlist.mp3", b"#EXTM3U\n#EXTINF:10,\nfile:///etc/passwd\n", "is not an MP3 file"),
        ("page.mp4", b"<!DOCTYPE html><html><body>Not found</body></html>", r"looks like an HTML page"),
        ("empty.wav", b"", "is empty"),
    ],
)
def test_garbage_posing_as_media_is_refused(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    _refused(path, message)


def test_media_with_a_zip_appended_is_a_polyglot(tmp_path: Path) -> None:
    path = tmp_path / "track.mp3"
    path.write_bytes(audio_bytes("mp3") + zip_bytes([("payload.txt", b"hidden")]))
    _refused(path, "has a ZIP archive appended to it: polyglots are refused")


def test_media_with_a_pdf_header_in_its_first_kilobyte_is_a_polyglot(tmp_path: Path) -> None:
    import mutagen.id3

    path = write_audio(tmp_path / "track.mp3")
    tags = mutagen.id3.ID3()
    tags.add(mutagen.id3.TIT2(encoding=3, text="%PDF-1.7 1 0 obj"))
    tags.save(path)
    _refused(path, "also a PDF")


def _read_bytes() -> int:
    """Bytes this process has read through read() calls so far (Linux's /proc accounting)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise AssertionError("no rchar in /proc/self/io")


def test_probing_a_big_file_reads_only_a_little_of_it(tmp_path: Path) -> None:
    """A 1 GiB WAV (sparse on disk: silence) is probed by reading a few megabytes, not the gigabyte."""
    size = 1024**3
    path = tmp_path / "long.wav"
    with path.open("wb") as out:
        header = b"RIFF" + (size - 8).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
        header += (1).to_bytes(2, "little") + (1).to_bytes(2, "little") + (48000).to_bytes(4, "little")
        header += (96000).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
        header += b"data" + (size - 44).to_bytes(4, "little")
        out.write(header)
        out.truncate(size)
    before = _read_bytes()
    facts = formats.check_file(path, path.name)
    read = _read_bytes() - before
    assert facts.duration_ms is not None and facts.duration_ms > 11_000_000 // 2  # about 3 hours
    assert read < 32 * 1024 * 1024, f"read {read} bytes to probe a {size}-byte file"
