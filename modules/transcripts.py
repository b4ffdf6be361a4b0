"""Dialogue: transcribe a video's audio and cut it into per-shot segments.

A spoken line that runs across a cut is split at the cut by its word timings
(each word goes to the shot that holds its midpoint), so every Segment belongs
to exactly one shot and a quote is found on the shot where it is said.
"""

from __future__ import annotations

import bisect
from typing import Sequence

from models.transcriber import SpokenLine, Transcript
from modules.schema import Segment, Shot

NO_SPACE_LANGUAGES = {"zh", "ja", "th", "lo", "my"}


def split_by_shots(transcript: Transcript, shots: Sequence[Shot]) -> list[Segment]:
    if not shots:
        return []
    starts = [s.start_s for s in shots]

    def shot_at(t: float) -> int:
        return max(0, bisect.bisect_right(starts, t) - 1)

    out: list[Segment] = []
    for line in transcript.lines:
        out.extend(_split_line(line, shot_at, transcript.language))
    return out


def _split_line(line: SpokenLine, shot_at, language: str) -> list[Segment]:
    if not line.words:
        mid = (line.start_s + line.end_s) / 2
        return [Segment(shot_at(mid), line.start_s, line.end_s, line.text.strip(), language)]
    groups: list[list] = []
    current = None
    for w in line.words:
        shot = shot_at((w.start_s + w.end_s) / 2)
        if shot != current:
            groups.append([shot, []])
            current = shot
        groups[-1][1].append(w)
    segs = []
    for shot, words in groups:
        text = "".join(w.text for w in words).strip()
        if not text:
            continue
        segs.append(Segment(shot, words[0].start_s, words[-1].end_s, text, language))
    return segs
