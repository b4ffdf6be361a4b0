"""Shot-cut detection over frames we decode ourselves (PySceneDetect detectors).

The ingest pipeline decodes each video once and feeds every frame, downscaled,
to ``ShotDetector.push``; PySceneDetect's detectors only see arrays, so the same
decode also serves keyframe picking. Cuts come back as frame indices; a
detector may report a cut a few frames late (``lag_frames``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

DETECTORS = ("adaptive", "content")


class ShotDetector(Protocol):
    lag_frames: int

    def push(self, frame_idx: int, bgr: np.ndarray) -> list[int]:
        """Feed frame ``frame_idx`` (sequential); returns the frame indices where a new shot starts."""
        ...

    def flush(self, last_frame_idx: int) -> list[int]: ...


class SceneDetectAdapter:
    def __init__(self, detector, fps: float):
        from scenedetect import FrameTimecode

        self._detector = detector
        self._fps = fps
        self._tc = FrameTimecode
        self.lag_frames = int(getattr(detector, "event_buffer_length", 0)) + 1

    def push(self, frame_idx: int, bgr: np.ndarray) -> list[int]:
        cuts = self._detector.process_frame(self._tc(frame_idx, self._fps), bgr)
        return [c.frame_num for c in cuts]

    def flush(self, last_frame_idx: int) -> list[int]:
        return [c.frame_num for c in self._detector.post_process(self._tc(last_frame_idx, self._fps))]


def make_shot_detector(kind: str, threshold: float, min_shot_s: float, fps: float) -> ShotDetector:
    """``kind``: "adaptive" (threshold is the adaptive ratio; Settings has 2) or
    "content" (threshold is the HSV delta, default 27)."""
    from scenedetect.detectors import AdaptiveDetector, ContentDetector

    min_len = max(1, int(round(min_shot_s * fps)))
    if kind == "adaptive":
        det = AdaptiveDetector(adaptive_threshold=threshold, min_scene_len=min_len)
    elif kind == "content":
        det = ContentDetector(threshold=threshold, min_scene_len=min_len)
    else:
        raise ValueError(f"unknown shot detector {kind!r}; available = {list(DETECTORS)}")
    return SceneDetectAdapter(det, fps)
