"""The reliability estimate runs in a child process (crowd-kit's CPU off the serving process)."""

from __future__ import annotations

import os

from django.test import override_settings

from flows.consolidation import reliability as rel
from flows.services import results


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for item in range(30):
        truth = "cat" if item % 3 else "dog"
        rows.append((str(item), "good-1", truth))
        rows.append((str(item), "good-2", truth))
        rows.append((str(item), "bad", "dog" if truth == "cat" else "cat"))
    return rows


def test_the_estimate_runs_in_a_child_process_and_agrees_with_the_in_process_one() -> None:
    rows = _rows()
    child = results.reliability_compute(rows, model="dawid_skene")
    assert results._pool is not None
    pids = {p.pid for p in results._pool._processes.values()}  # type: ignore[union-attr]
    assert pids
    assert os.getpid() not in pids
    here = rel.estimate(rows, model="dawid_skene")
    assert child == here
    assert child["good-1"].accuracy > child["bad"].accuracy


@override_settings(LOUPE_RELIABILITY_IN_PROCESS=True)
def test_in_process_mode_gives_the_same_answer() -> None:
    rows = _rows()
    assert results.reliability_compute(rows, model="dawid_skene") == rel.estimate(rows, model="dawid_skene")
