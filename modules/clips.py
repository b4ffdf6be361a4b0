"""Cutting a span of a video into a clip of its own: stream copy from the keyframe at or before the
start where that is exact enough, else re-encoded (export, "cut clip" in the app)."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
from pathlib import Path

from modules.errors import VideoOpenFailure

log = logging.getLogger(__name__)


def _stream_start(stream) -> float:
    return float(stream.start_time * stream.time_base) if stream.start_time is not None and stream.time_base else 0.0


def keyframe_at_or_before(path: Path, t_s: float) -> float | None:
    """The time of the last keyframe at or before ``t_s`` (where a stream copy can start).
    Times are from the stream's start, as everywhere in the engine (``iter_frames``)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb, origin = stream.time_base, _stream_start(stream)
        container.seek(int((max(0.0, t_s) + origin) / tb) if tb else 0, stream=stream, backward=True,
                       any_frame=False)
        best = None
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            pt = float(packet.pts * tb) - origin
            if pt > t_s + 1e-6:
                break
            if packet.is_keyframe:
                best = pt
        return best


# what every browser plays inside an MP4 (Chromium, Firefox and Safari alike)
BROWSER_VIDEO = {"h264"}
BROWSER_PIXELS = {"yuv420p", "yuvj420p"}
BROWSER_AUDIO = {"aac", "mp3"}


def browser_playable(path: Path) -> bool:
    """Whether a stream copy of ``path`` into MP4 plays in a browser: H.264 4:2:0 video, AAC or MP3 audio (or
    none). An AVI of MPEG-4 Part 2 video and AC-3 audio, say, does not: its clip is re-encoded."""
    import av

    try:
        with av.open(str(path)) as c:
            v = c.streams.video[0].codec_context
            audio = [s.codec_context.name for s in c.streams.audio[:1]]
            return (v.name in BROWSER_VIDEO and (v.pix_fmt or "yuv420p") in BROWSER_PIXELS
                    and all(a in BROWSER_AUDIO for a in audio))
    except (av.FFmpegError, IndexError, OSError):
        return False


def export_clip(path: Path, start_s: float, end_s: float, out: Path, *, exact: bool = False,
                for_browser: bool = False) -> tuple[float, str]:
    """Write ``start_s``..``end_s`` of a video to ``out`` (MP4); returns where ``start_s`` falls in
    it and how it was made ("stream copy" or "re-encode").

    By default a stream copy (fast, no quality loss), which has to begin on a keyframe, so the
    clip may start up to a GOP early (the returned lead). Where the codec cannot go into MP4
    (WMV, FLV) or ``exact`` is asked for, the span is re-encoded (H.264 + AAC) and starts on the
    frame: lead 0. ``for_browser``: a source a browser cannot play from a stream copy (``browser_playable``)
    is re-encoded too. Concurrent calls for the same ``out`` each write their own temporary file
    and the last rename wins, so a reader never sees half a clip.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.{threading.get_ident()}.part.mp4")
    try:
        method = "re-encode"
        if exact or (for_browser and not browser_playable(path)):
            lead = _reencode_span(path, start_s, end_s, tmp)
        else:
            try:
                lead, method = _copy_span(path, start_s, end_s, tmp), "stream copy"
            except Exception as exc:  # noqa: BLE001 - PyAV raises ValueError or FFmpegError for codecs MP4 refuses
                log.info("%s: stream copy not possible (%s); re-encoding the span", Path(path).name, exc)
                lead = _reencode_span(path, start_s, end_s, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return lead, method


def _copy_span(path: Path, start_s: float, end_s: float, tmp: Path) -> float:
    import av

    with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4") as dst:
        streams = [src.streams.video[0]] + list(src.streams.audio[:1])
        mapping = {s.index: dst.add_stream_from_template(s) for s in streams}
        zero = _stream_start(src.streams.video[0])  # engine times count from the video stream's start
        start_s, end_s = start_s + zero, end_s + zero
        src.seek(int(max(0.0, start_s) * 1_000_000), any_frame=False)
        origin: float | None = None  # clip time zero, from the first video packet
        for packet in src.demux(streams):
            if packet.dts is None or packet.pts is None:
                continue
            t = float(packet.pts * packet.time_base)
            if packet.stream.type == "video":
                if origin is None:
                    origin = t
                if t > end_s:
                    break
            if origin is None or t < origin:
                continue
            shift = int(round(origin / packet.time_base))
            packet.pts -= shift
            packet.dts -= shift
            packet.stream = mapping[packet.stream.index]
            dst.mux(packet)
    if origin is None:
        raise VideoOpenFailure(f"{Path(path).name}: no video in {start_s:.2f}-{end_s:.2f} s")
    return max(0.0, start_s - origin)


def _reencode_span(path: Path, start_s: float, end_s: float, tmp: Path) -> float:
    """Frame-accurate: ffmpeg seeks exactly when it decodes (``-ss`` before ``-i``)."""
    if shutil.which("ffmpeg") is None:
        raise VideoOpenFailure("this clip needs re-encoding and the ffmpeg command is not installed "
                               "(sudo apt-get install ffmpeg; setup.sh does this)")
    cmd = ["ffmpeg", "-v", "error", "-y", "-ss", f"{max(0.0, start_s):.3f}", "-i", str(path),
           "-t", f"{max(0.01, end_s - start_s):.3f}", "-map", "0:v:0", "-map", "0:a:0?",
           "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p",
           "-c:a", "aac", "-b:a", "160k", "-movflags", "+faststart", "-f", "mp4", str(tmp)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise VideoOpenFailure(f"{Path(path).name}: could not cut {start_s:.2f}-{end_s:.2f} s "
                               f"({proc.stderr.strip()[-300:]})")
    return 0.0
