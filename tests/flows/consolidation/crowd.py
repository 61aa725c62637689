"""A simulated crowd with known truth and known worker accuracies (no database)."""

from __future__ import annotations

import random
from dataclasses import dataclass

from flows.consolidation import WorkerAnswer


@dataclass(frozen=True)
class Crowd:
    truth: dict[str, str]
    answers: dict[str, list[WorkerAnswer]]
    accuracy: dict[str, float]


def simulate(
    *, items: int = 400, classes: int = 4, per_item: int = 3, accuracies: list[float] | None = None, seed: int = 7
) -> Crowd:
    """Each item gets ``per_item`` distinct workers drawn at random; a worker answers the true
    class with their accuracy, else a uniformly random wrong class."""
    rng = random.Random(seed)
    accuracies = accuracies or [0.95, 0.9, 0.85, 0.45, 0.4, 0.35, 0.35, 0.3]
    labels = [f"c{i}" for i in range(classes)]
    workers = {f"w{i}": a for i, a in enumerate(accuracies)}
    truth: dict[str, str] = {}
    answers: dict[str, list[WorkerAnswer]] = {}
    for n in range(items):
        item = f"loop-{n}"
        truth[item] = rng.choice(labels)
        chosen = rng.sample(sorted(workers), per_item)
        answers[item] = []
        for w in chosen:
            if rng.random() < workers[w]:
                label = truth[item]
            else:
                label = rng.choice([lab for lab in labels if lab != truth[item]])
            answers[item].append(WorkerAnswer(w, {"category": {"label": label}}))
    return Crowd(truth=truth, answers=answers, accuracy=workers)
