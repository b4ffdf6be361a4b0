"""Text on screen: read frames of a video while it is decoded, and keep each distinct line once per shot.

The decode offers every frame; :class:`ScreenTextStage` takes one every ``every_s`` seconds
and reads it in its own thread (a ``FrameSampler``; the OCR engines release the GIL). Reading
is skipped where it cannot find anything new, cheaply judged first:

- a frame that looks like the last one read (no cell of a tiny grey thumbnail changed:
  a subtitle appearing on a still shot changes its cells) repeats that frame's lines
  without running the detector;
- a box found again where the last frame had one, with the same look, repeats its text
  without running the recogniser (a subtitle held for three seconds is read once).

After the decode, lines are put in the shots that hold their times, and within a shot
near-duplicates (one recognition error apart) become one line, seen from its first to
its last time, in its most confident reading.
"""

from __future__ import annotations

import bisect
import difflib
import re
import logging
import threading
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from models.ocr import TextReader
from modules.language import normalize_for_match
from modules.frame_looks import FrameSampler, box_iou, grey_thumb
from modules.schema import ScreenText, Shot

log = logging.getLogger(__name__)

SAME_FRAME = 4.0  # no 8x6-pixel cell of a 64x36 grey thumbnail changed by more (mean abs, 0-255): nothing new
SAME_BOX = 6.0  # the same for a text box's 48x12 thumbnail: the text in it has not changed
SAME_LINE = 0.8  # character similarity at which two readings in one shot are one line


@dataclass
class _Seen:
    time_s: float
    text: str
    confidence: float


@dataclass
class _Frame:
    thumb: np.ndarray
    boxes: list[tuple[tuple[int, int, int, int], np.ndarray, object]] = field(default_factory=list)


class ScreenTextStage:
    """Offered frames in, :class:`ScreenText` per shot out. One stage per video."""

    # one reader serves every video of a process: its recogniser is not thread-safe
    _reader_lock = threading.Lock()

    def __init__(self, reader: Callable[[], TextReader | None], every_s: float, width: int):
        """``reader()`` gives the reader when the first frame is read (it may still be loading when the
        decode starts) or None, when its load switched the channel off: then :meth:`finish` returns None."""
        self._get_reader = reader
        self._reader: TextReader | None = None
        self._every = every_s
        self._seen: list[_Seen] = []
        self._last: _Frame | None = None
        self.stats = {"offered": 0, "detected": 0, "recognised": 0, "reused_frames": 0, "reused_boxes": 0}
        self._off = False  # the reader could not be loaded
        self._sampler = FrameSampler(self._look, every_s, width, "ocr")

    @property
    def seconds(self) -> float:
        return self._sampler.seconds

    def offer(self, t: float, frame) -> None:
        """Called for every decoded frame, in order; keeps one every ``every_s`` seconds."""
        if self._sampler.offer(t, frame):
            self.stats["offered"] += 1

    def finish(self, shots: Sequence[Shot]) -> list[ScreenText] | None:
        """Wait for the reading to end and return each shot's distinct lines, by time (None: no reader)."""
        self._sampler.close()
        if self._sampler.error is not None:
            raise self._sampler.error
        return None if self._off else group_by_shot(self._seen, shots, self._every)

    # --- the reading thread -------------------------------------------------------
    def _look(self, t: float, rgb: np.ndarray) -> None:
        if self._off:
            return
        if self._reader is None:
            self._reader = self._get_reader()
            if self._reader is None:
                self._off = True
                return
        with self._reader_lock:
            self._read(t, rgb)

    def _read(self, t: float, rgb: np.ndarray) -> None:
        thumb = grey_thumb(rgb, (64, 36))
        last = self._last
        if last is not None and _cell_change(thumb, last.thumb) < SAME_FRAME:
            self.stats["reused_frames"] += 1
            self._seen.extend(_Seen(t, line.text, line.confidence) for _, _, line in last.boxes if line)
            return
        self.stats["detected"] += 1
        frame = _Frame(thumb)
        for box in self._reader.boxes(rgb):
            look = grey_thumb(rgb[box[1]:box[3], box[0]:box[2]], (48, 12))
            line = _same_box(last, box, look)
            if line is _MISSING:
                self.stats["recognised"] += 1
                line = self._reader.read_box(rgb, box)
            else:
                self.stats["reused_boxes"] += 1
            frame.boxes.append((box, look, line))
            if line is not None:
                self._seen.append(_Seen(t, line.text, line.confidence))
        self._last = frame


