"""examples/retraining/retrain.py, run as a user runs it: its embedded mode starts its own
server (`manage.py serve` on a throwaway SQLite database under var/), and the whole chain runs
over real HTTP: boto3, the worker API, the export API."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.live import ROOT

SCRIPT = ROOT / "examples" / "retraining" / "retrain.py"


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def test_the_retraining_story_runs_end_to_end_and_human_labels_help() -> None:
    # given: a small seed, a small pool and 3 workers who are each right 9 times out of 10. With
    # TaskCount 3 every worker answers every loop, and a worker's answer to an image is fixed by
    # --random-state: the answers are the same on every run. Only the consolidation weights vary
    # (worker reliability is estimated in the background, from the loops completed by then);
    # whatever they are (equal, one worker breaking ties, one worker outweighing the other two),
    # these answers give better labels than the model's and a model at least as good as before.
    before = {p.name for p in (ROOT / "var").glob("retraining-*")}

    # when
    out = _run(
        "--embedded",
        "--json",
        "--seed-size=60",
        "--pool-size=120",
        "--workers=3",
        "--task-count=3",
        "--worker-accuracy=0.9",
        "--timeout=90",
    )

    # then: every step of the chain happened, counted from what the server returned
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout)
    loops = report["loops_sent"]
    assert loops > 10
    assert report["loops_completed"] == loops
    assert report["manifest_lines"] == loops
    assert report["answers"] == 3 * loops
    assert 0 < report["answers_right"] < report["answers"]
    # workers who are sometimes wrong disagree somewhere: consolidation had work to do
    assert report["disagreements"] > 0
    # the human labels are better than the model's guesses on the images it was unsure of
    assert report["human_label_accuracy"] > report["model_guess_accuracy_on_reviewed"]
    assert report["corrections"] > 0
    assert report["training_size_after"] == report["training_size_before"] + loops
    # and retraining on them does not make the model worse on the held-out images
    assert report["accuracy_after"] >= report["accuracy_before"]
    assert report["example_output_uri"].startswith("s3://loupe-retraining/a2i-output/")
    # the throwaway server folder is gone
    assert {p.name for p in (ROOT / "var").glob("retraining-*")} == before


def test_without_a_server_to_talk_to_it_says_what_is_missing_and_fails() -> None:
    # when: neither --embedded nor credentials
    env_free = _run("--region=us-east-1", "--access-key-id=AK", "--secret-access-key=SK", timeout=60)

    # then
    assert env_free.returncode == 1
    assert "workteam ARN (--workteam-arn)" in env_free.stderr
    assert "organization name" in env_free.stderr


def test_contradictory_options_are_refused_before_anything_starts() -> None:
    # when
    out = _run("--embedded", "--workers=2", "--task-count=3", timeout=60)

    # then
    assert out.returncode == 2
    assert "--workers must be at least --task-count" in out.stderr
