"""Audio (MP3, M4A, Ogg, FLAC, WAV) and video (MP4, WebM): probed and partly decoded with PyAV (FFmpeg).

A media file passes when its first bytes are those of its claimed container (sniff.py), FFmpeg's demuxer
for that container, and only that one, opens it (FFmpeg never guesses: a playlist or concat script
posing as media is never interpreted), its streams carry codecs browsers play in that container, and a
few packets decode both at the start and near the end (a file cut short in transfer fails there).

The file is handed to FFmpeg as an open Python file, not a path, so no name is ever read as an FFmpeg
protocol ("concat:", "http:"). Only headers and a few packets are read, at the start and after one seek:
probing a 2 GB video takes the same time and memory as probing a short one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from paidpdf.content.formats.facts import MEDIA_TYPES, VIDEO_FORMATS, FileFacts
from paidpdf.content.formats.sniff import expect
from paidpdf.errors import InvalidInput

if TYPE_CHECKING:
    from av.container import InputContainer
    from av.stream import Stream

    from paidpdf.content.format_stamps.segments import SegmentedFile
    from paidpdf.content.formats.mp4_window import Spans


@dataclass(frozen=True)
class Container:
    """What a format allows: FFmpeg's demuxer, and the codecs its audio and video streams may use."""

    demuxer: str
    audio: frozenset[str]
    video: frozenset[str]


_PCM = frozenset({"pcm_u8", "pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le", "pcm_alaw",
                  "pcm_mulaw"})

#: Per format: the demuxer forced on the file and the codecs accepted (FFmpeg's codec names).
CONTAINERS: dict[str, Container] = {
    "mp3": Container("mp3", frozenset({"mp3"}), frozenset()),
    "m4a": Container("mp4", frozenset({"aac", "alac"}), frozenset()),
    "ogg": Container("ogg", frozenset({"vorbis", "opus", "flac"}), frozenset()),
    "flac": Container("flac", frozenset({"flac"}), frozenset()),
    "wav": Container("wav", _PCM, frozenset()),
    "mp4": Container("mp4", frozenset({"aac", "mp3"}), frozenset({"h264"})),
    "webm": Container("webm", frozenset({"vorbis", "opus"}), frozenset({"vp8", "vp9", "av1"})),
}

#: How each format is named in messages.
DISPLAY = {
    "mp3": "MP3", "m4a": "M4A", "ogg": "Ogg", "flac": "FLAC", "wav": "WAV", "mp4": "MP4", "webm": "WebM",
}

#: Packets demuxed at each place looked at, and frames that must decode there.
PROBE_PACKETS = 200
#: The end check seeks this many seconds before the claimed end, and demuxes at most this many packets
#: (without decoding them: only the first after the seek is decoded) to reach it.
END_SECONDS = 3
END_PACKETS = 5000
#: Each stream must have a packet starting within this many milliseconds of the claimed end.
REACH_MARGIN_MS = 1000
#: A video larger than this on a side is refused (8K): its frames could not be decoded within memory.
MAX_VIDEO_SIDE = 8192
#: Seconds at the start and at the end a long MP4 shows FFmpeg while it is checked (`mp4_window`).
WINDOW_SECONDS = 10
#: FFmpeg reads at most this much to find the streams' parameters (its default is 5 MB too).
PROBE_SIZE = 5 * 1024 * 1024


