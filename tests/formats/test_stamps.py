"""Each format's stamp template on its own (no shop): the stamped copy is still a valid file of its
format, decodes to the same sound and pictures, carries the line where its readers look, and the
awkward layouts are handled: an MP3 without a tag, a Vorbis stream, an Ogg comment spread over
several pages, a fast-start MP4 (every chunk offset moved), a ZIP with a comment, an EPUB 2 book."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import av
import mutagen
import pytest

from paidpdf.content import formats
from paidpdf.content.format_stamps import _builders
from paidpdf.content.format_stamps.segments import merged
from paidpdf.content.format_stamps.stamp_line import LINE_BYTES, Stamp
from paidpdf.errors import InvalidInput
from tests.formats import files

STAMP = Stamp("reader+ü@example.com", "ord_123abc", "ord_123abc", "ppdf:ord_123abc:v2:00112233aabbccdd")


def stamped(kind: str, data: bytes, tmp_path: Path, name: str = "copy") -> Path:
    template = _builders()[kind](io.BytesIO(data), len(data), f"{name}.{kind}")
    out = b"".join(s if isinstance(s, bytes) else data[s[0] : s[0] + s[1]]
                   for s in merged(template.segments(STAMP)))
    path = tmp_path / f"{name}.{kind}"
    path.write_bytes(out)
    assert formats.check_file(path, path.name).format == kind
    assert STAMP.ident.encode() in out
    return path


def decoded(data: bytes | Path) -> list[bytes]:
    with av.open(io.BytesIO(data) if isinstance(data, bytes) else str(data)) as media:
        return [bytes(packet) for packet in media.demux() if packet.size]


def test_an_mp3_without_a_tag_gets_one_and_the_same_sound(tmp_path: Path) -> None:
    data = files.audio_bytes("mp3")
    if data.startswith(b"ID3"):  # the encoder's own tag is cut off: frames only
        data = data[10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]) :]
    assert not data.startswith(b"ID3")
    path = stamped("mp3", data, tmp_path)
    assert "ppdf:" in str(mutagen.File(path).tags["TXXX:PAIDPDF_LICENSE"])
    assert decoded(path) == decoded(data)


def test_a_vorbis_stream_takes_the_comment_and_decodes_the_same(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="ogg") as out:
        stream = out.add_stream("vorbis", rate=44100, options={"strict": "experimental"})
        stream.layout = "stereo"
        stream.codec_context.options = {"strict": "-2"}
        files._encode_audio(out, stream, 44100, 1.0)
    path = stamped("ogg", buffer.getvalue(), tmp_path)
    assert mutagen.File(path).tags["PAIDPDF_LICENSE"][0].startswith("Licensed to reader+ü@example.com")
    assert decoded(path) == decoded(buffer.getvalue())


def test_an_ogg_comment_over_several_pages_keeps_its_page_count(tmp_path: Path) -> None:
    source = tmp_path / "long.ogg"
    source.write_bytes(files.audio_bytes("ogg"))
    tagged = mutagen.File(source)
    tagged["COMMENT"] = ["x" * 70_000]  # more than one page (255 × 255 bytes) of comment
    tagged.save()
    data = source.read_bytes()
    template = _builders()["ogg"](io.BytesIO(data), len(data), "long.ogg")
    assert template.pages >= 2  # type: ignore[attr-defined]
    path = stamped("ogg", data, tmp_path)
    assert len(mutagen.File(path).tags["COMMENT"][0]) == 70_000
    assert decoded(path) == decoded(data)


def test_a_fast_start_mp4_moves_every_chunk_offset(tmp_path: Path) -> None:
    data = files.video_bytes("mp4", seconds=2.0, faststart=True)
    assert data.index(b"moov") < data.index(b"mdat")
    path = stamped("mp4", data, tmp_path)
    assert decoded(path) == decoded(data)  # the same packets: offsets point at the moved data
    with av.open(str(path)) as video:
        assert video.metadata["PAIDPDF_LICENSE"].rstrip().endswith(STAMP.ident)


@pytest.mark.parametrize("kind", ["m4a", "flac", "wav", "webm"])
def test_tags_and_metadata_leave_the_sound_and_pictures_alone(kind: str, tmp_path: Path) -> None:
    data = files.video_bytes(kind) if kind == "webm" else files.audio_bytes(kind)
    path = stamped(kind, data, tmp_path)
    assert decoded(path) == decoded(data)


def test_a_zip_with_a_comment_keeps_its_entries_and_comment(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app/run.sh", "echo hi\n" * 100, zipfile.ZIP_DEFLATED)
        archive.comment = b"release 1.2"
    data = buffer.getvalue()
    path = stamped("zip", data, tmp_path)
    assert path.read_bytes().startswith(data[: data.index(b"PK\x01\x02")])  # local entries unchanged
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None and archive.comment == b"release 1.2"
        assert archive.namelist() == ["app/run.sh", "LICENSE-ord_123abc.txt"]
        assert "Licensed to reader+ü@example.com" in archive.read("LICENSE-ord_123abc.txt").decode()


def test_an_epub2_book_is_stamped_in_every_chapter_and_its_metadata(tmp_path: Path) -> None:
    path = stamped("epub", files.epub_bytes(version="2.0", chapters=4), tmp_path)
    with zipfile.ZipFile(path) as book:
        assert book.testzip() is None and book.namelist()[0] == "mimetype"
        for number in range(1, 5):
            chapter = book.read(f"OEBPS/c{number}.xhtml").decode()
            assert "Licensed to reader+ü@example.com · order ord_123abc" in chapter
            assert chapter.rstrip().endswith("</html>")
        assert f'id="paidpdf-license">{STAMP.ident}' in book.read("OEBPS/content.opf").decode()


def test_the_line_is_fixed_width_and_escaped_and_never_cuts_the_identifier() -> None:
    long = Stamp("a-very-long-name&more" * 20 + "@example.com", "ord_1", "ord_1", STAMP.ident)
    line = long.line(LINE_BYTES, xml=True)
    assert len(line) == LINE_BYTES and line.rstrip().endswith(STAMP.ident.encode())
    assert b"&amp;" in line and b"&more" not in line.replace(b"&amp;", b"")


def test_a_file_that_is_not_what_it_claims_cannot_be_stamped() -> None:
    with pytest.raises(InvalidInput, match="cannot be stamped"):
        _builders()["zip"](io.BytesIO(b"not a zip at all"), 16, "x.zip")
    with pytest.raises(InvalidInput, match="cannot be stamped"):
        _builders()["webm"](io.BytesIO(b"\x00" * 64), 64, "x.webm")


def test_templates_kept_on_disk_read_back_the_same_and_refuse_other_types(tmp_path: Path) -> None:
    from paidpdf.content.format_stamps import template_files

    sha = "ab" * 32
    made = {
        "epub": files.epub_bytes(), "zip": files.zip_bytes([("a.txt", b"a")]),
        "ogg": files.audio_bytes("ogg"), "mp3": files.audio_bytes("mp3"),
        "mp4": files.video_bytes("mp4"), "webm": files.video_bytes("webm"),
    }
    for kind, data in made.items():
        template = _builders()[kind](io.BytesIO(data), len(data), kind)
        template_files.save(tmp_path, sha, kind, template, 1)
        assert template_files.load(tmp_path, sha, kind, 1) == template, kind
        assert template_files.load(tmp_path, sha, kind, 2) is None  # another template format: rebuilt
    path = template_files.path_for(tmp_path, sha, "zip")
    path.write_text('{"version": 1, "template": {"d": "Popen", "v": {"args": "true"}}}')
    assert template_files.load(tmp_path, sha, "zip", 1) is None  # only template classes are made
    path.write_text("{damaged")
    assert template_files.load(tmp_path, sha, "zip", 1) is None
