"""output.json: A2I's exact document, written once per loop to S3 (moto) or a mapped folder,
retried with back-off, resumed by housekeeping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from flows import storage
from flows.models import HumanLoop, OutputWrite
from flows.outputs import CONSOLIDATED_FIELD, AnswerFacts, a2i_time, output_document, render_output
from flows.services.results import loop_output_write, outputs_recover
from tests.conftest import Org
from tests.flows.results_helpers import (
    completed_loop,
    map_bucket,
    moto_s3,
    queued,
    run_ready_tasks,
    s3_client,
    s3_keys,
)
from tests.flows.work.factories import flow_factory

T0 = datetime(2024, 5, 6, 7, 10, 0, 120456, tzinfo=UTC)


# --- The document (pure) ------------------------------------------------------------------------


def test_a2i_time_has_milliseconds_and_z() -> None:
    assert a2i_time(T0) == "2024-05-06T07:10:00.120Z"


def test_custom_task_document_matches_a2is_example_shape() -> None:
    # Given two answers, listed out of submission order
    late = AnswerFacts(
        {"amount": "42.00"}, T0 + timedelta(minutes=2), T0 + timedelta(minutes=3), 29.77, "a81e6b03c2d94f17"
    )
    early = AnswerFacts(
        {"amount": "42.00", "isCorrect": {"on": True}},
        T0,
        T0 + timedelta(seconds=75, microseconds=750000),
        61.204,
        "3f9c2a7d1e0b4c56",
        identity={
            "identityProviderType": "Cognito",
            "issuer": "https://cognito-idp.us-east-1.amazonaws.com/p",
            "sub": "s",
        },
    )
    # When the document is built
    doc = output_document(
        flow_definition_arn="arn:aws:sagemaker:us-east-1:111122223333:flow-definition/invoice-review",
        human_loop_name="order-42-review",
        input_content='{"taskObject": "s3://review-in/inv42.png", "initialValue": "42.00"}',
        answers=[late, early],
        consolidated={"answerContent": {"amount": "42.00"}},
    )
    # Then it has A2I's fields, answers in submission order, and ours in a field of its own
    assert list(doc) == ["flowDefinitionArn", "humanLoopName", "humanAnswers", "inputContent", CONSOLIDATED_FIELD]
    assert doc["inputContent"] == {"taskObject": "s3://review-in/inv42.png", "initialValue": "42.00"}
    first, second = doc["humanAnswers"]
    assert first == {
        "acceptanceTime": "2024-05-06T07:10:00.120Z",
        "answerContent": {"amount": "42.00", "isCorrect": {"on": True}},
        "submissionTime": "2024-05-06T07:11:15.870Z",
        "timeSpentInSeconds": 61.204,
        "workerId": "3f9c2a7d1e0b4c56",
        "workerMetadata": {
            "identityData": {
                "identityProviderType": "Cognito",
                "issuer": "https://cognito-idp.us-east-1.amazonaws.com/p",
                "sub": "s",
            }
        },
    }
    assert second["workerId"] == "a81e6b03c2d94f17"
    assert "workerMetadata" not in second
    assert render_output(doc) == render_output(json.loads(render_output(doc)))


def test_built_in_document_names_the_source_and_fills_input_members() -> None:
    source = "AWS/Rekognition/DetectModerationLabels/Image/V3"
    doc = output_document(
        flow_definition_arn="arn:aws:sagemaker:us-east-1:111122223333:flow-definition/moderation",
        human_loop_name="img-7731",
        input_content=json.dumps({"aiServiceRequest": {"image": {}}, "aiServiceResponse": {"moderationLabels": []}}),
        answers=[],
        request_source=source,
        activation_results={"humanTaskActivationConditionResults": {"Conditions": []}, "samplingWeight": 1.0},
    )
    assert doc["awsManagedHumanLoopRequestSource"] == source
    assert doc["inputContent"]["humanTaskActivationConditionResults"] == {"Conditions": []}
    assert "samplingWeight" not in doc["inputContent"]
    assert CONSOLIDATED_FIELD not in doc


# --- Storage ------------------------------------------------------------------------------------


def test_resolve_maps_a_bucket_to_its_folder_and_refuses_escapes(tmp_path: Path) -> None:
    loc = storage.resolve("s3://out/a/b/output.json", {"out": str(tmp_path)})
    assert isinstance(loc, storage.LocalLocation)
    assert loc.path == tmp_path / "a/b/output.json"
    assert isinstance(storage.resolve("s3://other/k", {"out": str(tmp_path)}), storage.S3Location)
    with pytest.raises(storage.StorageError, match="leaves the folder"):
        storage.resolve("s3://out/../../etc/passwd", {"out": str(tmp_path)})
    with pytest.raises(storage.StorageError, match="not an s3://"):
        storage.resolve("http://out/k", {})


def test_local_put_is_create_once(tmp_path: Path) -> None:
    loc = storage.resolve("s3://out/x/output.json", {"out": str(tmp_path)})
    assert storage.put_object_atomic(loc, b"first") is True
    assert storage.put_object_atomic(loc, b"second") is False
    assert storage.get(loc) == b"first"
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["output.json"]


def test_s3_put_is_create_once_on_moto() -> None:
    with moto_s3("out") as endpoint:
        loc = storage.resolve("s3://out/p/output.json", {})
        assert storage.exists(loc) is False
        assert storage.put_object_atomic(loc, b"first") is True
        assert storage.put_object_atomic(loc, b"second") is False
        assert storage.get(loc) == b"first"
        assert s3_keys(endpoint, "out") == ["p/output.json"]


# --- The write service --------------------------------------------------------------------------


@pytest.mark.django_db
def test_completed_loop_writes_its_output_to_the_mapped_folder(org: Org, tmp_path: Path) -> None:
    # Given a loop of TaskCount 3 completed by three workers' claims and submits, its bucket mapped
    map_bucket(org, "bucket", tmp_path)
    loop = completed_loop(org, answers=[{"label": "cat"}, {"label": "dog"}, {"label": "cat"}])
    # When the output task the completion enqueued runs
    assert loop_output_write(loop_id=loop.pk) == "written"
    # Then output.json sits at A2I's key under the folder, with every answer and the consolidation
    t = loop.created_at.astimezone(UTC)
    expected = tmp_path / f"out/{loop.flow_definition.name}/{t:%Y/%m/%d/%H/%M/%S}/{loop.name}/output.json"
    assert (
        loop.output_uri == f"s3://bucket/out/{loop.flow_definition.name}/{t:%Y/%m/%d/%H/%M/%S}/{loop.name}/output.json"
    )
    doc = json.loads(expected.read_text())
    assert doc["flowDefinitionArn"] == loop.flow_definition.arn
    assert doc["humanLoopName"] == loop.name
    assert doc["inputContent"] == {"taskObject": "s3://in/1.png"}
    assert [a["answerContent"] for a in doc["humanAnswers"]] == [{"label": "cat"}, {"label": "dog"}, {"label": "cat"}]
    for a in doc["humanAnswers"]:
        assert set(a) == {
            "acceptanceTime",
            "answerContent",
            "submissionTime",
            "timeSpentInSeconds",
            "workerId",
            "workerMetadata",
        }
        assert a["workerMetadata"]["identityData"]["identityProviderType"] in ("Cognito", "Oidc")
        assert len(a["workerId"]) == 16
    assert doc[CONSOLIDATED_FIELD]["answerContent"] == {"label": "cat"}
    loop.refresh_from_db()
    assert loop.output_written is True
    assert loop.consolidated_answer == doc[CONSOLIDATED_FIELD]


@pytest.mark.django_db
def test_a_second_write_changes_nothing(org: Org, tmp_path: Path) -> None:
    map_bucket(org, "bucket", tmp_path)
    loop = completed_loop(org)
    assert loop_output_write(loop_id=loop.pk) == "written"
    path = next(tmp_path.rglob("output.json"))
    before = path.read_bytes()
    assert loop_output_write(loop_id=loop.pk) == "already"
    # A write that died after the object landed but before the flag was set: found, not rewritten
    HumanLoop.objects.filter(pk=loop.pk).update(output_written=False)
    assert loop_output_write(loop_id=loop.pk) == "existed"
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["output.json"]


@pytest.mark.django_db
def test_output_goes_to_s3_on_an_s3_compatible_endpoint(org: Org) -> None:
    with moto_s3("bucket") as endpoint:
        loop = completed_loop(org, answers=[{"label": "a"}, {"label": "a"}])
        assert loop_output_write(loop_id=loop.pk) == "written"
        key = loop.output_uri.removeprefix("s3://bucket/")
        assert s3_keys(endpoint, "bucket") == [key]
        doc = json.loads(s3_client(endpoint).get_object(Bucket="bucket", Key=key)["Body"].read())
        assert doc["humanLoopName"] == loop.name
        assert len(doc["humanAnswers"]) == 2


@pytest.mark.django_db
def test_an_unreachable_store_is_retried_with_backoff(org: Org, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given an S3 endpoint where nothing listens
    from tests.live import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    storage.reset_clients()
    loop = completed_loop(org)
    # When the write runs
    before = timezone.now()
    result = loop_output_write(loop_id=loop.pk)
    storage.reset_clients()
    # Then it is not marked written, the error is recorded, and a retry is enqueued for later
    assert result == "retry"
    loop.refresh_from_db()
    assert loop.output_written is False
    progress = OutputWrite.objects.get(pk=loop.pk)
    assert progress.attempts == 1
    assert "Could not" in progress.last_error
    (retry,) = queued("write_loop_output")
    assert retry.args_kwargs["args"] == [loop.pk]
    assert retry.run_after is not None
    assert retry.run_after >= before + timedelta(seconds=1.5)
    assert progress.deadline_at > retry.run_after


@pytest.mark.django_db
def test_housekeeping_resumes_writes_that_made_no_progress(org: Org, tmp_path: Path) -> None:
    map_bucket(org, "bucket", tmp_path)
    quiet = completed_loop(org)  # completed, never enqueued (the process died before on-commit)
    busy = completed_loop(org)  # an attempt is running, its deadline not reached
    OutputWrite.objects.create(loop=busy, attempts=1, deadline_at=timezone.now() + timedelta(hours=1))
    now = timezone.now() + timedelta(seconds=60)
    # When housekeeping runs past the grace period
    assert outputs_recover(now=now) == 1
    # Then only the quiet loop is enqueued, once, and running it writes the output
    assert [t.args_kwargs["args"] for t in queued("write_loop_output")] == [[quiet.pk]]
    assert outputs_recover(now=now) == 0
    assert run_ready_tasks("write_loop_output") == ["written"]
    quiet.refresh_from_db()
    assert quiet.output_written is True


@pytest.mark.django_db
def test_housekeeping_reads_only_loops_whose_output_is_pending(org: Org, tmp_path: Path) -> None:
    map_bucket(org, "bucket", tmp_path)
    loop = completed_loop(org)
    assert loop_output_write(loop_id=loop.pk) == "written"
    assert outputs_recover(now=timezone.now() + timedelta(hours=1)) == 0


@pytest.mark.django_db
def test_stopped_or_unknown_loops_are_skipped(org: Org) -> None:
    flow = flow_factory(org)
    assert loop_output_write(loop_id=10**9) == "skipped"
    from tests.flows.work.factories import loop_factory

    loop = loop_factory(org, flow)
    assert loop_output_write(loop_id=loop.pk) == "skipped"
