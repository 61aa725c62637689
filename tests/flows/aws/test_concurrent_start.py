"""Concurrent StartHumanLoop calls with one name: one loop, whatever the interleaving."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from flows.models import HumanLoop, Task
from tests.conftest import make_org
from tests.flows.aws.helpers import clients, create_flow, error_code

pytestmark = pytest.mark.django_db(transaction=True)


def _race(live_server_url: str, inputs: list[dict]) -> tuple[Any, list[Any]]:
    org = make_org()
    sm, _ = clients(org, live_server_url)
    flow_arn = create_flow(sm, org, "raced", TaskCount=3)
    a2is = [clients(org, live_server_url)[1] for _ in inputs]
    barrier = threading.Barrier(len(inputs))
    results: list[Any] = [None] * len(inputs)

    def go(i: int) -> None:
        barrier.wait()
        try:
            results[i] = a2is[i].start_human_loop(
                HumanLoopName="same-name",
                FlowDefinitionArn=flow_arn,
                HumanLoopInput={"InputContent": json.dumps(inputs[i])},
            )["HumanLoopArn"]
        except ClientError as exc:
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return org, results


def test_concurrent_retries_of_one_start_give_one_loop_and_one_arn(live_server_url: str) -> None:
    org, results = _race(live_server_url, [{"x": 1}] * 6)
    assert all(isinstance(r, str) for r in results), results
    assert len(set(results)) == 1
    loop = HumanLoop.objects.get(organization=org.organization, name="same-name")
    assert Task.objects.filter(loop=loop).count() == 3


def test_concurrent_starts_with_different_inputs_give_one_winner_and_conflicts(live_server_url: str) -> None:
    org, results = _race(live_server_url, [{"x": i} for i in range(6)])
    winners = [r for r in results if isinstance(r, str)]
    losers = [r for r in results if not isinstance(r, str)]
    assert len(winners) == 1, results
    assert {error_code(r) for r in losers} == {"ConflictException"}
    loop = HumanLoop.objects.get(organization=org.organization, name="same-name")
    assert Task.objects.filter(loop=loop).count() == 3
