"""A fused shot as a hit a person reads: the frame to show and play from, the thumbnail, the evidence of
each channel in words, and how sure it is (a logistic curve per set of text models and language pair,
``calibration.py``; the query's words found in order in a line make a match sure)."""

from __future__ import annotations

from typing import Iterable

from modules import ranking
from modules.channels import Channel, ChannelMatch, get, registered
from modules.schema import Hit
from modules.search.calibration import Curves
from modules.search.fusion import Matches


class Stamps:
    """The library's model stamps, read once (a query judges hundreds of matches by them)."""

    def __init__(self, library):
        self._library, self._seen = library, {}

    def channel_stamp(self, space: str):
        if space not in self._seen:
            self._seen[space] = self._library.channel_stamp(space)
        return self._seen[space]


class Confidence:
    """Judges a channel's match by the curve fitted for it (``stamps``: the library's, read once)."""

    def __init__(self, curves: Curves, stamps: Stamps):
        self.curves = curves
        self._library = stamps

    def curve(self, channel: str, m: ChannelMatch) -> ranking.Calibration | None:
        """The confidence curve for a match: by the set of models that scored it and its language pair."""
        key = get(channel).curve_key(m, self._library)
        found = self.curves.get(key) if key else None
        if not found:
            return None
        return found.get(m.pair) or found.get("*")

    def probability(self, channel: str, m: ChannelMatch) -> float | None:
        own = get(channel).own_probability(m)
        if own is not None:
            return own
        cal = self.curve(channel, m)
        scores = get(channel).curve_scores(m, cal.weights if cal else ())
        return ranking.probability(scores, cal, m.exact_quote)

    def passes(self, channel: str, m: ChannelMatch) -> bool | None:
        return ranking.is_confident(self.probability(channel, m))

    def uncalibrated(self, per_channel: Matches) -> list[str]:
        """Channels that matched and have no curve for any of their matches."""
        return sorted(ch for ch, matches in per_channel.items() if matches and all(
            self.curve(ch, m) is None and get(ch).own_probability(m) is None for m in matches.values()))


def build_hit(lib, shot_id: int, score: float, per_channel: Matches, confidence: Confidence) -> Hit:
    r = lib.shot_with_video(shot_id)
    channels = registered()
    found = {ch.name: per_channel[ch.name][shot_id] for ch in channels if shot_id in per_channel.get(ch.name, {})}
    frame_s = min(max(_frame(found, r), r["start_s"]), r["end_s"])  # word timings can lead the cut by a frame or two
    kf = lib.nearest_keyframe(shot_id, frame_s)
    thumb = lib.thumb_path(kf["thumb"]) if kf is not None else None
    by_text = sorted((get(ch) for ch in found), key=lambda c: c.text_order)
    text = next((found[c.name].text for c in by_text if found[c.name].text), r["caption"] or "")
    p = ranking.combine(confidence.probability(ch, m) for ch, m in found.items())
    return Hit(
        video=r["path"], video_id=r["vid"], shot_id=shot_id,
        shot_start_s=round(r["start_s"], 3), shot_end_s=round(r["end_s"], 3), frame_s=round(frame_s, 3),
        score=round(score, 5),
        scores={ch.name: (round(found[ch.name].score, 4) if ch.name in found else None) for ch in channels},
        text=text, thumbnail=str(thumb.resolve()) if thumb is not None else "",
        evidence="; ".join(get(ch).evidence(m) for ch, m in found.items()),
        confidence=None if p is None else round(p, 3), confident=bool(ranking.is_confident(p)),
        confidence_label=ranking.label(p),
        details={ch: {k: round(v, 4) for k, v in m.model_scores.items()} for ch, m in found.items() if get(ch).is_text},
    )


def _frame(found: dict[str, ChannelMatch], shot) -> float:
    """The frame shown: where the line is spoken (or the text is on screen), else the best-matching
    keyframe, else the shot's middle."""
    said = max(_timed(found, lambda c: c.shows_moment), key=lambda m: (m.exact_quote, m.score), default=None)
    seen = max(_timed(found, lambda c: c.model == "picture"), key=lambda m: m.score, default=None)
    if said is not None and (seen is None or said.exact_quote or said.score >= seen.score):
        return said.time_s
    if seen is not None:
        return seen.time_s
    return (shot["start_s"] + shot["end_s"]) / 2


def _timed(found: dict[str, ChannelMatch], which) -> Iterable[ChannelMatch]:
    return (m for ch, m in found.items() if which(get(ch)) and m.time_s is not None)


__all__ = ["Confidence", "build_hit", "Channel"]
