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


class _Cutter:
    """The state of one decode: each frame's time, the keyframe candidates of the shot still open, the
    shots closed so far and their keyframes."""

    def __init__(self, settings: Settings, thumb_width: int):
        self.settings = settings
        self.tw = thumb_width
        self.thumb = FrameScaler()
        self.times: list[float] = []
        self.candidates: list[tuple[int, float, np.ndarray]] = []
        self.shot_start_idx = 0
        self.shots: list[Shot] = []
        self.picked: list[PickedFrame] = []
        self.next_cand_t = 0.0

    def offer_candidate(self, idx: int, t: float, frame) -> None:
        if t >= self.next_cand_t:
            self.candidates.append((idx, t, upright_rgb(frame, self.tw, self.thumb)))
            self.next_cand_t = t + 1.0 / self.settings.candidate_fps

    def thin(self) -> None:
        if len(self.candidates) > MAX_CANDIDATES_PER_SHOT:
            self.candidates = self.candidates[::2]

    def cut(self, cut: int, recent) -> None:
        """A cut before decoded frame ``cut`` (its first frame is kept as a candidate)."""
        _ensure_candidate(self.candidates, recent, cut, self.tw, self.thumb)
        if self.shot_start_idx < cut < len(self.times):
            self.close_shot(cut, self.times[cut])

    def close_shot(self, end_idx: int, end_t: float) -> None:
        start_t = self.times[self.shot_start_idx]
        mine = [c for c in self.candidates if self.shot_start_idx <= c[0] < end_idx]
        self.candidates = [c for c in self.candidates if c[0] >= end_idx]
        if end_t - start_t <= 0:
            return
        index = len(self.shots)
        self.shots.append(Shot(index, start_t, end_t))
        self.picked.extend(PickedFrame(index, t, rgb)
                           for t, rgb in _pick(mine, start_t, end_t, self.settings.keyframe_every_s))
        self.shot_start_idx = end_idx


def scan_video(info: VideoInfo, settings: Settings, progress: Callable[[float], None] | None = None,
               on_frame: Callable[[float, object], None] | None = None,
               on_cut: Callable[[float], None] | None = None) -> ShotScan:
    """Decode ``info.path`` once: detect cuts and pick keyframes; ``on_frame(time_s, frame)``
    sees every decoded frame too (the channels' readers sample from it), and ``on_cut(start_s)`` hears of
    each cut as it is found (the detector's few frames late), with the time the new shot starts.

    Raises VideoOpenFailure (from the decoder) when not one frame decodes.
    """
    from modules.errors import VideoOpenFailure

    fps = info.fps
    detector = make_shot_detector(settings.shot_detector, settings.shot_threshold, settings.min_shot_s, fps)
    dw, dh = settings.detect_width, _even(settings.detect_width * info.height / info.width)
    state = _Cutter(settings, settings.thumb_width)
    numbers: list[int] = []  # each decoded frame's number in the stream (with reference_only, some are skipped)
    recent: deque = deque(maxlen=detector.lag_frames + 2)  # (idx, t, frame) to catch the first frame of a shot
    stats = DecodeStats()
    last_report = 0.0
    # the detector compares colour histograms of a small copy: the fast scaler is as good for that
    small_copy = FrameScaler("bgr24", "FAST_BILINEAR")
    frames = iter_frames(info.path, stats, reference_only=settings.decode_reference_only,
                         skip_loop_filter=settings.decode_skip_loop_filter)
    for idx, (t, frame) in enumerate(frames):
        state.times.append(t)
        # the detector counts frames of the stream (its minimum shot length is in frames), not decoded ones
        numbers.append(max(int(round(t * fps)), numbers[-1] + 1 if numbers else 0))
        recent.append((idx, t, frame))
        if on_frame is not None:
            on_frame(t, frame)
        small = small_copy.array(frame, dw, dh)
        state.offer_candidate(idx, t, frame)
        for cut_number in detector.push(numbers[-1], small):
            cut = bisect.bisect_left(numbers, cut_number)  # the first decoded frame of the new shot
            state.cut(cut, recent)
            if on_cut is not None and cut < len(state.times):
                on_cut(state.times[cut])
        state.thin()
        if progress and t - last_report >= 1.0:
            progress(t)
            last_report = t
    if not state.times:
        raise VideoOpenFailure(f"{info.path.name}: no video frame could be decoded")
    for cut_number in detector.flush(numbers[-1]):
        cut = bisect.bisect_left(numbers, cut_number)
        if state.shot_start_idx < cut < len(state.times):
            state.close_shot(cut, state.times[cut])
    end_t = state.times[-1] + 1.0 / fps
    state.close_shot(len(state.times), end_t)
    if progress:
        progress(end_t)
    return ShotScan(state.shots, state.picked, end_t, stats)


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
