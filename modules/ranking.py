"""Ranking and confidence as pure functions: ranked lists in, a fused ranking and verdicts out.

Nothing here touches the library or a model, so a change to how results are ordered or how
sure we say we are is made, and tested, in this one file.

- ``fuse``: weighted reciprocal-rank fusion. A shot scores sum_c w_c / (k + rank_c) over the
  channels that ranked it; scores of differently scaled models are never compared directly.
- ``probability``: how likely a channel's top match is the moment the person meant, from its
  raw similarities (one per model that embedded it), a logistic curve fitted per set of models and
  language pair on labelled queries (bench/quality.py --calibrate).
- ``zscores``: a model's similarities on the scale of its own best candidates, so that models with
  different similarity scales can be added up within a channel.
- ``label`` / ``confident_first``: what a person reads, and the order they read it in.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

import numpy as np

T = TypeVar("T")

HIGH, MEDIUM = 0.8, 0.5  # probability cut-offs for the labels; MEDIUM is the calibrated threshold
MIN_SPREAD = 0.02  # the smallest spread of similarities a z-score divides by (a library of a few rows)


@dataclass(frozen=True)
class Calibration:
    """P(right) = sigmoid(bias + sum over models of weight * raw similarity), for one set of models."""

    weights: Mapping[str, float]  # model key -> weight of its raw similarity
    bias: float

    def logit(self, scores: Mapping[str, float]) -> float | None:
        """None when a model the curve needs has no similarity here."""
        if any(k not in scores for k in self.weights):
            return None
        return self.bias + sum(w * scores[k] for k, w in self.weights.items())

    def to_json(self) -> dict:
        return {"weights": {k: round(v, 4) for k, v in self.weights.items()}, "bias": round(self.bias, 4)}

    @classmethod
    def from_json(cls, d: Mapping) -> "Calibration":
        return cls({k: float(v) for k, v in d["weights"].items()}, float(d["bias"]))


def zscores(scores: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``scores`` as z-scores against ``reference`` (a model's similarities of its own best candidates
    for this query): what the query has in common with every row (short Korean queries score about
    0.8 against any English line in e5) stops counting, and models of different scales add up."""
    ref = np.asarray(reference, np.float64)
    if ref.size == 0:
        return np.zeros_like(scores, dtype=np.float64)
    return (np.asarray(scores, np.float64) - ref.mean()) / max(float(ref.std()), MIN_SPREAD)


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


def probability(scores: Mapping[str, float], cal: Calibration | None, exact: bool = False) -> float | None:
    """P(this match is the moment meant) from its raw similarities (model key -> cosine); None when
    uncalibrated. A quote found verbatim (or the query's words, in order, in a line) is taken as sure."""
    if exact:
        return 1.0
    z = cal.logit(scores) if cal is not None else None
    if z is None:
        return None
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


def fit_logistic(features: Sequence[Mapping[str, float]], correct: Sequence[bool], iters: int = 2000,
                 l2: float = 1e-3) -> Calibration:
    """Fit P(correct | raw similarities) = sigmoid(bias + w . x) by gradient descent on the log loss
    (a few hundred points), on standardised features. Used by bench/quality.py --calibrate."""
    if not features or all(correct) or not any(correct):
        raise ValueError("need both correct and wrong top matches to fit a confidence curve")
    keys = sorted(features[0])
    x = np.asarray([[f[k] for k in keys] for f in features], np.float64)
    y = np.asarray(correct, np.float64)
    mu, sd = x.mean(0), x.std(0)
    sd[sd == 0] = 1.0
    xs = (x - mu) / sd
    w, b = np.zeros(len(keys)), 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(xs @ w + b)))
        w -= 0.5 * (xs.T @ (p - y) / len(y) + l2 * w)
        b -= 0.5 * float(np.mean(p - y))
    weights = w / sd
    return Calibration({k: float(v) for k, v in zip(keys, weights)}, float(b - (mu / sd) @ w))
