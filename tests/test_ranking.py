"""Fusion and confidence are pure functions: ranked lists and scores in, orders and verdicts out."""

from __future__ import annotations

import math
import random

import pytest

from modules import ranking
from modules.ranking import Calibration


def test_rrf_rewards_agreement_between_channels():
    fused = ranking.fuse({"dialogue": ["a", "b", "c"], "visual": ["b", "d"]}, {"dialogue": 1.0, "visual": 1.0}, k=10)
    assert [x for x, _ in fused][:2] == ["b", "a"]  # second in one list and first in another beats first in one
    assert fused[0][1] == pytest.approx(1 / 12 + 1 / 11)


def test_weights_and_bonus_list():
    lists = {"dialogue": ["a", "b"], "visual": ["b", "a"]}
    assert ranking.fuse(lists, {"dialogue": 2.0, "visual": 1.0}, k=10)[0][0] == "a"
    assert ranking.fuse(lists, {"dialogue": 0.0, "visual": 1.0}, k=10)[0][0] == "b"  # weight 0: the channel is off
    # a verbatim quote votes once more with its own weight
    assert ranking.fuse(lists, {"dialogue": 1.0, "visual": 1.0}, k=10, bonus=["b"], bonus_weight=2.0)[0][0] == "b"


def test_fuse_of_nothing_is_empty():
    assert ranking.fuse({}, {}, k=10) == []
    assert ranking.fuse({"dialogue": []}, {"dialogue": 1.0}, k=10) == []


def test_probability_is_half_at_the_threshold_and_monotone():
    cal = Calibration(threshold=0.8, slope=40)
    assert ranking.probability(0.8, cal) == pytest.approx(0.5)
    ps = [ranking.probability(s / 100, cal) for s in range(60, 100)]
    assert ps == sorted(ps) and ps[0] < 0.01 and ps[-1] > 0.99
    assert ranking.probability(0.1, None) is None  # uncalibrated: cannot tell
    assert ranking.probability(0.1, cal, exact=True) == 1.0  # a verbatim quote is sure
    assert ranking.probability(-1e9, cal) == pytest.approx(0.0)  # no overflow


def test_labels_and_verdicts():
    assert [ranking.label(p) for p in (0.95, 0.8, 0.6, 0.5, 0.49, None)] == \
        ["high", "high", "medium", "medium", "low", "unknown"]
    assert ranking.is_confident(0.5) and not ranking.is_confident(0.3) and ranking.is_confident(None) is None
    assert ranking.combine([None, 0.3, 0.7]) == 0.7 and ranking.combine([None]) is None


def test_confident_first_keeps_each_groups_order():
    items = ["a", "b", "c", "d", "e"]
    assert ranking.confident_first(items, [False, True, None, True, False]) == ["b", "d", "c", "a", "e"]


def test_fit_logistic_recovers_a_known_curve():
    rng = random.Random(0)
    true = Calibration(threshold=0.82, slope=30)
    scores = [rng.uniform(0.7, 0.95) for _ in range(2000)]
    correct = [rng.random() < ranking.probability(s, true) for s in scores]
    fit = ranking.fit_logistic(scores, correct)
    assert fit.threshold == pytest.approx(0.82, abs=0.01)
    assert fit.slope == pytest.approx(30, rel=0.25)
    assert math.isfinite(fit.slope)
    with pytest.raises(ValueError, match="both correct and wrong"):
        ranking.fit_logistic([0.9, 0.8], [True, True])
