"""reviews.media: S3 presigning against moto's server mode, signed local media URLs and who may
read them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from django.test import Client
from django.utils import timezone
from moto.server import ThreadedMotoServer

from flows.models import TaskStatus
from reviews import media
from reviews.media import (
    LocalObject,
    S3Object,
    media_signer_for_organization,
    media_signer_for_task,
    media_signer_for_user,
    parse_reference,
)
from reviews.rendering import MediaAccessError, template_render
from tests.conftest import Org, make_org
from tests.live import free_port
from tests.reviews.factories import make_leased_task, make_member, make_worker
from workforce.models import Role

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    media._s3_client.cache_clear()
    return s3_endpoint


@pytest.fixture
def media_root(tmp_path: Path, settings: object) -> Path:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    return tmp_path


def put_local(root: Path, org: Org, relative: str, data: bytes = PNG) -> Path:
    path = root / org.account_id / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- References -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("s3://my-bucket/a/b c.jpg", S3Object("my-bucket", "a/b c.jpg")),
        ("http://s3.amazonaws.com/my-bucket/a/b.jpg", S3Object("my-bucket", "a/b.jpg")),
        ("https://s3.us-west-2.amazonaws.com/my-bucket/a%20b.jpg", S3Object("my-bucket", "a b.jpg")),
        ("https://s3-eu-west-1.amazonaws.com/my-bucket/k", S3Object("my-bucket", "k")),
        ("https://my-bucket.s3.amazonaws.com/k/x.png", S3Object("my-bucket", "k/x.png")),
        ("https://my-bucket.s3.eu-central-1.amazonaws.com/k", S3Object("my-bucket", "k")),
        ("https://example.com/picture.jpg", "https://example.com/picture.jpg"),
        ("file:///var/media/x.png", LocalObject(Path("/var/media/x.png"))),
    ],
)
def test_references_are_classified(reference: str, expected: object) -> None:
    assert parse_reference(reference) == expected


@pytest.mark.parametrize(
    "reference", ["s3://", "s3://bucket-only", "ftp://x/y", "javascript:alert(1)", "file://host/x"]
)
def test_bad_references_are_refused_with_a_message(reference: str) -> None:
    with pytest.raises(MediaAccessError) as info:
        parse_reference(reference)
    assert info.value.message


# --- S3 -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_s3_uri_becomes_a_presigned_url_that_reads_the_object(s3_env: str) -> None:
    # given an object in a bucket of the S3-compatible endpoint
    s3 = boto3.client("s3", endpoint_url=s3_env, region_name="us-east-1")
    s3.create_bucket(Bucket="inputs")
    s3.put_object(Bucket="inputs", Key="cats/cat 1.png", Body=PNG)
    org = make_org()

    # when a template grants read access to it
    result = template_render(
        content='<img src="{{ task.input.taskObject | grant_read_access }}">',
        task_input={"taskObject": "s3://inputs/cats/cat 1.png"},
        media=media_signer_for_organization(organization=org.organization),
    )

    # then the URL is presigned, path-style on the configured endpoint, short-lived, and works
    assert result.errors == []
    url = result.html[len('<img src="') : -len('">')].replace("&amp;", "&")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == s3_env
    assert parts.path == "/inputs/cats/cat%201.png"
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["900"]
    assert "X-Amz-Signature" in query
    assert result.media_origins == (s3_env,)
    assert requests.get(url, timeout=10).content == PNG


@pytest.mark.django_db
def test_path_style_http_url_of_aws_templates_is_presigned_too(s3_env: str) -> None:
    org = make_org()
    signer = media_signer_for_organization(organization=org.organization)
    url = signer.grant("http://s3.amazonaws.com/inputs/doc.png")
    assert url.startswith(f"{s3_env}/inputs/doc.png?")
    assert "X-Amz-Signature=" in url


@pytest.mark.django_db
def test_without_credentials_the_grant_is_refused_clearly(s3_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    media._s3_client.cache_clear()
    org = make_org()
    result = template_render(
        content="{{ task.input.x | grant_read_access }}",
        task_input={"x": "s3://inputs/a.png"},
        media=media_signer_for_organization(organization=org.organization),
    )
    assert [e.code for e in result.errors] == ["MediaAccessDenied"]
    assert "credentials" in result.errors[0].message


# --- Local media ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_worker_reads_a_local_object_of_the_task_they_hold(media_root: Path) -> None:
    # given a local image in the organization's media folder and a task leased to a worker
    org = make_org()
    path = put_local(media_root, org, "inputs/cat.png")
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="<p></p>", task_input={})

    # when the frame's signer grants it
    url = media_signer_for_task(task=task, worker=worker).grant(path.as_uri())

    # then the signed URL serves it, without any session, with CORS for the opaque frame
    assert url.startswith("/task-media/")
    assert url.endswith("/cat.png")
    response = Client().get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    assert response["Content-Type"] == "image/png"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers


@pytest.mark.django_db
def test_the_url_stops_working_once_the_worker_no_longer_holds_the_task(media_root: Path) -> None:
    org = make_org()
    path = put_local(media_root, org, "a.png")
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="<p></p>", task_input={})
    url = media_signer_for_task(task=task, worker=worker).grant(path.as_uri())
    assert Client().get(url).status_code == 200

    # when the lease runs out
    task.lease_expires_at = timezone.now() - timedelta(seconds=1)
    task.save(update_fields=["lease_expires_at"])
    assert Client().get(url).status_code == 403

    # or the task is submitted
    task.lease_expires_at = timezone.now() + timedelta(hours=1)
    task.status = TaskStatus.SUBMITTED
    task.save(update_fields=["lease_expires_at", "status"])
    assert Client().get(url).status_code == 403


@pytest.mark.django_db
def test_another_worker_cannot_use_a_signer_for_a_task_they_do_not_hold(media_root: Path) -> None:
    org = make_org()
    path = put_local(media_root, org, "a.png")
    holder, other = make_worker(org), make_worker(org)
    task = make_leased_task(org, holder, template="<p></p>", task_input={})
    url = media_signer_for_task(task=task, worker=other).grant(path.as_uri())
    assert Client().get(url).status_code == 403


@pytest.mark.django_db
def test_objects_outside_the_organizations_media_folder_are_refused(media_root: Path) -> None:
    org, other = make_org(), make_org()
    theirs = put_local(media_root, other, "secret.png")
    outside = media_root / "loose.png"
    outside.write_bytes(PNG)
    signer = media_signer_for_organization(organization=org.organization)
    for path in (theirs, outside, media_root / org.account_id / ".." / other.account_id / "secret.png"):
        with pytest.raises(MediaAccessError) as info:
            signer.grant(path.as_uri())
        assert "outside this organization's media folder" in info.value.message
    with pytest.raises(MediaAccessError, match="does not exist"):
        signer.grant((media_root / org.account_id / "missing.png").as_uri())


@pytest.mark.django_db
def test_tampered_and_expired_tokens_are_refused(media_root: Path, settings: object) -> None:
    org = make_org()
    path = put_local(media_root, org, "a.png")
    url = media_signer_for_organization(organization=org.organization).grant(path.as_uri())
    token = url.split("/")[2]
    assert Client().get(f"/task-media/{token[:-2]}xx/a.png").status_code == 403

    settings.LOUPE_MEDIA_URL_TTL_SECONDS = -1  # type: ignore[attr-defined]
    assert Client().get(url).status_code == 410


@pytest.mark.django_db
def test_preview_urls_need_an_engineer_or_admin(media_root: Path) -> None:
    org = make_org()
    path = put_local(media_root, org, "a.png")
    engineer = make_member(org, Role.ENGINEER)
    url = media_signer_for_user(organization=org.organization, user=engineer).grant(path.as_uri())
    assert Client().get(url).status_code == 200

    # when the engineer becomes a worker, the link stops working
    engineer.memberships.update(role=Role.WORKER)
    assert Client().get(url).status_code == 403


# --- Buckets mapped to a local folder -------------------------------------------------------------


@pytest.mark.django_db
def test_a_mapped_bucket_is_served_from_its_local_folder(tmp_path: Path) -> None:
    from flows.models import BucketMapping

    # given a bucket the organization maps to a local folder, holding the image
    org = make_org()
    folder = tmp_path / "inputs-bucket"
    (folder / "cats").mkdir(parents=True)
    (folder / "cats" / "tom.png").write_bytes(PNG)
    mapping = BucketMapping.objects.create(organization=org.organization, bucket="inputs", local_path=str(folder))
    worker = make_worker(org)
    task = make_leased_task(org, worker, template="<p></p>", task_input={})
    signer = media_signer_for_task(task=task, worker=worker)

    # when the template grants s3://inputs/cats/tom.png
    url = signer.grant("s3://inputs/cats/tom.png")

    # then it is a signed Loupe URL serving the local file (no S3 involved)
    assert url.startswith("/task-media/")
    assert url.endswith("/tom.png")
    response = Client().get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]

    # and keys that leave the folder, or objects that are not there, are refused
    with pytest.raises(MediaAccessError, match="leaves the folder"):
        signer.grant("s3://inputs/../../etc/passwd")
    with pytest.raises(MediaAccessError, match="does not exist"):
        signer.grant("s3://inputs/cats/missing.png")

    # and once the mapping is removed the URL serves nothing
    mapping.delete()
    assert Client().get(url).status_code == 404
