"""Calibration: the pure curve and recommendation, the selector over completed loops, the API and the page."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from flows.calibration import Item, apply_threshold, calibrate, calibration_curve, labels_equal, recommend
from flows.services.routing import flow_route
from flows.services.work import task_claim, task_submit
from tests.conftest import Org
from tests.flows.activation.factories import flow_with_conditions
from workforce.services import worker_add

items_strategy = st.lists(
    st.builds(
        Item,
        confidence=st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 2)),
        model_label=st.sampled_from(["a", "b"]),
        human_label=st.sampled_from(["a", "b"]),
        weight=st.sampled_from([1.0, 1.0, 20.0]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(items_strategy, st.floats(0.5, 1.0))
def test_the_curve_agrees_with_applying_each_threshold_and_the_recommendation_is_the_cheapest(
    items: list[Item], target: float
) -> None:
    curve = calibration_curve(items)
    # then every point is what applying its threshold gives
    for point in curve:
        accuracy, rate = apply_threshold(items, point.threshold)
        assert math.isclose(point.accuracy, accuracy, abs_tol=1e-9)
        assert math.isclose(point.review_rate, rate, abs_tol=1e-9)
    # the curve starts at no review, ends at full review, and accuracy never drops as review grows
    assert curve[0].review_rate == 0
    assert (curve[-1].review_rate, curve[-1].accuracy) == (1.0, 1.0)
    assert all(a.accuracy <= b.accuracy + 1e-12 for a, b in itertools.pairwise(curve))
    assert all(a.review_rate <= b.review_rate for a, b in itertools.pairwise(curve))
    # and the recommendation reaches the target with the least review of any threshold
    rec = recommend(curve, target, bounded=False)
    assert rec is not None
    assert rec.accuracy >= target - 1e-12
    cheaper = [p for p in curve if p.review_rate < rec.review_rate]
    assert all(p.accuracy < target - 1e-12 for p in cheaper)


def test_a_worked_example() -> None:
    # given 10 predictions; the model is wrong at confidences 0.3 and 0.6
    items = [Item(c / 10, "x", "x" if c not in (3, 6) else "y") for c in range(1, 11)]
    # when
    result = calibrate(items, target=0.95, bounded=False)
    # then the model alone is 80 % right; reviewing below 0.7 (6 items) fixes both errors
    assert result.model_accuracy == pytest.approx(0.8)
    assert result.recommended is not None
    assert result.recommended.threshold == pytest.approx(0.7)
    assert result.recommended.review_rate == pytest.approx(0.6)
    assert result.recommended.accuracy == pytest.approx(1.0)
    assert calibrate(items, target=0.9, bounded=False).recommended.threshold == pytest.approx(0.4)  # type: ignore[union-attr]
    # with 10 items, only reviewing everything makes the 95 % lower bound reach 95 %
    assert calibrate(items, target=0.95).recommended.review_rate == 1.0  # type: ignore[union-attr]


def test_the_lower_bound_tightens_as_evidence_grows() -> None:
    # given the same 1 % error rate among confident items, seen 100 times and 10,000 times
    def items(n: int) -> list[Item]:
        return [Item(0.9, "a", "a" if i % 100 else "b") for i in range(n)]

    small, large = calibration_curve(items(100))[0], calibration_curve(items(10_000))[0]
    # then both observe 99 %, and the bound is below it, closer with more evidence
    assert small.accuracy == pytest.approx(0.99)
    assert large.accuracy == pytest.approx(0.99)
    assert small.accuracy_lower < large.accuracy_lower < 0.99
    assert large.accuracy_lower > 0.985


def test_sampling_weights_count_a_sampled_loop_as_many_predictions() -> None:
    # one confident wrong prediction reviewed by a 10 % sample stands for 10
    items = [Item(0.2, "a", "a"), Item(0.9, "a", "b", weight=10.0), Item(0.95, "a", "a", weight=10.0)]
    curve = calibration_curve(items)
    assert curve[0].accuracy == pytest.approx(11 / 21)


def test_labels_compare_as_text_between_model_and_form() -> None:
    assert labels_equal(3, "3")
    assert labels_equal(3.0, "3")
    assert not labels_equal("cat", "dog")
    assert not labels_equal(True, "True")


# --- from completed loops, through the API and the page -------------------------------------------

CONDITIONS = {
    "Conditions": [
        {
            "ConditionType": "PredictionConfidenceCheck",
            "ConditionParameters": {"Path": "$.score", "ConfidenceLessThan": 0.9},
        },
        {"ConditionType": "LabelInSet", "ConditionParameters": {"Path": "$.digit", "Labels": [-1]}},
    ]
}


def _reviewed_flow(org: Org, answers: list[tuple[float, int, int]]) -> Any:
    """A flow whose loops were routed and answered: (score, model digit, human digit)."""
    flow = flow_with_conditions(org.organization, CONDITIONS)
    worker, _ = worker_add(organization=org.organization, email=f"w-{flow.name}@x.test", password="pw-W0rker-123!")
    for i, (score, model, human) in enumerate(answers):
        result = flow_route(
            organization=org.organization,
            flow_name=flow.name,
            human_loop_name=f"{flow.name}-{i}",
            input={"i": i},
            prediction={"digit": model, "score": score},
        )
        assert result.loop is not None
        task = task_claim(worker=worker, flow_definition=flow)
        assert task is not None
        task_submit(worker=worker, task_id=task.pk, answer_content={"digit": str(human)})
    return flow


@pytest.mark.django_db
def test_calibration_api_reads_completed_loops_and_recommends_a_threshold(org: Org) -> None:
    # given 5 reviewed loops: the model is wrong at 0.5 only
    flow = _reviewed_flow(org, [(0.2, 1, 1), (0.5, 2, 7), (0.6, 3, 3), (0.7, 4, 4), (0.8, 5, 5)])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
    # when
    response = client.get(
        f"/api/v1/flow-definitions/{flow.name}/calibration", {"target": "0.99", "conservative": "false"}
    )
    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["loops"] == 5
    assert body["paths"] == {"confidence": "$.score", "label": "$.digit", "answer": "$.digit"}
    assert body["modelAccuracy"] == pytest.approx(0.8)
    assert {k: body["recommended"][k] for k in ("threshold", "reviewRate", "accuracy")} == {
        "threshold": 0.6,
        "reviewRate": 0.4,
        "accuracy": 1.0,
    }
    assert body["condition"] == {
        "ConditionType": "PredictionConfidenceCheck",
        "ConditionParameters": {"Path": "$.score", "ConfidenceLessThan": 0.6},
    }
    assert [p["reviewRate"] for p in body["curve"]] == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert all(p["accuracyLowerBound"] <= p["accuracy"] for p in body["curve"])
    # by default the recommendation must hold at the lower bound: 5 loops are too few evidence
    conservative = client.get(f"/api/v1/flow-definitions/{flow.name}/calibration").json()
    assert conservative["conservative"] is True
    assert conservative["recommended"]["reviewRate"] == 1.0


@pytest.mark.django_db
def test_calibration_api_refuses_bad_queries_and_unknown_flows(org: Org) -> None:
    flow = flow_with_conditions(org.organization, CONDITIONS)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=org.api_key_header)
    url = f"/api/v1/flow-definitions/{flow.name}/calibration"
    assert client.get(url, {"target": "0"}).status_code == 400
    assert client.get(url, {"target": "1.5"}).status_code == 400
    bad_path = client.get(url, {"confidence_path": "score"})
    assert bad_path.status_code == 400
    assert "confidence_path" in bad_path.json()["errors"]
    assert client.get(url, {"colour": "red"}).status_code == 400
    assert client.get("/api/v1/flow-definitions/nope/calibration").status_code == 404
    empty = client.get(url).json()
    assert empty["loops"] == 0
    assert empty["recommended"] is None


@pytest.mark.django_db
def test_calibration_page_draws_the_chart_for_engineers_only(org: Org, other_org: Org) -> None:
    flow = _reviewed_flow(org, [(0.2, 1, 1), (0.5, 2, 7), (0.6, 3, 3), (0.7, 4, 4), (0.8, 5, 5)])
    url = f"/org/{org.account_id}/console/flows/{flow.name}/calibration/?target=99&conservative=false"
    client = APIClient()
    # anonymous: sent to sign in
    assert client.get(url).status_code == 302
    # an admin of another organization: not found
    client.force_login(other_org.admin)
    assert client.get(url).status_code == 404
    # when the organization's admin opens it
    client.force_login(org.admin)
    page = client.get(url)
    # then the chart is there with the recommended point
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    assert 'class="recommended"' in html
    assert '<strong id="calibration-review-rate">40.0%</strong>' in html
    assert '<strong id="calibration-threshold">0.6</strong>' in html
