"""Time and memory of checking a big video and a big audio file (`formats.check_file`, `extract_cover`,
`make_sample`): they must stay flat whatever the file's size.

Not a test: run `python3 bench/format_probe.py [--video-mb 2048 --audio-mb 512]`. Each measurement runs
in a fresh child process and reports its time and peak RSS (its own VmHWM: `peak_memory.py`). The peers, in the same run: the same work on a
small file of the same kind (the time and memory ratios big/small should be ~1 when reading is flat),
and an idle child that imports the same libraries and does nothing (peak memory above idle is what the
check costs; the target is under 100 MB). The files are made by encoding a few seconds of noise with
PyAV once and repeating its packets with shifted timestamps, so a 2 GB video takes seconds to make.
Runs alternate small, big then big, small (A B / B A) for at least 3 rounds; medians are shown.
`--quick` (small sizes, seconds) is what the test suite runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def _noise_packets(kind: str) -> tuple[list[object], object]:
    """Packets of a few seconds of incompressible noise (so few packets make many bytes)."""
    import io
    from fractions import Fraction

    import av
    from PIL import Image

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        if kind == "video":
            stream = out.add_stream("libx264", rate=25, options={"crf": "10", "bf": "0", "preset": "ultrafast"})
            stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
            for index in range(25):
                image = Image.frombytes("RGB", (320, 240), os.urandom(320 * 240 * 3))
                frame = av.VideoFrame.from_image(image)
                frame.pts = index
                out.mux(stream.encode(frame))
        else:
            stream = out.add_stream("aac", rate=48000, options={"b": "256k"})
            stream.layout = "stereo"
            for index in range(200):
                frame = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
                for plane in frame.planes:
                    plane.update(bytes(b % 64 for b in os.urandom(1024 * 4)))
                frame.sample_rate, frame.pts, frame.time_base = 48000, index * 1024, Fraction(1, 48000)
                out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    buffer.seek(0)
    source = av.open(buffer)
    packets = [p for p in source.demux() if p.dts is not None]
    return packets, source


def write_media(path: Path, kind: str, size_mb: int) -> None:
    """An MP4 (H.264) or M4A (AAC) file of about `size_mb` MiB: the noise packets again and again."""
    import av

    packets, source = _noise_packets(kind)
    template = source.streams[0]  # type: ignore[attr-defined]
    dts = [p.dts for p in packets]  # type: ignore[attr-defined]
    span = max(dts) - min(dts) + (dts[1] - dts[0])
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream_from_template(template)
        written, shift = 0, 0
        while written < size_mb * MIB:
            for packet in packets:
                copy = av.Packet(bytes(packet))  # type: ignore[arg-type]
                copy.pts = packet.pts + shift  # type: ignore[attr-defined]
                copy.dts = packet.dts + shift  # type: ignore[attr-defined]
                copy.time_base = packet.time_base  # type: ignore[attr-defined]
                copy.is_keyframe = packet.is_keyframe  # type: ignore[attr-defined]
                copy.stream = stream
                out.mux(copy)
                written += copy.size
            shift += span
    source.close()  # type: ignore[attr-defined]


CHILD = r"""
import json, sys, time, tempfile
from pathlib import Path
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/bench"]
from peak_memory import peak_mb
mode, src = sys.argv[2], Path(sys.argv[3])
import av, PIL.Image, mutagen
from paidpdf.content import formats
from paidpdf.content.formats import av_probe, av_samples, audio_art
start = time.perf_counter()
if mode != "idle":
    facts = formats.check_file(src, src.name)
    cover = formats.extract_cover(src, facts)
    with tempfile.TemporaryDirectory() as folder:
        sample = formats.make_sample(src, facts, Path(folder), 30)
elapsed = time.perf_counter() - start
print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb()}))
"""


def measure(mode: str, src: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), mode, str(src)],
                          check=True, capture_output=True, text=True)
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-mb", type=int, default=16)
    parser.add_argument("--video-mb", type=int, default=2048)
    parser.add_argument("--audio-mb", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=3, help="A B / B A rounds; medians are shown")
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds (run by the test suite)")
    args = parser.parse_args()
    if args.quick:
        args.small_mb, args.video_mb, args.audio_mb = 2, 16, 8
    with tempfile.TemporaryDirectory(prefix="paidpdf-bench-") as tmp:
        scratch = Path(tmp)
        files = {}
        for kind, ext, big in (("video", "mp4", args.video_mb), ("audio", "m4a", args.audio_mb)):
            for label, size in (("small", args.small_mb), ("big", big)):
                files[(kind, label)] = scratch / f"{label}.{ext}"
                write_media(files[(kind, label)], kind, size)
        rounds = 1 if args.quick else max(3, args.rounds)  # --quick: the suite only checks it runs
        idle = [measure("idle", files[("video", "small")]) for _ in range(rounds)]
        idle_mb = statistics.median(r["peak_mb"] for r in idle)
        runs: dict[tuple[str, str], list[dict[str, float]]] = {}
        for number in range(rounds):
            for kind in ("video", "audio"):
                for label in ("small", "big") if number % 2 == 0 else ("big", "small"):
                    runs.setdefault((kind, label), []).append(measure("check", files[(kind, label)]))
        print(f"idle (imports only): peak RSS {idle_mb:.0f} MB")
        print(f"| {'file':<6} | {'size':>8} | {'check+cover+sample':>18} | {'peak RSS':>9} | {'above idle':>10} |")
        print(f"|{'-' * 8}|{'-' * 10}|{'-' * 20}|{'-' * 11}|{'-' * 12}|")
        medians = {}
        for (kind, label), found in sorted(runs.items()):
            seconds = statistics.median(r["seconds"] for r in found)
            peak = statistics.median(r["peak_mb"] for r in found)
            medians[(kind, label)] = (seconds, peak)
            size = files[(kind, label)].stat().st_size / MIB
            print(f"| {kind:<6} | {size:6.0f}MB | {seconds:17.2f}s | {peak:7.0f}MB | {peak - idle_mb:8.0f}MB |")
        for kind in ("video", "audio"):
            (small_s, small_mb), (big_s, big_mb) = medians[(kind, "small")], medians[(kind, "big")]
            ratio = files[(kind, "big")].stat().st_size / files[(kind, "small")].stat().st_size
            print(f"{kind}: big/small time {big_s / small_s:.2f}x, peak memory {big_mb / small_mb:.2f}x,"
                  f" above idle {big_mb - idle_mb:.0f} MB (file size ratio {ratio:.0f}x)")


if __name__ == "__main__":
    main()
