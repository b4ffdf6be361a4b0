"""Ranking and confidence as pure functions: ranked lists in, a fused ranking and verdicts out.

Nothing here touches the library or a model, so a change to how results are ordered or how
sure we say we are is made, and tested, in this one file.

- ``fuse``: weighted reciprocal-rank fusion. A shot scores sum_c w_c / (k + rank_c) over the
  channels that ranked it; scores of differently scaled models are never compared directly.
- ``probability``: how likely a channel's top match is the moment the person meant, from its
  raw similarity, a logistic curve fitted per model and language pair on labelled queries
  (bench/quality.py --calibrate; 0.5 at the calibrated threshold).
- ``label`` / ``confident_first``: what a person reads, and the order they read it in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

T = TypeVar("T")

HIGH, MEDIUM = 0.8, 0.5  # probability cut-offs for the labels; MEDIUM is the calibrated threshold
DEFAULT_SLOPE = 40.0  # logistic slope where a calibration gives a threshold only (older calibration files)


@dataclass(frozen=True)
class Calibration:
    """A channel's raw-similarity threshold (probability 0.5) and the slope of its curve."""

    threshold: float
    slope: float = DEFAULT_SLOPE


def fuse(ranked: Mapping[str, Sequence[Hashable]], weights: Mapping[str, float], k: float,
         bonus: Sequence[Hashable] = (), bonus_weight: float = 0.0) -> list[tuple[Hashable, float]]:
    """Weighted RRF of ranked lists (best first), plus an extra ranked list ``bonus`` (e.g. shots
    where a quote was found verbatim) with its own weight. Returns (item, score), best first;
    ties keep the order in which items were first seen."""
    scores: dict[Hashable, float] = {}
    lists = [(weights.get(name, 0.0), items) for name, items in ranked.items()] + [(bonus_weight, bonus)]
    for w, items in lists:
        if w <= 0:
            continue
        for rank, item in enumerate(items, start=1):
            scores[item] = scores.get(item, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def probability(score: float, cal: Calibration | None, exact: bool = False) -> float | None:
    """P(this match is the moment meant) from a raw similarity; None when uncalibrated.
    A quote found verbatim is taken as sure."""
    if exact:
        return 1.0
    if cal is None:
        return None
    z = cal.slope * (score - cal.threshold)
    return 1 / (1 + math.exp(-max(-60.0, min(60.0, z))))


def combine(probabilities: Iterable[float | None]) -> float | None:
    """A hit's confidence from its channels': the surest calibrated one (None if none is)."""
    known = [p for p in probabilities if p is not None]
    return max(known) if known else None


def label(p: float | None) -> str:
    if p is None:
        return "unknown"
    return "high" if p >= HIGH else "medium" if p >= MEDIUM else "low"


def is_confident(p: float | None) -> bool | None:
    return None if p is None else p >= MEDIUM


def confident_first(items: Sequence[T], verdicts: Sequence[bool | None]) -> list[T]:
    """Confident items first, then those no calibration can judge, then the rest; each group keeps
    its order (the fused ranking)."""
    order = {True: 0, None: 1, False: 2}
    return [it for _, _, it in sorted(((order[v], i, it) for i, (it, v) in enumerate(zip(items, verdicts))),
                                      key=lambda t: (t[0], t[1]))]


def fit_logistic(scores: Sequence[float], correct: Sequence[bool], iters: int = 500) -> Calibration:
    """Fit P(correct | score) = sigmoid(slope * (score - threshold)) by gradient descent on the
    log loss (a few hundred points; no dependency needed). Used by bench/quality.py --calibrate."""
    if not scores or all(correct) or not any(correct):
        raise ValueError("need both correct and wrong top matches to fit a confidence curve")
    mu = sum(scores) / len(scores)
    sd = (sum((s - mu) ** 2 for s in scores) / len(scores)) ** 0.5 or 1.0
    xs = [(s - mu) / sd for s in scores]
    a, b = 1.0, 0.0
    for _ in range(iters):
        ga = gb = 0.0
        for x, y in zip(xs, correct):
            p = 1 / (1 + math.exp(-(a * x + b)))
            ga += (p - y) * x
            gb += p - y
        a -= 0.5 * ga / len(xs)
        b -= 0.5 * gb / len(xs)
    a = max(a, 1e-3)
    return Calibration(threshold=mu - b * sd / a, slope=a / sd)
