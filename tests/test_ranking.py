"""Fusion and confidence are pure functions: ranked lists and scores in, orders and verdicts out."""

from __future__ import annotations

import random

import numpy as np
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
    cal = Calibration({"e5": 40.0}, -32.0)  # 0.5 at cosine 0.8
    assert ranking.probability({"e5": 0.8}, cal) == pytest.approx(0.5)
    ps = [ranking.probability({"e5": s / 100}, cal) for s in range(60, 100)]
    assert ps == sorted(ps) and ps[0] < 0.01 and ps[-1] > 0.99
    assert ranking.probability({"e5": 0.1}, None) is None  # uncalibrated: cannot tell
    assert ranking.probability({"use": 0.9}, cal) is None  # a curve of another model cannot judge it
    assert ranking.probability({"e5": 0.1}, cal, exact=True) == 1.0  # a verbatim quote is sure
    assert ranking.probability({"e5": -1e9}, cal) == pytest.approx(0.0)  # no overflow


def test_a_curve_over_two_models_weighs_both():
    cal = Calibration({"e5": 20.0, "use": 10.0}, -21.0)
    assert ranking.probability({"e5": 0.8, "use": 0.5}, cal) == pytest.approx(0.5)
    assert ranking.probability({"e5": 0.8, "use": 0.7}, cal) > 0.5  # the second model agreeing raises it
    assert Calibration.from_json(cal.to_json()) == cal


def test_zscores_put_two_scales_on_one():
    # e5 scores everything near 0.8, USE spreads wider: the best of each is the same distance out
    e5 = np.array([0.86, 0.81, 0.80, 0.79, 0.78])
    use = np.array([0.70, 0.35, 0.30, 0.25, 0.20])
    z5, zu = ranking.zscores(e5, e5), ranking.zscores(use, use)
    assert z5[0] == pytest.approx(zu[0], rel=0.1) and z5.mean() == pytest.approx(0, abs=1e-9)
    # a library of one or two rows: no spread to speak of, so a floor keeps the scores finite and small
    assert np.all(np.abs(ranking.zscores(np.array([0.9]), np.array([0.9]))) < 1)
    assert ranking.zscores(np.array([0.5]), np.array([])).tolist() == [0.0]


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
    true = Calibration({"e5": 30.0, "use": 10.0}, -30.0)
    feats = [{"e5": rng.uniform(0.7, 0.95), "use": rng.uniform(0.2, 0.8)} for _ in range(3000)]
    correct = [rng.random() < ranking.probability(f, true) for f in feats]
    fit = ranking.fit_logistic(feats, correct)
    assert fit.weights["e5"] == pytest.approx(30, rel=0.25)
    assert fit.weights["use"] == pytest.approx(10, rel=0.35)
    assert fit.bias == pytest.approx(-30, rel=0.25)
    with pytest.raises(ValueError, match="both correct and wrong"):
        ranking.fit_logistic([{"e5": 0.9}, {"e5": 0.8}], [True, True])
