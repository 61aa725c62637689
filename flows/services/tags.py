"""Tags on SageMaker resources (spec/a2i.md §16): flow definitions, human task UIs, work teams and
workforces of the caller's organization. Human loops cannot be tagged."""

from __future__ import annotations

from django.db import transaction

from flows import validation
from flows.errors import InvalidInput, LimitExceeded, NotFound
from flows.models import FlowDefinition, HumanTaskUi, Tag
from workforce.models import Organization, Workforce, Workteam

MAX_TAGS = 50


def tag_resource_check(*, organization: Organization, resource_arn: str, field: str = "resourceArn") -> None:
    """Raise unless ``resource_arn`` names a taggable resource that exists in the organization."""
    validation.string(resource_arn, field, max_len=256, pattern=validation.RESOURCE_ARN)
    prefix = f"arn:aws:sagemaker:{organization.region}:{organization.account_id}:"
    if not resource_arn.startswith(prefix):
        raise NotFound(f"Resource {resource_arn} does not exist or you do not have access to it.", field=field)
    kind, _, name = resource_arn[len(prefix) :].partition("/")
    if kind == "human-loop":
        raise InvalidInput(f"Human loops cannot be tagged: {resource_arn}.", field=field)
    exists = False
    if kind == "flow-definition":
        exists = FlowDefinition.objects.filter(organization=organization, name=name, deleted_at__isnull=True).exists()
    elif kind == "human-task-ui":
        exists = HumanTaskUi.objects.filter(organization=organization, name=name, deleted_at__isnull=True).exists()
    elif kind == "workteam":
        crowd, _, team = name.partition("-crowd/")
        exists = Workteam.objects.filter(organization=organization, crowd=crowd, name=team).exists()
    elif kind == "workforce":
        exists = Workforce.objects.filter(organization=organization, name=name).exists()
    else:
        raise InvalidInput(
            f"Loupe tags flow definitions, human task UIs, work teams and workforces, not {resource_arn}.",
            field=field,
        )
    if not exists:
        raise NotFound(f"Resource {resource_arn} does not exist or you do not have access to it.", field=field)


def tags_write(*, organization: Organization, resource_arn: str, tags: list[dict[str, str]]) -> None:
    """Add or overwrite ``tags`` on a resource. Call inside the caller's transaction (creation)
    or through ``tags_add``. Raises LimitExceeded past 50 tags per resource."""
    if not tags:
        return
    existing = {t.key: t for t in Tag.objects.filter(organization=organization, resource_arn=resource_arn)}
    new_keys = {t["Key"] for t in tags} - set(existing)
    if len(existing) + len(new_keys) > MAX_TAGS:
        raise LimitExceeded(
            f"A resource can have at most {MAX_TAGS} tags: {resource_arn} has {len(existing)}, "
            f"and this request adds {len(new_keys)}.",
            field="tags",
        )
    changed = []
    for tag in tags:
        row = existing.get(tag["Key"])
        if row is None:
            continue
        if row.value != tag["Value"]:
            row.value = tag["Value"]
            changed.append(row)
    if changed:
        Tag.objects.bulk_update(changed, ["value"])
    Tag.objects.bulk_create(
        [
            Tag(organization=organization, resource_arn=resource_arn, key=t["Key"], value=t["Value"])
            for t in tags
            if t["Key"] in new_keys
        ]
    )


def tags_add(*, organization: Organization, resource_arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    """AddTags: add tags, overwriting the values of keys already there. Returns the tags given."""
    tag_resource_check(organization=organization, resource_arn=resource_arn)
    with transaction.atomic():
        tags_write(organization=organization, resource_arn=resource_arn, tags=tags)
    return tags


def tags_delete(*, organization: Organization, resource_arn: str, keys: list[str]) -> None:
    """DeleteTags: remove keys; keys that are not there are ignored, as AWS does."""
    tag_resource_check(organization=organization, resource_arn=resource_arn)
    with transaction.atomic():
        Tag.objects.filter(organization=organization, resource_arn=resource_arn, key__in=keys).delete()


def tags_drop_all(*, organization: Organization, resource_arn: str) -> None:
    """Inside the deleting transaction: a deleted resource's tags go with it (its name, hence its
    ARN, may be reused)."""
    Tag.objects.filter(organization=organization, resource_arn=resource_arn).delete()
