"""Workforces (spec/a2i.md §13): the organization's one private workforce."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from flows import validation
from flows.errors import Conflict, InUse, InvalidInput, NotFound
from flows.services.tags import tags_drop_all, tags_write
from workforce.models import Organization, Workforce, WorkforceKind, Workteam
from workforce.oidc import provider_id_for, workforce_oidc_remove, workforce_oidc_sync

_OIDC_URLS = ("Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "LogoutEndpoint", "JwksUri")


def _camel(key: str) -> str:
    return key[0].lower() + key[1:]


def cognito_config_check(value: Any, field: str = "cognitoConfig") -> dict[str, str]:
    conf = validation.structure(value, field)
    return {
        "UserPool": validation.string(
            conf.get("UserPool"), f"{field}.userPool", min_len=1, max_len=55, pattern=validation.COGNITO_USER_POOL
        ),
        "ClientId": validation.string(
            conf.get("ClientId"), f"{field}.clientId", min_len=1, max_len=1024, pattern=validation.CLIENT_ID
        ),
    }


def oidc_config_check(value: Any, field: str = "oidcConfig") -> dict[str, Any]:
    conf = validation.structure(value, field)
    out: dict[str, Any] = {}
    for key in ("ClientId", "ClientSecret"):
        out[key] = validation.string(
            conf.get(key), f"{field}.{_camel(key)}", min_len=1, max_len=1024, pattern=validation.CLIENT_ID
        )
    for key in _OIDC_URLS:
        out[key] = validation.string(conf.get(key), f"{field}.{_camel(key)}", max_len=500, pattern=validation.HTTPS_URL)
    scope = validation.string(
        conf.get("Scope"), f"{field}.scope", max_len=1024, pattern=validation.OIDC_SCOPE, optional=True
    )
    if scope is not None:
        out["Scope"] = scope
    extra = conf.get("AuthenticationRequestExtraParams")
    if extra is not None:
        extra = validation.structure(extra, f"{field}.authenticationRequestExtraParams")
        if len(extra) > 10:
            raise validation.invalid(
                f"{field}.authenticationRequestExtraParams", extra, "Member must have length less than or equal to 10"
            )
        for k, v in extra.items():
            validation.string(k, f"{field}.authenticationRequestExtraParams.key", max_len=512)
            validation.string(v, f"{field}.authenticationRequestExtraParams.value", max_len=512)
        out["AuthenticationRequestExtraParams"] = dict(extra)
    return out


def source_ip_check(value: Any, field: str = "sourceIpConfig") -> dict[str, list[str]]:
    conf = validation.structure(value, field)
    cidrs = validation.array(conf.get("Cidrs"), f"{field}.cidrs", max_items=10)
    for i, cidr in enumerate(cidrs):
        validation.string(cidr, f"{field}.cidrs.{i + 1}.member", min_len=4, max_len=64, pattern=validation.CIDR)
    return {"Cidrs": list(cidrs)}


def vpc_config_check(value: Any, field: str = "workforceVpcConfig") -> dict[str, Any]:
    conf = validation.structure(value, field)
    out: dict[str, Any] = {}
    vpc = validation.string(conf.get("VpcId"), f"{field}.vpcId", max_len=32, pattern=validation.VPC_ID, optional=True)
    if vpc is not None:
        out["VpcId"] = vpc
    for key, pattern, most in (
        ("SecurityGroupIds", validation.SECURITY_GROUP_ID, 5),
        ("Subnets", validation.SUBNET_ID, 16),
    ):
        items = validation.array(conf.get(key), f"{field}.{_camel(key)}", min_items=1, max_items=most, optional=True)
        if items is not None:
            for i, item in enumerate(items):
                validation.string(item, f"{field}.{_camel(key)}.{i + 1}.member", max_len=32, pattern=pattern)
            out[key] = list(items)
    return out


def workforce_create(
    *,
    organization: Organization,
    name: Any,
    cognito_config: Any = None,
    oidc_config: Any = None,
    source_ip_config: Any = None,
    vpc_config: Any = None,
    ip_address_type: Any = None,
    tags: list[dict[str, str]] | None = None,
) -> Workforce:
    """CreateWorkforce: one workforce per organization (InUse when it exists); exactly one of
    Cognito or OIDC."""
    validation.workforce_name(name)
    if (cognito_config is None) == (oidc_config is None):
        raise InvalidInput("Give exactly one of CognitoConfig or OidcConfig.", field="cognitoConfig")
    cognito = cognito_config_check(cognito_config) if cognito_config is not None else None
    oidc = oidc_config_check(oidc_config) if oidc_config is not None else None
    source_ip = source_ip_check(source_ip_config) if source_ip_config is not None else None
    vpc = vpc_config_check(vpc_config) if vpc_config is not None else None
    ip_type = validation.enum(ip_address_type, "ipAddressType", ("ipv4", "dualstack"), optional=True)
    existing = Workforce.objects.filter(organization=organization).first()
    if existing is not None:
        raise InUse(
            f"The account already has a workforce ({existing.name}): an account has one workforce per Region. "
            "Delete it first.",
            field="workforceName",
        )
    workforce = Workforce(
        organization=organization,
        name=name,
        kind=WorkforceKind.PRIVATE,
        status="Active",
        cognito_config=cognito,
        oidc_config=oidc,
        source_ip_config=source_ip,
        vpc_config=vpc,
        ip_address_type=ip_type or "ipv4",
    )
    try:
        with transaction.atomic():
            workforce.save(force_insert=True)
            workforce_oidc_sync(workforce=workforce)
            tags_write(organization=organization, resource_arn=workforce.arn, tags=tags or [])
    except IntegrityError:
        raise InUse("The account already has a workforce.", field="workforceName") from None
    return workforce


def workforce_update(
    *,
    organization: Organization,
    name: Any,
    source_ip_config: Any = None,
    oidc_config: Any = None,
    vpc_config: Any = None,
    ip_address_type: Any = None,
) -> Workforce:
    """UpdateWorkforce: the OIDC configuration can change only while the workforce has no teams
    (Conflict otherwise); the source-IP allow-list is replaced as given."""
    validation.workforce_name(name)
    source_ip = source_ip_check(source_ip_config) if source_ip_config is not None else None
    oidc = oidc_config_check(oidc_config) if oidc_config is not None else None
    vpc = vpc_config_check(vpc_config) if vpc_config is not None else None
    ip_type = validation.enum(ip_address_type, "ipAddressType", ("ipv4", "dualstack"), optional=True)
    with transaction.atomic():
        workforce = Workforce.objects.filter(organization=organization, name=name).first()
        if workforce is None:
            raise NotFound(f"Workforce {name} does not exist.", field="workforceName")
        workforce.organization = organization
        if oidc is not None:
            if workforce.cognito_config:
                raise InvalidInput(
                    f"Workforce {name} uses Amazon Cognito: its OIDC configuration cannot be set.", field="oidcConfig"
                )
            if Workteam.objects.filter(workforce=workforce).exists():
                raise Conflict(
                    f"The OIDC configuration of workforce {name} can change only while it has no work teams.",
                    field="oidcConfig",
                )
            workforce.oidc_config = oidc
        if source_ip is not None:
            workforce.source_ip_config = source_ip
        if vpc is not None:
            workforce.vpc_config = vpc
        if ip_type is not None:
            workforce.ip_address_type = ip_type
        workforce.save()
        workforce_oidc_sync(workforce=workforce)
    return workforce


def workforce_delete(*, organization: Organization, name: Any) -> None:
    """DeleteWorkforce: refused (InUse) while it has work teams."""
    validation.workforce_name(name)
    with transaction.atomic():
        workforce = Workforce.objects.filter(organization=organization, name=name).first()
        if workforce is None:
            raise NotFound(f"Workforce {name} does not exist.", field="workforceName")
        workforce.organization = organization
        if Workteam.objects.filter(workforce=workforce).exists():
            raise InUse(f"Workforce {name} still has work teams: delete them first.", field="workforceName")
        arn = workforce.arn
        workforce_oidc_remove(provider_id=provider_id_for(workforce))
        workforce.delete()
        tags_drop_all(organization=organization, resource_arn=arn)
