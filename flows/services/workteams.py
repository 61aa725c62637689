"""Work teams (spec/a2i.md §12): create, update, delete private teams of an organization."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from audit.services import audit_record
from flows import validation
from flows.errors import InUse, InvalidInput, LimitExceeded, NotFound
from flows.models import FlowDefinition
from flows.services.tags import tags_drop_all, tags_write
from workforce.models import Crowd, Organization, Workforce, Workteam

MAX_TEAMS = 25


def member_definitions_check(value: Any, *, workforce: Workforce, field: str = "memberDefinitions") -> list[dict]:
    """1..10 entries, each exactly one of Cognito or OIDC, never mixed; Cognito entries share one
    user pool and app client; the kind must fit the workforce's identity provider."""
    items = validation.array(value, field, min_items=1, max_items=10)
    kinds = set()
    pools = set()
    out: list[dict] = []
    for i, item in enumerate(items):
        path = f"{field}.{i + 1}.member"
        member = validation.structure(item, path)
        cognito, oidc = member.get("CognitoMemberDefinition"), member.get("OidcMemberDefinition")
        if (cognito is None) == (oidc is None):
            raise InvalidInput(
                f"Each member definition needs exactly one of CognitoMemberDefinition or OidcMemberDefinition "
                f"(entry {i + 1}).",
                field=path,
            )
        if cognito is not None:
            c = validation.structure(cognito, f"{path}.cognitoMemberDefinition")
            p = f"{path}.cognitoMemberDefinition"
            pool = validation.string(
                c.get("UserPool"), f"{p}.userPool", min_len=1, max_len=55, pattern=validation.COGNITO_USER_POOL
            )
            group = validation.string(
                c.get("UserGroup"), f"{p}.userGroup", min_len=1, max_len=128, pattern=validation.COGNITO_USER_GROUP
            )
            client = validation.string(
                c.get("ClientId"), f"{p}.clientId", min_len=1, max_len=1024, pattern=validation.CLIENT_ID
            )
            kinds.add("cognito")
            pools.add((pool, client))
            out.append({"CognitoMemberDefinition": {"UserPool": pool, "UserGroup": group, "ClientId": client}})
        else:
            o = validation.structure(oidc, f"{path}.oidcMemberDefinition")
            p = f"{path}.oidcMemberDefinition.groups"
            groups = validation.array(o.get("Groups"), p, min_items=1, max_items=10)
            for j, g in enumerate(groups):
                validation.string(g, f"{p}.{j + 1}.member", min_len=1, max_len=63, pattern=validation.OIDC_GROUP)
            kinds.add("oidc")
            out.append({"OidcMemberDefinition": {"Groups": list(groups)}})
    if len(kinds) > 1:
        raise InvalidInput("A work team uses either Cognito or OIDC member definitions, not both.", field=field)
    if len(pools) > 1:
        raise InvalidInput(
            "Every CognitoMemberDefinition of a team must name the same UserPool and ClientId.", field=field
        )
    if "oidc" in kinds and workforce.cognito_config:
        raise InvalidInput(f"Workforce {workforce.name} uses Amazon Cognito: use CognitoMemberDefinition.", field=field)
    if "cognito" in kinds and workforce.oidc_config:
        raise InvalidInput(
            f"Workforce {workforce.name} uses an OIDC identity provider: use OidcMemberDefinition.", field=field
        )
    return out


def notification_check(value: Any, field: str = "notificationConfiguration") -> dict | None:
    if value is None:
        return None
    conf = validation.structure(value, field)
    topic = conf.get("NotificationTopicArn")
    validation.string(topic, f"{field}.notificationTopicArn", pattern=validation.SNS_TOPIC_ARN, optional=True)
    return {"NotificationTopicArn": topic} if topic is not None else {}


def worker_access_check(value: Any, field: str = "workerAccessConfiguration") -> dict | None:
    if value is None:
        return None
    conf = validation.structure(value, field)
    presign = validation.structure(conf.get("S3Presign"), f"{field}.s3Presign", optional=True)
    if presign is None:
        return {}
    constraints = validation.structure(
        presign.get("IamPolicyConstraints"), f"{field}.s3Presign.iamPolicyConstraints", optional=True
    )
    if constraints is None:
        return {"S3Presign": {}}
    out = {}
    for key in ("SourceIp", "VpcSourceIp"):
        v = validation.enum(
            constraints.get(key),
            f"{field}.s3Presign.iamPolicyConstraints.{key[0].lower()}{key[1:]}",
            ("Enabled", "Disabled"),
            optional=True,
        )
        if v is not None:
            out[key] = v
    return {"S3Presign": {"IamPolicyConstraints": out}}


