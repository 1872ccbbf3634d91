"""Public samples of audio and video, and a video's poster frame, made with PyAV (FFmpeg).

A sample is the first seconds of the file, remuxed into a fresh file of the same container: packets are
copied, not re-encoded (fast, no quality lost, memory flat), and nothing else of the original is: no
tags, no artwork, no other streams, no bytes the shop did not write itself. A sample is never more than
half of the file, so a short track is never given away whole. MP4 samples are written "fast start"
(index first), so browsers play them while they download.

A video's cover is its frame at 10% of its length (past title cards and black openings), decoded after
one seek to the keyframe before it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING

from paidpdf.content.formats.av_probe import WINDOW_SECONDS, open_media
from paidpdf.content.formats.facts import VIDEO_FORMATS, FileFacts
from paidpdf.errors import InvalidInput

if TYPE_CHECKING:
    from av.audio.frame import AudioFrame
    from av.container import InputContainer, OutputContainer
    from av.stream import Stream

#: The muxer each format's samples are written with, and the extension of the sample file.
MUXERS = {
    "mp3": "mp3", "m4a": "mp4", "ogg": "ogg", "flac": "flac", "wav": "wav", "mp4": "mp4", "webm": "webm",
}

#: Formats whose samples are encoded again (losslessly) instead of copied: a FLAC file's header
#: states its length and checksum, which copied packets would contradict; FFmpeg's encoder writes
#: the right ones.
REENCODED = {"flac": "flac"}

#: Samples are at most this long whatever is asked (5 minutes), and at most half of the file.
MAX_SAMPLE_SECONDS = 300
#: Where in a video its cover frame is taken, as a fraction of its length.
COVER_AT = 0.10
#: Frames decoded after the seek at most, looking for the cover frame (bounded time on long GOPs).
MAX_COVER_FRAMES = 600
#: The poster is scaled to fit this many pixels on its longest side, and stored as JPEG.
POSTER_SIDE = 1600


def sample_seconds(facts: FileFacts, seconds: int) -> float:
    """How long the sample of a file is: as asked, at most `MAX_SAMPLE_SECONDS` and half of the file."""
    length = min(float(seconds), float(MAX_SAMPLE_SECONDS))
    if facts.duration_ms:
        length = min(length, facts.duration_ms / 2000)
    return max(0.0, length)


def cut_sample(path: Path, facts: FileFacts, dest: Path, seconds: int) -> Path | None:
    """Write the sample of a checked audio or video file into folder `dest`; its path, or None when
    `seconds` is 0 (no sample wanted)."""
    import av

    length = sample_seconds(facts, seconds)
    if length <= 0:
        return None
    dest.mkdir(parents=True, exist_ok=True)
    out_path = dest / f"sample.{facts.format}"
    options = {"movflags": "+faststart"} if MUXERS[facts.format] == "mp4" else {}
    try:
        head = [(0.0, length + WINDOW_SECONDS)]  # a long MP4's index: these seconds only
        with path.open("rb") as handle, open_media(handle, facts.format, path.name, lambda _: head) as source:
            streams = _content_streams(source, facts)
            with av.open(str(out_path), "w", format=MUXERS[facts.format], options=options) as out:
                if facts.format in REENCODED:
                    _reencode_audio(source, streams[0], out, REENCODED[facts.format], length)
                else:
                    targets = {s.index: out.add_stream_from_template(s) for s in streams}
                    _copy_packets(source, streams, targets, out, length)
    except av.FFmpegError as exc:
        out_path.unlink(missing_ok=True)
        raise InvalidInput(f"cannot cut a sample of {path.name} ({exc})") from None
    return out_path


def _content_streams(source: InputContainer, facts: FileFacts) -> list[Stream]:
    import av

    audio = [s for s in source.streams if s.type == "audio"][:1]
    video = [s for s in source.streams
             if s.type == "video" and not s.disposition & av.stream.Disposition.attached_pic][:1]
    return [*video, *audio] if facts.format in VIDEO_FORMATS else audio


def _copy_packets(source: InputContainer, streams: list[Stream], targets: dict[int, Stream],
                  out: OutputContainer, length: float) -> None:
    """Copy packets until every stream has passed `length` seconds from its first packet (decoding
    order, so no frame a copied one depends on is left out), or the file ends."""
    open_streams = set(targets)
    first: dict[int, int] = {}
    for packet in source.demux(streams):
        index = packet.stream.index
        if packet.dts is None or index not in open_streams:
            continue
        start = first.setdefault(index, packet.dts)
        if packet.time_base is not None and (packet.dts - start) * packet.time_base >= length:
            open_streams.discard(index)
            if not open_streams:
                break
            continue
        packet.stream = targets[index]
        out.mux(packet)


def _reencode_audio(source: InputContainer, stream: Stream, out: OutputContainer, codec: str,
                    length: float) -> None:
    """Decode the first `length` seconds of `stream` and encode them again with `codec`."""
    import av

    assert isinstance(stream, av.audio.stream.AudioStream)
    context = stream.codec_context
    target = out.add_stream(codec, rate=context.sample_rate)
    assert isinstance(target, av.audio.stream.AudioStream)
    target.layout = context.layout
    accepted = [f.name for f in target.codec_context.codec.audio_formats or []]
    wanted = context.format.name if context.format.name in accepted or not accepted else accepted[0]
    resampler = av.AudioResampler(format=wanted, layout=context.layout, rate=context.sample_rate)
    samples_left = int(length * context.sample_rate)
    for frame in source.decode(stream):
        if samples_left <= 0:
            break
        if frame.samples > samples_left:
            frame = _first_samples(frame, samples_left)
        samples_left -= frame.samples
        for converted in resampler.resample(frame):
            out.mux(target.encode(converted))
    for converted in resampler.resample(None):
        out.mux(target.encode(converted))
    out.mux(target.encode(None))


def _first_samples(frame: AudioFrame, count: int) -> AudioFrame:
    """The first `count` samples of an audio frame (the sample ends mid-frame)."""
    import av

    cut = av.AudioFrame(format=frame.format.name, layout=frame.layout.name, samples=count)
    size = frame.format.bytes * (1 if frame.format.is_planar else len(frame.layout.channels))
    for source, target in zip(frame.planes, cut.planes, strict=True):
        target.update(bytes(source)[: count * size])
    cut.sample_rate, cut.pts, cut.time_base = frame.sample_rate, frame.pts, frame.time_base
    return cut


def video_frame(path: Path, facts: FileFacts) -> bytes | None:
    """The video's frame at `COVER_AT` of its length as JPEG bytes, or None if no frame decodes."""
    import av

    target = (facts.duration_ms or 0) / 1000 * COVER_AT
    picture = None
    spans = [(target - WINDOW_SECONDS, target + WINDOW_SECONDS)]
    with path.open("rb") as handle, open_media(handle, facts.format, path.name, lambda _: spans) as source:
        stream = next(s for s in source.streams
                      if s.type == "video" and not s.disposition & av.stream.Disposition.attached_pic)
        stream.codec_context.thread_count = 1
        try:
            if target > 0 and stream.time_base:
                source.seek(int(target / stream.time_base), stream=stream, backward=True)
            for count, frame in enumerate(source.decode(stream)):
                if not isinstance(frame, av.VideoFrame):
                    continue
                picture = frame
                if (frame.time is not None and frame.time >= target) or count >= MAX_COVER_FRAMES:
                    break
        except av.FFmpegError:
            pass  # the frames decoded before the error (if any) still make a cover
        if picture is None:
            return None
        # Scaled by FFmpeg before it becomes a Pillow image: an 8K frame never exists as RGB in memory.
        scale = min(1.0, POSTER_SIDE / max(picture.width, picture.height, 1))
        width, height = max(1, round(picture.width * scale)), max(1, round(picture.height * scale))
        image = picture.reformat(width=width, height=height, format="rgb24").to_image()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue()
