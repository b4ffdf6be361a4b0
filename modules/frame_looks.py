"""Looking at frames during ingest's one decode: a channel's reader keeps one frame every few seconds and
looks at it in a thread of its own (text on screen, faces); and the cheap comparisons that tell whether a
look shows anything the last one did not."""

from __future__ import annotations

import queue
import threading
import time
from typing import Callable

import numpy as np

_STOP = object()


class FrameSampler:
    """Frames offered by the decode, one every ``every_s`` seconds, as upright RGB ``width`` px wide (no wider
    than the video unless ``enlarge``), handed in order to ``look(t_s, rgb)`` in a thread of its own behind a
    short queue, so memory stays bounded whatever the video's length. What ``look`` raises stops the looking
    (later frames are dropped, so the decode never blocks) and is kept in ``error``; ``seconds`` is the time
    spent looking."""

    def __init__(self, look: Callable[[float, np.ndarray], None], every_s: float, width: int, name: str,
                 enlarge: bool = False):
        from modules.media import FrameScaler

        self._look, self._every, self._width, self._enlarge = look, every_s, width, enlarge
        self._next_t = 0.0
        self._scaler = FrameScaler()  # used by offer() alone, in the decode thread
        self._queue: queue.Queue = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._work, name=name, daemon=True)
        self._thread.start()

    def offer(self, t_s: float, frame) -> bool:
        """Called by the decode for every frame, in order; True when this one is kept."""
        from modules.media import upright_rgb

        if t_s < self._next_t or self.error is not None:
            return False
        self._next_t = t_s + self._every
        width = self._width
        if not self._enlarge:
            upright = (getattr(frame, "rotation", 0) or 0) % 180 == 0
            width = min(width, frame.width if upright else frame.height)
        self._queue.put((t_s, upright_rgb(frame, width, self._scaler)))
        return True

    def look_from(self, t_s: float) -> None:
        """The next frame kept is the first at or after ``t_s`` (the clock goes on from there)."""
        self._next_t = t_s

    def close(self) -> None:
        """Wait until every kept frame has been looked at (again: nothing)."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()

    def _work(self) -> None:
        while (item := self._queue.get()) is not _STOP:
            if self.error is not None:
                continue  # drain, so the decode never blocks on a full queue
            t0 = time.perf_counter()
            try:
                self._look(*item)
            except BaseException as exc:  # noqa: BLE001 - the owner reports it, in its caller's thread
                self.error = exc
            self.seconds += time.perf_counter() - t0


def grey_thumb(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A (height, width) float32 grey thumbnail of ``size`` (width, height); zeros for an empty picture."""
    from PIL import Image

    if rgb.size == 0:
        return np.zeros(size[::-1], np.float32)
    return np.asarray(Image.fromarray(rgb).convert("L").resize(size, Image.BILINEAR), dtype=np.float32)


def box_iou(a, b) -> float:
    """Intersection over union of two (left, top, right, bottom) boxes."""
    ix = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union else 0.0