def workteam_create(
    *,
    organization: Organization,
    name: Any,
    description: Any,
    member_definitions: Any,
    workforce_name: Any = None,
    notification_configuration: Any = None,
    worker_access_configuration: Any = None,
    tags: list[dict[str, str]] | None = None,
) -> Workteam:
    """CreateWorkteam: a private team in the organization's workforce (at most 25 teams)."""
    validation.workteam_name(name)
    validation.workforce_name(workforce_name, optional=True)
    validation.string(description, "description", min_len=1, max_len=200, pattern=validation.ANY_TEXT)
    workforce = Workforce.objects.filter(organization=organization).first()
    if workforce is None:
        raise InvalidInput(
            "The account has no private workforce: create one with CreateWorkforce first.", field="workforceName"
        )
    if workforce_name is not None and workforce_name != workforce.name:
        raise InvalidInput(f"Workforce {workforce_name} does not exist.", field="workforceName")
    members = member_definitions_check(member_definitions, workforce=workforce)
    notification = notification_check(notification_configuration)
    access = worker_access_check(worker_access_configuration)
    with transaction.atomic():
        if Workteam.objects.filter(organization=organization, name=name).exists():
            raise InUse(f"A work team named {name} already exists.", field="workteamName")
        if Workteam.objects.filter(organization=organization).count() >= MAX_TEAMS:
            raise LimitExceeded(f"An account can have at most {MAX_TEAMS} work teams.", field="workteamName")
        team = Workteam(
            organization=organization,
            workforce=workforce,
            name=name,
            crowd=Crowd.PRIVATE,
            description=description,
            member_definitions=members,
            notification_configuration=notification,
            worker_access_configuration=access,
        )
        try:
            with transaction.atomic():
                team.save(force_insert=True)
        except IntegrityError:
            raise InUse(f"A work team named {name} already exists.", field="workteamName") from None
        tags_write(organization=organization, resource_arn=team.arn, tags=tags or [])
        audit_record(organization=organization, action="CreateWorkteam", resource=team.arn)
    return team


def workteam_update(
    *,
    organization: Organization,
    name: Any,
    member_definitions: Any = None,
    description: Any = None,
    notification_configuration: Any = None,
    worker_access_configuration: Any = None,
) -> Workteam:
    """UpdateWorkteam: members given replace the whole membership; members left out keep theirs."""
    validation.workteam_name(name)
    team = Workteam.objects.select_related("workforce").filter(organization=organization, name=name).first()
    if team is None:
        raise NotFound(f"Work team {name} does not exist.", field="workteamName")
    team.organization = organization
    fields = ["updated_at"]
    if member_definitions is not None:
        team.member_definitions = member_definitions_check(member_definitions, workforce=team.workforce)
        fields.append("member_definitions")
    if description is not None:
        team.description = validation.string(
            description, "description", min_len=1, max_len=200, pattern=validation.ANY_TEXT
        )
        fields.append("description")
    if notification_configuration is not None:
        team.notification_configuration = notification_check(notification_configuration)
        fields.append("notification_configuration")
    if worker_access_configuration is not None:
        team.worker_access_configuration = worker_access_check(worker_access_configuration)
        fields.append("worker_access_configuration")
    with transaction.atomic():
        team.save(update_fields=fields)
        audit_record(organization=organization, action="UpdateWorkteam", resource=team.arn, details={"fields": fields})
    return team


def workteam_delete(*, organization: Organization, name: Any) -> None:
    """DeleteWorkteam. A team that a flow definition still routes to cannot be deleted (InUse)."""
    validation.workteam_name(name)
    with transaction.atomic():
        team = Workteam.objects.filter(organization=organization, name=name).first()
        if team is None:
            raise NotFound(f"Work team {name} does not exist.", field="workteamName")
        team.organization = organization
        users = list(
            FlowDefinition.objects.filter(workteam=team, deleted_at__isnull=True).values_list("name", flat=True)[:5]
        )
        if users:
            raise InUse(
                f"Work team {name} is used by flow definition(s) {', '.join(users)}: delete them first.",
                field="workteamName",
            )
        arn = team.arn
        try:
            with transaction.atomic():
                team.delete()
        except ProtectedError:
            raise InUse(
                f"Work team {name} is still referenced by deleted flow definitions and their human loops' history.",
                field="workteamName",
            ) from None
        tags_drop_all(organization=organization, resource_arn=arn)
        audit_record(organization=organization, action="DeleteWorkteam", resource=arn)
