"""Across channels: weighted reciprocal-rank fusion, with a gate for what a calibrated channel vouches
for, and moments (shots of one video next to each other are one moment). Pure: matches in, order out.

A shot scores sum_c w_c / (k + rank_c), and a quoted line found verbatim in its dialogue adds
w_quote / (k + rank) once more, so a shot ranked high by several channels beats one ranked high by a
single one, and scores of differently scaled models never have to be compared directly."""

from __future__ import annotations

from typing import Callable, Mapping

from modules import ranking
from modules.channels import ChannelMatch

Matches = dict[str, dict[int, ChannelMatch]]  # channel -> shot id -> its best match


def fuse(per_channel: Matches, weights: Mapping[str, float], k: float, quote_weight: float,
         passes: Callable[[str, ChannelMatch], bool | None] | None = None) -> list[tuple[int, float]]:
    """Each channel's shots ranked by (verbatim quote, rank score), fused by ``ranking.fuse``; a line
    found (nearly) verbatim, spoken or on screen, votes once more with ``quote_weight``. With ``passes``,
    only the shots a calibrated channel matched confidently are ranked (by every channel that matched
    them): an uncalibrated channel is never promoted by the gate over a line that was matched."""
    ranked, verbatim = {}, {}
    vouched = None if passes is None else {sid for ch, matches in per_channel.items() for sid, m in matches.items()
                                           if passes(ch, m) is True}
    for ch, matches in per_channel.items():
        keep = [(sid, m) for sid, m in matches.items() if vouched is None or sid in vouched]
        ranked[ch] = [sid for sid, m in sorted(keep, key=lambda kv: kv[1].key(), reverse=True)]
        for sid, m in matches.items():
            if m.exact_quote and (sid not in verbatim or m.score > verbatim[sid].score):
                verbatim[sid] = m
    quoted = [sid for sid, _ in sorted(verbatim.items(), key=lambda kv: kv[1].score, reverse=True)]
    return ranking.fuse(ranked, {ch: weights[ch] for ch in ranked}, k, quoted, quote_weight)


def gated_then_rest(per_channel: Matches, weights, k: float, quote_weight: float, passes) -> list[tuple[int, float]]:
    """Shots a calibrated channel vouches for first (a strong dialogue match is not outvoted by a weak
    picture rank), then the rest: the answer always has top_k hits."""
    gated = fuse(per_channel, weights, k, quote_weight, passes)
    seen = {sid for sid, _ in gated}
    return gated + [(sid, sc) for sid, sc in fuse(per_channel, weights, k, quote_weight) if sid not in seen]


def moments(fused: list[tuple[int, float]], shots: Mapping[int, object], top_k: int, gap_s: float) -> list[tuple[int, float]]:
    """Top shots, one per moment: a shot next to (or within ``gap_s`` of) a better one of the same video is
    the same moment and is folded into it. Where that leaves fewer than ``top_k``, the folded shots come
    back, best first: the answer has ``top_k`` hits whenever that many shots matched at all. ``shots``:
    shot id -> its row (video_id, start_s, end_s) for the head of ``fused`` (:func:`head`)."""
    kept: list[tuple[int, float]] = []
    folded: list[tuple[int, float]] = []
    spans: list[tuple[int, float, float]] = []  # (video, start, end) of kept moments
    for shot_id, score in head(fused, top_k):
        r = shots.get(shot_id)
        if r is None:
            continue
        if any(v == r["video_id"] and r["start_s"] <= e + gap_s and r["end_s"] >= s - gap_s for v, s, e in spans):
            folded.append((shot_id, score))
            continue
        kept.append((shot_id, score))
        spans.append((r["video_id"], r["start_s"], r["end_s"]))
        if len(kept) == top_k:
            return kept
    back = {sid for sid, _ in (folded + fused[len(head(fused, top_k)):])[: top_k - len(kept)]}
    keep = {sid for sid, _ in kept} | back
    return [(sid, sc) for sid, sc in fused if sid in keep]  # in the fused order


def head(fused: list[tuple[int, float]], top_k: int) -> list[tuple[int, float]]:
    """The part of the fused order moments are folded in."""
    return fused[: max(top_k * 8, 50)]
