"""Calibrated review thresholds on scikit-learn's digits: how much review buys 99 % accuracy.

A logistic regression is trained on a small part of the digits (15 %); its predictions on a
second part (42.5 %), as if reviewed by humans through Loupe (the human label is the true digit),
calibrate the threshold with ``flows.calibration``, exactly as
``GET /api/v1/flow-definitions/{name}/calibration`` does from a flow's completed loops. The
threshold is then judged on the third part (42.5 %), which it never saw, against reviewing
everything and against a fixed 0.8 confidence threshold. Two models: a cautious one (strong
regularisation, low confidences) and a confident one; figures are means over ``--splits``
random splits, with the worst split's accuracy.

    .venv/bin/python examples/calibration/digits.py [--target 0.99] [--splits 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from statistics import mean
from typing import Any

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from flows.calibration import Item, apply_threshold, calibrate

MODELS = {"cautious model (C=0.05)": 0.05, "confident model (C=1)": 1.0}


def items_for(model: Any, x: np.ndarray, y: np.ndarray) -> list[Item]:
    proba = model.predict_proba(x)
    labels = model.classes_[proba.argmax(axis=1)]
    return [
        Item(confidence=float(p.max()), model_label=int(label), human_label=int(truth))
        for p, label, truth in zip(proba, labels, y, strict=True)
    ]


def one_split(c: float, seed: int, target: float) -> dict[str, tuple[float, float]]:
    """{policy: (accuracy, review rate)} on the judging part of one split."""
    x, y = load_digits(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=0.15, random_state=seed, stratify=y)
    x_cal, x_test, y_cal, y_test = train_test_split(x_rest, y_rest, test_size=0.5, random_state=seed, stratify=y_rest)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=c))
    model.fit(x_train, y_train)
    calibration = calibrate(items_for(model, x_cal, y_cal), target=target)
    assert calibration.recommended is not None
    test = items_for(model, x_test, y_test)
    return {
        "model alone": apply_threshold(test, 0.0),
        "Loupe (calibrated)": apply_threshold(test, calibration.recommended.threshold),
        "fixed 0.8": apply_threshold(test, 0.8),
        "review everything": apply_threshold(test, float("inf")),
        "_threshold": (calibration.recommended.threshold, 0.0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--target", type=float, default=0.99)
    parser.add_argument("--splits", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    report: dict[str, Any] = {"dataset": "sklearn digits (1,797 images)", "target": args.target, "models": {}}
    for name, c in MODELS.items():
        runs = [one_split(c, seed, args.target) for seed in range(args.splits)]
        policies = {}
        for policy in ("model alone", "Loupe (calibrated)", "fixed 0.8", "review everything"):
            policies[policy] = {
                "accuracy": round(mean(r[policy][0] for r in runs), 4),
                "worst_accuracy": round(min(r[policy][0] for r in runs), 4),
                "review_rate": round(mean(r[policy][1] for r in runs), 4),
            }
        report["models"][name] = {
            "thresholds": [round(r["_threshold"][0], 4) for r in runs],
            "policies": policies,
        }
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(
        f"sklearn digits: 15 % to train, 42.5 % reviewed to calibrate, 42.5 % to judge; "
        f"target {args.target:.0%}; means over {args.splits} splits"
    )
    for name, data in report["models"].items():
        print(f"\n{name}: Loupe's thresholds {data['thresholds']}")
        print(f"  {'policy':<22} {'accuracy':>9} {'worst':>8} {'review rate':>12}")
        for policy, p in data["policies"].items():
            print(f"  {policy:<22} {p['accuracy']:>9.2%} {p['worst_accuracy']:>8.2%} {p['review_rate']:>12.2%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
