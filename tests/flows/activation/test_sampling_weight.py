"""samplingWeight: how many predictions a reviewed one stands for (inverse review probability)."""

from __future__ import annotations

import pytest

from flows.activation import conditions_validate, evaluate
from flows.services.routing import sampling_weight

CHECK = {
    "ConditionType": "PredictionConfidenceCheck",
    "ConditionParameters": {"Path": "$.s", "ConfidenceLessThan": 0.8},
}
HIGH = {
    "ConditionType": "PredictionConfidenceCheck",
    "ConditionParameters": {"Path": "$.s", "ConfidenceGreaterThanEquals": 0.95},
}


def _sample(pct: float) -> dict:
    return {"ConditionType": "Sampling", "ConditionParameters": {"RandomSamplingPercentage": pct}}


def _weight(doc: dict, score: float) -> float:
    ev = evaluate(conditions_validate(doc, None), request_source=None, request={"i": 1}, response={"s": score})
    return sampling_weight(ev.results)


def test_a_prediction_a_check_selected_counts_once() -> None:
    doc = {"Conditions": [CHECK, _sample(5)]}
    assert _weight(doc, 0.5) == 1.0


def test_a_prediction_only_sampling_could_pick_stands_for_100_over_the_percentage() -> None:
    assert _weight({"Conditions": [CHECK, _sample(5)]}, 0.9) == pytest.approx(20.0)
    # two independent samplers: 1 - 0.95 * 0.8 = 24 %
    assert _weight({"Conditions": [CHECK, {"Or": [_sample(5), _sample(20)]}]}, 0.9) == pytest.approx(1 / 0.24)


def test_a_sample_of_confident_predictions_inside_and() -> None:
    # the §18.5 shape: a 2.5 % sample of very confident predictions
    doc = {"Conditions": [CHECK, {"And": [_sample(2.5), HIGH]}]}
    assert _weight(doc, 0.97) == pytest.approx(40.0)


def test_without_conditions_every_prediction_is_reviewed() -> None:
    assert sampling_weight(None) == 1.0
