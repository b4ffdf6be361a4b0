"""Shots and keyframes from one decode of a video.

Every frame goes to the shot detector at ``detect_width``; a few frames a
second are kept, at thumbnail size, as keyframe candidates. When a shot closes
its keyframes are picked from those candidates and the rest are dropped, so
memory is bounded by the longest shot, not the video.

Keyframe rule: a shot of length L gets n = max(1, round(L / keyframe_every_s))
keyframes, the candidates nearest the centres of n equal parts of the shot.
"""

from __future__ import annotations

import bisect
import io
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from models.shot_detector import make_shot_detector
from modules.media import DecodeStats, FrameScaler, iter_frames, upright_rgb
from modules.schema import Shot, VideoInfo
from modules.settings import Settings

log = logging.getLogger(__name__)

MAX_CANDIDATES_PER_SHOT = 256  # thinned by half past this: bounds memory on very long shots


@dataclass
class PickedFrame:
    shot_index: int
    time_s: float
    rgb: np.ndarray  # (h, w, 3) uint8 at thumbnail width


@dataclass
class ShotScan:
    shots: list[Shot]
    keyframes: list[PickedFrame]
    duration_s: float
    stats: DecodeStats = field(default_factory=DecodeStats)


def _even(x: float) -> int:
    return max(2, int(round(x / 2)) * 2)


def scan_video(info: VideoInfo, settings: Settings, progress: Callable[[float], None] | None = None,
               on_frame: Callable[[float, object], None] | None = None) -> ShotScan:
    """Decode ``info.path`` once: detect cuts and pick keyframes; ``on_frame(time_s, frame)``
    sees every decoded frame too (the on-screen text stage samples from it).

    Raises VideoOpenFailure (from the decoder) when not one frame decodes.
    """
    from modules.errors import VideoOpenFailure

    fps = info.fps
    detector = make_shot_detector(settings.shot_detector, settings.shot_threshold, settings.min_shot_s, fps)
    aspect = info.height / info.width
    dw, dh = settings.detect_width, _even(settings.detect_width * aspect)
    tw = settings.thumb_width

    times: list[float] = []
    numbers: list[int] = []  # each decoded frame's number in the stream (with reference_only, some are skipped)
    recent: deque = deque(maxlen=detector.lag_frames + 2)  # (idx, t, frame) to catch the first frame of a shot
    candidates: list[tuple[int, float, np.ndarray]] = []
    cand_step = 1.0 / settings.candidate_fps
    next_cand_t = 0.0
    shot_start_idx = 0
    shots: list[Shot] = []
    picked: list[PickedFrame] = []
    stats = DecodeStats()
    last_report = 0.0
    # the detector compares colour histograms of a small copy: the fast scaler is as good for that
    small_copy, thumb = FrameScaler("bgr24", "FAST_BILINEAR"), FrameScaler()

    def close_shot(end_idx: int, end_t: float) -> None:
        nonlocal candidates, shot_start_idx
        start_t = times[shot_start_idx]
        mine = [c for c in candidates if shot_start_idx <= c[0] < end_idx]
        candidates = [c for c in candidates if c[0] >= end_idx]
        if end_t - start_t <= 0:
            return
        index = len(shots)
        shots.append(Shot(index, start_t, end_t))
        picked.extend(PickedFrame(index, t, rgb) for t, rgb in _pick(mine, start_t, end_t, settings.keyframe_every_s))
        shot_start_idx = end_idx

    frames = iter_frames(info.path, stats, reference_only=settings.decode_reference_only,
                         skip_loop_filter=settings.decode_skip_loop_filter)
    for idx, (t, frame) in enumerate(frames):
        times.append(t)
        # the detector counts frames of the stream (its minimum shot length is in frames), not decoded ones
        number = max(int(round(t * fps)), numbers[-1] + 1 if numbers else 0)
        numbers.append(number)
        recent.append((idx, t, frame))
        if on_frame is not None:
            on_frame(t, frame)
        small = small_copy.array(frame, dw, dh)
        if t >= next_cand_t:
            candidates.append((idx, t, upright_rgb(frame, tw, thumb)))
            next_cand_t = t + cand_step
        for cut_number in detector.push(number, small):
            cut = bisect.bisect_left(numbers, cut_number)  # the first decoded frame of the new shot
            _ensure_candidate(candidates, recent, cut, tw, thumb)
            if shot_start_idx < cut < len(times):
                close_shot(cut, times[cut])
        if len(candidates) > MAX_CANDIDATES_PER_SHOT:
            candidates = candidates[::2]
        if progress and t - last_report >= 1.0:
            progress(t)
            last_report = t
    if not times:
        raise VideoOpenFailure(f"{info.path.name}: no video frame could be decoded")
    for cut_number in detector.flush(numbers[-1]):
        cut = bisect.bisect_left(numbers, cut_number)
        if shot_start_idx < cut < len(times):
            close_shot(cut, times[cut])
    end_t = times[-1] + 1.0 / fps
    close_shot(len(times), end_t)
    if progress:
        progress(end_t)
    return ShotScan(shots, picked, end_t, stats)


def _ensure_candidate(candidates, recent, cut_idx: int, tw: int, thumb: FrameScaler) -> None:
    """Keep the first frame of a new shot as a candidate, so even a very short shot has one."""
    if any(c[0] == cut_idx for c in candidates):
        return
    for idx, t, frame in recent:
        if idx == cut_idx:
            candidates.append((idx, t, upright_rgb(frame, tw, thumb)))
            candidates.sort(key=lambda c: c[0])
            return


def _pick(cands, start_t: float, end_t: float, every_s: float) -> list[tuple[float, np.ndarray]]:
    if not cands:
        return []
    n = max(1, int(round((end_t - start_t) / every_s)))
    span = (end_t - start_t) / n
    chosen: dict[int, tuple[float, np.ndarray]] = {}
    ts = np.array([c[1] for c in cands])
    for i in range(n):
        target = start_t + (i + 0.5) * span
        j = int(np.argmin(np.abs(ts - target)))
        chosen[j] = (cands[j][1], cands[j][2])
    return [chosen[j] for j in sorted(chosen)]


def encode_jpeg(rgb: np.ndarray, quality: int = 82) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


def decode_jpeg(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.array(Image.open(io.BytesIO(data)).convert("RGB"))  # a writable copy: torch wants one
