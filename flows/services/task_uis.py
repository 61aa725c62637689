"""Worker task templates (spec/a2i.md §10): create and delete. Templates are immutable."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from flows import validation
from flows.errors import InUse, InvalidInput, NotFound
from flows.models import HumanTaskUi, HumanTaskUiStatus
from flows.services.tags import tags_drop_all, tags_write
from reviews.rendering import template_check
from workforce.models import Organization


def template_problems(content: str) -> list[str]:
    """Messages for a template that does not parse (empty when it is fine)."""
    return [f"{e.code}: {e.message}" for e in template_check(content)]


def task_ui_create(
    *, organization: Organization, name: Any, content: Any, tags: list[dict[str, str]] | None = None, prebuilt: str = ""
) -> HumanTaskUi:
    """CreateHumanTaskUi. Refuses a template whose Liquid does not parse (InvalidInput, naming the
    problem); a live template of the same name gives InUse."""
    validation.human_task_ui_name(name)
    validation.string(
        content, "uiTemplate.content", min_len=1, max_len=validation.MAX_TEMPLATE, pattern=validation.ANY_MULTILINE
    )
    problems = template_problems(content)
    if problems:
        raise InvalidInput(f"The template is not valid Liquid: {'; '.join(problems)}", field="uiTemplate.content")
    if HumanTaskUi.objects.filter(organization=organization, name=name, deleted_at__isnull=True).exists():
        raise InUse(f"A human task UI named {name} already exists.", field="humanTaskUiName")
    ui = HumanTaskUi(
        organization=organization,
        name=name,
        template=content,
        content_sha256=hashlib.sha256(content.encode("utf-8")).hexdigest(),
        status=HumanTaskUiStatus.ACTIVE,
        prebuilt=prebuilt,
    )
    try:
        with transaction.atomic():
            ui.save(force_insert=True)
            tags_write(organization=organization, resource_arn=ui.arn, tags=tags or [])
            audit_record(organization=organization, action="CreateHumanTaskUi", resource=ui.arn)
    except IntegrityError:
        raise InUse(f"A human task UI named {name} already exists.", field="humanTaskUiName") from None
    return ui


def task_ui_delete(*, organization: Organization, name: Any) -> None:
    """DeleteHumanTaskUi: the template disappears from lists and lookups; flows that use it can no
    longer start loops, and loops already started keep it (soft delete)."""
    validation.human_task_ui_name(name)
    with transaction.atomic():
        ui = HumanTaskUi.objects.filter(organization=organization, name=name, deleted_at__isnull=True).first()
        if ui is None:
            raise NotFound(f"Human task UI {name} does not exist.", field="humanTaskUiName")
        ui.organization = organization
        HumanTaskUi.objects.filter(pk=ui.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), status=HumanTaskUiStatus.DELETING
        )
        tags_drop_all(organization=organization, resource_arn=ui.arn)
        audit_record(organization=organization, action="DeleteHumanTaskUi", resource=ui.arn)