def check_media(path: Path, claimed: str, filename: str) -> FileFacts:
    """Prove that `path` is the audio or video format `claimed`; its duration, codecs and dimensions."""
    import av

    rules = CONTAINERS[claimed]
    size = path.stat().st_size
    with path.open("rb") as handle:
        expect(path, handle, claimed, filename)
        if claimed == "wav":
            _check_wav_length(handle, size, filename)
        with open_media(handle, claimed, filename, spans=_start_and_end) as container:
            streams = _chosen_streams(container, claimed, rules, filename)
            for stream in streams:
                stream.codec_context.thread_count = 1  # no frame threading: frames come out at once
            _decode_some(container, streams, filename)
            duration_ms = _duration_ms(container, streams)
            if duration_ms and duration_ms > END_SECONDS * 1000:
                _reach_end(container, streams, duration_ms, filename)
            video = next((s for s in streams if isinstance(s, av.video.stream.VideoStream)), None)
            width = video.codec_context.width if video is not None else None
            height = video.codec_context.height if video is not None else None
            details: dict[str, str | int] = {"container": container.format.name}
            if container.bit_rate:
                details["bitrate"] = int(container.bit_rate)
            audio = next((s for s in streams if isinstance(s, av.audio.stream.AudioStream)), None)
            if audio is not None:
                details["sample_rate"] = int(audio.codec_context.sample_rate or 0)
                details["channels"] = int(audio.codec_context.channels or 0)
            title = container.metadata.get("title") or container.metadata.get("TITLE")
            codecs = tuple(codec_name(s) for s in streams)
    return FileFacts(
        format=claimed,
        media_type=MEDIA_TYPES[claimed],
        size=size,
        duration_ms=duration_ms,
        width=width,
        height=height,
        codecs=codecs,
        title=(str(title).strip()[:200] or None) if title else None,
        details=details,
    )


def open_media(handle: BinaryIO, claimed: str, filename: str, spans: Spans | None = None) -> InputContainer:
    """Open `handle` with the demuxer of the `claimed` format only; `InvalidInput` if it cannot.
    `spans`: the seconds the caller will read; a long MP4 or M4A is then opened through a window of
    them (`mp4_window`), so FFmpeg's index, and memory, stay the same size whatever its length."""
    import av

    source: BinaryIO | SegmentedFile = handle
    if spans is not None and claimed in ("mp4", "m4a"):
        from paidpdf.content.formats.mp4_window import window

        source = window(handle, handle.seek(0, 2), spans) or handle
    handle.seek(0)
    try:
        return av.open(source, mode="r", format=CONTAINERS[claimed].demuxer,
                       options={"probesize": str(PROBE_SIZE)})
    except av.FFmpegError as exc:
        raise InvalidInput(f"{filename} is not a readable {DISPLAY[claimed]} file ({_reason(exc)})") from None


def _start_and_end(duration: float) -> list[tuple[float, float]]:
    """What the check reads: the first seconds (decoding) and the last (`_reach_end`)."""
    return [(0.0, WINDOW_SECONDS), (duration - WINDOW_SECONDS, duration + 1)]


def codec_name(stream: Stream) -> str:
    """FFmpeg's name of a stream's codec ("mp3", not the decoder's "mp3float")."""
    codec = stream.codec_context.codec
    return str(getattr(codec, "canonical_name", None) or codec.name)


def _chosen_streams(container: InputContainer, claimed: str, rules: Container, filename: str) -> list[Stream]:
    """The streams that are the content: the first audio and (for video) the first video stream.
    Artwork attached to audio (a picture stored as a one-frame video stream) is not content."""
    import av

    audio = [s for s in container.streams if isinstance(s, av.audio.stream.AudioStream)]
    video = [s for s in container.streams if isinstance(s, av.video.stream.VideoStream)
             and not s.disposition & av.stream.Disposition.attached_pic]
    kind = DISPLAY[claimed]
    if claimed in VIDEO_FORMATS:
        if not video:
            raise InvalidInput(f"{filename} has no video (sell audio as .m4a, .mp3, .ogg, .flac, .wav)")
        if (codec := codec_name(video[0])) not in rules.video:
            raise InvalidInput(f"{filename}: {kind} video must be {_names(rules.video)}, not {codec}")
        side = max(video[0].codec_context.width or 0, video[0].codec_context.height or 0)
        if side < 1 or side > MAX_VIDEO_SIDE:
            raise InvalidInput(f"{filename}: video frames of {side} px a side (at most {MAX_VIDEO_SIDE})")
        chosen: list[Stream] = [video[0]]
    else:
        if video:
            raise InvalidInput(f"{filename} holds video: sell it as .mp4 or .webm, not .{claimed}")
        if not audio:
            raise InvalidInput(f"{filename} has no audio stream")
        chosen = []
    if audio:
        if (codec := codec_name(audio[0])) not in rules.audio:
            raise InvalidInput(f"{filename}: {kind} audio must be {_names(rules.audio)}, not {codec}")
        chosen.append(audio[0])
    return chosen


