"""The vocabulary of the engine, as frozen dataclasses.

Video: one file in the library. Shot: a span between two cuts. Keyframe: a
frame of a shot that is embedded and shown. Segment: a piece of dialogue, cut
at shot boundaries so each segment belongs to one shot. ScreenText: text read in
the picture of a shot. Channel: a kind of evidence a shot can match on (the picture,
the dialogue, the text on screen, captions; ``modules/channels``). Hit: one search result.
All times are seconds from the start of the video (``*_s``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path



@dataclass(frozen=True)
class VideoInfo:
    path: Path
    duration_s: float
    fps: float
    width: int
    height: int
    has_audio: bool
    video_codec: str
    size_bytes: int


@dataclass(frozen=True)
class Shot:
    index: int
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Keyframe:
    shot_index: int
    time_s: float
    jpeg: bytes = field(repr=False)


@dataclass(frozen=True)
class Segment:
    shot_index: int
    start_s: float
    end_s: float
    text: str
    language: str


@dataclass(frozen=True)
class ScreenText:
    """Text read in the picture of one shot (a subtitle, a title card, a sign), deduplicated
    across the frames it was seen in: ``start_s``..``end_s`` is where it was seen."""

    shot_index: int
    start_s: float
    end_s: float
    text: str
    confidence: float  # the recogniser's, 0-100


@dataclass
class VideoResult:
    """One video's unit of work: everything the library needs, computed without touching it.

    ``channels`` holds what each channel produced of the video (``modules.channels.Produced``: its rows and
    vectors); a channel that did not read it (off) is absent."""

    info: VideoInfo
    fingerprint: str
    shots: list[Shot]
    keyframes: list[Keyframe]
    channels: dict = field(default_factory=dict)
    language: str = ""
    warnings: list[str] = field(default_factory=list)
    timings_s: dict[str, float] = field(default_factory=dict)

    def rows(self, channel: str) -> list:
        """A channel's rows of the video ([] when it did not read it)."""
        produced = self.channels.get(channel)
        return produced.rows if produced is not None else []


@dataclass(frozen=True)
class ChannelStamp:
    """What made a channel's vectors: model identity (None = channel off), dimension."""

    model: str | None
    dim: int
    normalized: bool = True
    note: str = ""

    def to_json(self) -> dict:
        return {"model": self.model, "dim": self.dim, "normalized": self.normalized, "note": self.note}


@dataclass(frozen=True)
class Hit:
    video: str
    video_id: int
    shot_id: int
    shot_start_s: float
    shot_end_s: float
    frame_s: float
    score: float
    scores: dict[str, float]
    text: str
    thumbnail: str
    evidence: str  # which channels matched, in words
    # how likely this is the moment meant (0-1, calibrated per model and language pair; None when no
    # channel that matched is calibrated), as a word ("high", "medium", "low", "unknown"), and whether
    # it clears the calibrated threshold: hits that do not are still shown, after those that do
    confidence: float | None = None
    confidence_label: str = "unknown"
    confident: bool = False
    # per text channel that matched, each text model's raw similarity (model key -> cosine)
    details: dict[str, dict[str, float]] = field(default_factory=dict)


def mmss(seconds: float, tenths: bool = False) -> str:
    """A time for people: "04:07", "1:02:03", or with ``tenths`` "04:07.3"."""
    seconds = max(0.0, float(seconds or 0.0))
    whole = int(seconds)
    m, sec = divmod(whole, 60)
    h, m = divmod(m, 60)
    frac = f".{int((seconds - whole) * 10)}" if tenths else ""
    return f"{h}:{m:02d}:{sec:02d}{frac}" if h else f"{m:02d}:{sec:02d}{frac}"
