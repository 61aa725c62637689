"""Worker reliability: a simulated crowd with known truth and worker accuracies shows weighted
votes (weights estimated by crowd-kit) beating plain majority vote."""

from __future__ import annotations

import pytest

from flows.consolidation import consolidate
from flows.consolidation.reliability import estimate, observations
from tests.flows.consolidation.crowd import simulate


def _accuracy(crowd, weights: dict[str, float], method: str) -> float:
    right = sum(
        consolidate(answers, settings={"method": method}, weights=weights)["answerContent"]["category"]["label"]
        == crowd.truth[loop]
        for loop, answers in crowd.answers.items()
    )
    return right / len(crowd.truth)


@pytest.mark.parametrize("model", ["dawid_skene", "one_coin_dawid_skene", "wawa", "majority_agreement"])
def test_weighted_vote_beats_majority_on_a_simulated_crowd(model: str) -> None:
    # Given three good workers and five poor ones, three answers per item
    crowd = simulate(items=300, seed=11)
    rows = observations((loop, a.worker_id, a.answer_content) for loop, ans in crowd.answers.items() for a in ans)
    # When reliability is estimated from the answers alone (no truth) and used as weights
    reliability = estimate(rows, model=model)
    weights = {w: r.weight for w, r in reliability.items()}
    majority = _accuracy(crowd, weights, "majority_vote")
    weighted = _accuracy(crowd, weights, "weighted_vote")
    # Then the weighted vote is clearly more accurate, and the estimates rank the workers right
    assert weighted >= majority + 0.08, (model, majority, weighted)
    good = [w for w, a in crowd.accuracy.items() if a >= 0.8]
    poor = [w for w, a in crowd.accuracy.items() if a < 0.5]
    assert min(reliability[w].accuracy for w in good) > max(reliability[w].accuracy for w in poor)


def test_items_answered_once_estimate_nothing() -> None:
    assert estimate([("i1", "w1", "a"), ("i2", "w2", "b")]) == {}


def test_multi_label_fields_become_yes_no_items() -> None:
    rows = observations([("l1", "w1", {"t": {"labels": ["a", "b"]}}), ("l1", "w2", {"t": {"labels": ["a"]}})])
    assert sorted(rows) == [
        ("l1\x1ft\x1fa", "w1", "1"),
        ("l1\x1ft\x1fa", "w2", "1"),
        ("l1\x1ft\x1fb", "w1", "1"),
        ("l1\x1ft\x1fb", "w2", "0"),
    ]


def test_a_worker_no_better_than_chance_gets_weight_zero() -> None:
    # w3 always disagrees with the two others on a binary question
    rows = []
    for i in range(30):
        rows += [(f"i{i}", "w1", "yes"), (f"i{i}", "w2", "yes"), (f"i{i}", "w3", "no")]
    est = estimate(rows, model="majority_agreement")
    assert est["w3"].weight == 0.0
    assert est["w1"].weight > 1.0
