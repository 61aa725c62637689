"""Worker reliability per flow: estimated in the background from the flow's answers (crowd-kit)
and used as weights by the consolidation of later loops."""

from __future__ import annotations

import random

import pytest
from django.core.cache import cache
from django.test import override_settings

from flows.models import FlowDefinition, WorkerReliability
from flows.selectors.results import worker_reliability_for_flow
from flows.services.results import (
    flow_reliability_estimate,
    flow_weights,
    loop_consolidate,
    reliability_maybe_schedule,
)
from tests.conftest import Org
from tests.flows.results_helpers import completed_loop, queued
from tests.flows.work.factories import flow_factory, worker_factory
from workforce.models import User


def _answer(label: str) -> dict:
    return {"category": {"label": label}}


def _history(org: Org, flow: FlowDefinition, good: list[User], bad: list[User], loops: int = 24) -> None:
    """Loops answered by two good workers (always right) and one bad one (always wrong)."""
    rng = random.Random(3)
    for n in range(loops):
        truth = rng.choice(["a", "b", "c"])
        wrong = rng.choice([x for x in "abc" if x != truth])
        picked_bad = bad[n % len(bad)]
        completed_loop(
            org,
            flow=flow,
            answers=[_answer(truth), _answer(truth), _answer(wrong)],
            workers=[good[0], good[1], picked_bad],
        )


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["dawid_skene", "wawa"])
@override_settings(LOUPE_RELIABILITY_MIN_ANSWERS=10)
def test_estimated_reliability_outweighs_a_majority_of_poor_workers(org: Org, model: str) -> None:
    # Given a flow whose history shows two reliable workers and two poor ones
    flow = flow_factory(org, task_count=3)
    flow.consolidation = {"method": "weighted_vote", "reliabilityModel": model}
    flow.save(update_fields=["consolidation"])
    good = [worker_factory(org) for _ in range(2)]
    bad = [worker_factory(org) for _ in range(2)]
    _history(org, flow, good, bad)
    # When reliability is estimated in the background
    assert flow_reliability_estimate(flow_id=flow.pk) == 4
    estimates = {r.worker_id: r for r in worker_reliability_for_flow(flow)}
    assert min(estimates[w.pk].weight for w in good) > max(estimates[w.pk].weight for w in bad)
    assert {r.method for r in estimates.values()} == {model}
    # Then a loop where both poor workers outvote one reliable worker consolidates to the reliable answer
    loop = completed_loop(
        org, flow=flow, answers=[_answer("a"), _answer("b"), _answer("b")], workers=[good[0], bad[0], bad[1]]
    )
    assert loop_consolidate(loop=loop)["answerContent"] == {"category": {"label": "a"}}
    # while plain majority vote follows the poor majority
    flow.consolidation = {"method": "majority_vote"}
    flow.save(update_fields=["consolidation"])
    other = completed_loop(
        org, flow=flow, answers=[_answer("a"), _answer("b"), _answer("b")], workers=[good[1], bad[0], bad[1]]
    )
    assert loop_consolidate(loop=other)["answerContent"] == {"category": {"label": "b"}}


@pytest.mark.django_db
def test_a_stored_consolidation_is_never_recomputed(org: Org) -> None:
    loop = completed_loop(org, answers=[{"label": "x"}])
    first = loop_consolidate(loop=loop)
    WorkerReliability.objects.all().delete()
    loop.flow_definition.consolidation = {"method": "exact"}
    loop.flow_definition.save(update_fields=["consolidation"])
    loop.consolidated_answer = None  # a stale in-memory copy
    assert loop_consolidate(loop=loop) == first


@pytest.mark.django_db
def test_bad_consolidation_settings_still_give_an_answer_with_the_error(org: Org) -> None:
    flow = flow_factory(org)
    flow.consolidation = {"method": "telepathy"}
    flow.save(update_fields=["consolidation"])
    loop = completed_loop(org, flow=flow)
    assert "telepathy" in loop_consolidate(loop=loop)["error"]


@pytest.mark.django_db
def test_reestimation_is_scheduled_at_most_once_per_interval(org: Org) -> None:
    cache.clear()
    flow = flow_factory(org)
    assert reliability_maybe_schedule(flow=flow) is True
    assert reliability_maybe_schedule(flow=flow) is False
    assert [t.args_kwargs["args"] for t in queued("estimate_flow_reliability")] == [[flow.pk]]
    flow.consolidation = {"method": "majority_vote"}
    assert reliability_maybe_schedule(flow=flow) is False


@pytest.mark.django_db
def test_estimates_resting_on_too_few_answers_are_not_used(org: Org) -> None:
    # Given estimates where the poor workers rest on 12 answers each (under the minimum of 30)
    flow = flow_factory(org, task_count=3)
    flow.consolidation = {"method": "weighted_vote"}
    flow.save(update_fields=["consolidation"])
    good = [worker_factory(org) for _ in range(2)]
    bad = [worker_factory(org) for _ in range(2)]
    _history(org, flow, good, bad)
    assert flow_reliability_estimate(flow_id=flow.pk) == 4
    assert sorted(r.answers for r in worker_reliability_for_flow(flow)) == [12, 12, 24, 24]
    # Then the vote is a plain majority: no two workers have enough evidence to be weighed
    assert flow_weights(flow) == ({}, 1.0)
    loop = completed_loop(
        org, flow=flow, answers=[_answer("a"), _answer("b"), _answer("b")], workers=[good[0], bad[0], bad[1]]
    )
    assert loop_consolidate(loop=loop)["answerContent"] == {"category": {"label": "b"}}
    # and with a lower bar the two well-evidenced workers are weighed, the others get their median
    with override_settings(LOUPE_RELIABILITY_MIN_ANSWERS=20):
        weights, default = flow_weights(flow)
    assert set(weights) == {w.worker_id for w in good}
    assert default == pytest.approx(sorted(weights.values())[0] / 2 + sorted(weights.values())[1] / 2)
