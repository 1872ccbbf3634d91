"""Covers (embedded audio artwork, a video's frame at 10%) and public samples (the first seconds,
remuxed into a fresh file that carries nothing else of the original)."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import pytest
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, ID3, TIT2
from mutagen.mp4 import MP4, MP4Cover
from mutagen.oggopus import OggOpus
from mutagen.wave import WAVE
from PIL import Image

from paidpdf.content import formats, media
from paidpdf.content.formats import av_samples
from tests.catalog.files import image_bytes
from tests.formats.files import png_bytes, write_audio, write_video

ART = png_bytes("orange", (50, 50))


def _embed_art(path: Path, fmt: str, data: bytes = ART) -> None:
    if fmt == "mp3":
        tags = ID3()
        tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=data))
        tags.add(TIT2(encoding=3, text="Secret Title"))
        tags.save(path)
    elif fmt == "wav":
        wave = WAVE(path)
        wave.add_tags()
        wave.tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=data))
        wave.save()
    elif fmt == "m4a":
        mp4 = MP4(path)
        mp4["covr"] = [MP4Cover(data, imageformat=MP4Cover.FORMAT_PNG)]
        mp4.save()
    else:
        picture = Picture()
        picture.type, picture.mime, picture.data = 3, "image/png", data
        if fmt == "flac":
            flac = FLAC(path)
            flac.add_picture(picture)
            flac.save()
        else:
            opus = OggOpus(path)
            opus["metadata_block_picture"] = [base64.b64encode(picture.write()).decode()]
            opus.save()


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "ogg", "flac", "wav"])
def test_embedded_audio_artwork_is_the_cover(tmp_path: Path, fmt: str) -> None:
    path = write_audio(tmp_path / f"track.{fmt}")
    _embed_art(path, fmt)
    facts = formats.check_file(path, path.name)  # tags do not stop the file from being checked
    cover = formats.extract_cover(path, facts)
    assert cover == ART
    (tmp_path / "cover.png").write_bytes(cover)
    assert media.check_cover(tmp_path / "cover.png").width == 50


def test_audio_without_artwork_or_with_unusable_artwork_has_no_cover(tmp_path: Path) -> None:
    plain = write_audio(tmp_path / "plain.mp3")
    assert formats.extract_cover(plain, formats.check_file(plain, plain.name)) is None
    gif = write_audio(tmp_path / "gif.mp3")
    _embed_art(gif, "mp3", image_bytes("GIF"))
    assert formats.extract_cover(gif, formats.check_file(gif, gif.name)) is None


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_a_videos_cover_is_its_frame_at_ten_percent(tmp_path: Path, fmt: str) -> None:
    # 10 s whose colour changes each second: red, green, blue, yellow, ...; 10% is the second second.
    path = write_video(tmp_path / f"film.{fmt}", seconds=10.0, size=(32, 24), fps=4, with_audio=False)
    facts = formats.check_file(path, path.name)
    cover = formats.extract_cover(path, facts)
    assert cover is not None
    with Image.open(io.BytesIO(cover)) as image:
        assert image.format == "JPEG" and image.size == (32, 24)
        red, green, blue = image.convert("RGB").getpixel((16, 12))
    assert green > 150 and red < 80 and blue < 80
    (tmp_path / "poster.jpg").write_bytes(cover)
    assert media.check_cover(tmp_path / "poster.jpg").ext == "jpg"


@pytest.mark.parametrize("fmt", ["mp3", "m4a", "ogg", "flac", "wav"])
def test_an_audio_sample_is_the_first_seconds_in_the_same_format(tmp_path: Path, fmt: str) -> None:
    path = write_audio(tmp_path / f"track.{fmt}", seconds=8.0)
    facts = formats.check_file(path, path.name)
    sample = formats.make_sample(path, facts, tmp_path / "samples", seconds=3)
    assert sample == tmp_path / "samples" / f"sample.{fmt}"
    checked = formats.check_file(sample, sample.name)
    assert checked.format == fmt and checked.codecs == facts.codecs
    assert checked.duration_ms is not None and 2500 <= checked.duration_ms <= 3600
    assert formats.sample_media_type(sample) == facts.media_type


def test_a_sample_carries_no_tags_or_artwork_of_the_original(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "track.mp3", seconds=8.0)
    _embed_art(path, "mp3")
    sample = formats.make_sample(path, formats.check_file(path, path.name), tmp_path / "s", seconds=3)
    assert sample is not None
    data = sample.read_bytes()
    assert b"Secret Title" not in data and ART not in data


def test_a_sample_is_never_more_than_half_the_file(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "short.flac", seconds=4.0)
    facts = formats.check_file(path, path.name)
    assert av_samples.sample_seconds(facts, 30) == 2.0
    sample = formats.make_sample(path, facts, tmp_path / "s", seconds=30)
    assert sample is not None
    duration = formats.check_file(sample, sample.name).duration_ms
    assert duration is not None and duration <= 2300


def test_no_seconds_no_sample(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "track.mp3")
    assert formats.make_sample(path, formats.check_file(path, path.name), tmp_path / "s", seconds=0) is None
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("fmt", ["mp4", "webm"])
def test_a_video_sample_is_a_clip_that_plays_while_it_downloads(tmp_path: Path, fmt: str) -> None:
    path = write_video(tmp_path / f"film.{fmt}", seconds=8.0, size=(32, 24), fps=4)
    facts = formats.check_file(path, path.name)
    sample = formats.make_sample(path, facts, tmp_path / "samples", seconds=2)
    assert sample is not None and sample.suffix == f".{fmt}"
    checked = formats.check_file(sample, sample.name)
    assert checked.codecs == facts.codecs and (checked.width, checked.height) == (32, 24)
    assert checked.duration_ms is not None and 1500 <= checked.duration_ms <= 3200
    data = sample.read_bytes()
    if fmt == "mp4":
        assert data.find(b"moov") < data.find(b"mdat")  # "fast start": the index first


def test_pdfs_keep_their_page_previews_and_no_sample(tmp_path: Path) -> None:
    from tests.catalog.files import write_pdf

    path = write_pdf(tmp_path / "guide.pdf", pages=3)
    facts = formats.check_file(path, "guide.pdf")
    assert (facts.format, facts.pages, facts.media_type) == ("pdf", 3, "application/pdf")
    assert len(formats.preview_pages(path, facts, 2)) == 2
    assert formats.make_sample(path, facts, tmp_path / "s") is None
    cover = formats.extract_cover(path, facts)
    assert cover is not None and cover.startswith(b"\x89PNG")


def test_a_big_videos_poster_is_scaled_down(tmp_path: Path) -> None:
    path = write_video(tmp_path / "wide.mp4", seconds=1.0, size=(2000, 1000), fps=2, with_audio=False)
    cover = formats.extract_cover(path, formats.check_file(path, path.name))
    assert cover is not None
    with Image.open(io.BytesIO(cover)) as image:
        assert image.size == (av_samples.POSTER_SIDE, av_samples.POSTER_SIDE // 2)