_MISSING = object()


def _same_box(last: _Frame | None, box, look: np.ndarray):
    """The reading of the box at the same place in the last frame when it looks the same, else _MISSING."""
    if last is None:
        return _MISSING
    for old_box, old_look, line in last.boxes:
        if box_iou(old_box, box) > 0.8 and np.abs(old_look - look).mean() < SAME_BOX:
            return line
    return _MISSING


def _cell_change(a: np.ndarray, b: np.ndarray) -> float:
    """The largest mean absolute difference over 8x6-pixel cells of two (36, 64) thumbnails."""
    d = np.abs(a - b).reshape(6, 6, 8, 8).mean(axis=(1, 3))
    return float(d.max())


def group_by_shot(seen: Sequence[_Seen], shots: Sequence[Shot], every_s: float) -> list[ScreenText]:
    """Each reading to the shot that holds its time; near-duplicates in a shot merged into one line."""
    if not shots:
        return []
    starts = [s.start_s for s in shots]
    per_shot: dict[int, list[list[_Seen]]] = {}
    for item in sorted(seen, key=lambda s: s.time_s):
        shot = max(0, bisect.bisect_right(starts, item.time_s) - 1)
        groups = per_shot.setdefault(shot, [])
        norm = normalize_for_match(item.text)
        for g in groups:
            if difflib.SequenceMatcher(None, norm, normalize_for_match(g[0].text)).ratio() >= SAME_LINE:
                g.append(item)
                break
        else:
            groups.append([item])
    out = []
    for shot, groups in sorted(per_shot.items()):
        end_limit = shots[shot].end_s
        for g in groups:
            best = max(g, key=lambda s: (s.confidence, len(s.text)))
            start = min(s.time_s for s in g)
            end = min(end_limit, max(s.time_s for s in g) + every_s)
            out.append(ScreenText(shot, round(start, 3), round(max(start, end), 3), best.text, round(best.confidence, 1)))
    return sorted(out, key=lambda s: (s.start_s, s.shot_index))


def read_video(path, reader, every_s: float, width: int, shots: Sequence[Shot]) -> tuple[list[ScreenText], dict]:
    """Read the text of a video already cut into ``shots`` (``reindex --ocr``): one decode."""
    from modules.media import iter_frames

    stage = ScreenTextStage(lambda: reader, every_s, width)
    try:
        for t, frame in iter_frames(path):
            stage.offer(t, frame)
    finally:
        texts = stage.finish(shots)
    return texts, {**stage.stats, "seconds": round(stage.seconds, 2)}


_HANGUL = "\uac00-\ud7a3"
_STRAY = r"[,.:;{}\[\]()<>|\\/_~^*`'\"]+"


def shown_on_screen(text: str) -> str:
    """A line read on screen as a person is shown it: punctuation the recogniser put between Korean words
    (and unmatched brackets) becomes a space, "내일,아침:일곱시} 서울역[1번(출구" -> "내일 아침 일곱시 서울역 1번 출구";
    what was read is kept as it is for search. A reading too short to be text (a character, or up to three
    lower-case Latin letters alone: "acy"; a sign's "BAR" stays) is shown as nothing."""
    t = re.sub(rf"(?<=[{_HANGUL}0-9]){_STRAY}(?=\S)|(?<=\S){_STRAY}(?=[{_HANGUL}])", " ", text)
    t = re.sub(r"[{}\[\]<>|]", " ", t)  # brackets a sign or subtitle never has
    t = re.sub(r"\s+", " ", t).strip(" ,.:;")
    letters = [ch for ch in t if ch.isalnum()]
    if len(letters) < 2 or (len(letters) <= 3 and all(ch.isascii() and ch.islower() for ch in letters)):
        return ""
    return t