def _names(codecs: frozenset[str]) -> str:
    ordered = sorted(codecs)
    return ordered[0] if len(ordered) == 1 else ", ".join(ordered[:-1]) + " or " + ordered[-1]


def _duration_ms(container: InputContainer, streams: list[Stream]) -> int | None:
    if container.duration and container.duration > 0:
        return int(container.duration // 1000)  # AV_TIME_BASE is microseconds
    for stream in streams:
        if stream.duration and stream.time_base:
            return int(stream.duration * stream.time_base * 1000)
    return None


def _decode_some(container: InputContainer, streams: list[Stream], filename: str) -> None:
    """Decode packets of each chosen stream until each gave a frame; one that gives none within
    `PROBE_PACKETS` packets fails the file."""
    import av

    waiting = {s.index for s in streams}
    packets = 0
    try:
        for packet in container.demux(streams):
            packets += 1
            # The empty packet at the end of the file drains the decoder (a short clip's only frames).
            if packet.stream.index in waiting and packet.decode():
                waiting.discard(packet.stream.index)
            if not waiting or packets >= PROBE_PACKETS:
                break
    except av.FFmpegError as exc:
        raise InvalidInput(f"{filename} cannot be decoded ({_reason(exc)})") from None
    if waiting:
        raise InvalidInput(f"{filename} cannot be decoded: no sound or picture came out (damaged?)")


def _reach_end(container: InputContainer, streams: list[Stream], duration_ms: int, filename: str) -> None:
    """Seek to the last seconds the file claims to have and prove that they are there: each chosen
    stream must yield a packet from that time on, and decode a frame after the seek. A file cut short
    (a broken upload) claims a length in its header it no longer has, and fails here."""
    import av

    target_us = max(0, (duration_ms - END_SECONDS * 1000) * 1000)
    reach_us = max(0, (duration_ms - REACH_MARGIN_MS) * 1000)
    try:
        container.seek(target_us, backward=True, any_frame=False)
    except av.FFmpegError as exc:
        raise InvalidInput(f"{filename} is cut short or damaged near its end ({_reason(exc)})") from None
    for stream in streams:
        stream.codec_context.flush_buffers()
    undecoded = {s.index for s in streams}
    unreached = {s.index for s in streams}
    packets = 0
    try:
        for packet in container.demux(streams):
            packets += 1
            index = packet.stream.index
            if index in undecoded and packet.decode():
                undecoded.discard(index)
            when = packet.pts if packet.pts is not None else packet.dts
            if when is not None and packet.time_base and when * packet.time_base * 1_000_000 >= reach_us:
                unreached.discard(index)
            if (not undecoded and not unreached) or packets >= END_PACKETS:
                break
    except av.FFmpegError as exc:
        raise InvalidInput(f"{filename} cannot be decoded near its end ({_reason(exc)})") from None
    if undecoded or unreached:
        raise InvalidInput(
            f"{filename} is cut short: it claims {duration_ms // 1000} s but its last seconds are missing"
        )


def _check_wav_length(handle: BinaryIO, size: int, filename: str) -> None:
    """A WAV's header says how many bytes of sound follow (FFmpeg trusts the file's size instead): a
    file with fewer was cut short. Sizes of 0 or 0xFFFFFFFF mean "unknown" (recorded as a stream)."""
    handle.seek(12)
    for _ in range(64):
        header = handle.read(8)
        if len(header) < 8:
            break
        length = int.from_bytes(header[4:], "little")
        if header[:4] == b"data":
            if length not in (0, 0xFFFFFFFF) and handle.tell() + length > size:
                raise InvalidInput(f"{filename} is cut short: its header announces {length} bytes of sound,"
                                   f" {size - handle.tell()} are there")
            break
        handle.seek(length + (length & 1), 1)
    handle.seek(0)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "strerror", None) or exc).split())
    return (text[:120] + "…") if len(text) > 120 else (text or type(exc).__name__)
