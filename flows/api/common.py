"""Pieces every engineer-facing REST view shares: access, pagination, problem documentation."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.pagination import BasePagination, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flows.api import schema as _schema  # noqa: F401  (registers the auth schemes)
from flows.api.access import ORGANIZATION_HEADER, IsOrganizationEngineer, caller_organization
from workforce.models import Organization

#: A view method, as a schema decorator gives it back.
F = TypeVar("F", bound=Callable[..., Any])


class EngineerApi(APIView):
    """Base of the engineer-facing views: API key, SigV4 or an admin/engineer session."""

    permission_classes = (IsOrganizationEngineer,)
    #: Domain error member paths (lowerCamelCase) -> this view's REST field names.
    field_aliases: dict[str, str] = {}

    @property
    def organization(self) -> Organization:
        return caller_organization(self.request)

    def list_page(
        self,
        request: Request,
        query: Callable[..., Any],
        item: type[serializers.Serializer],
        *,
        filters: type[serializers.Serializer] | None = None,
        **also: str,
    ) -> Response:
        """A list GET: the query parameters checked by ``filters`` (ListFilterSerializer by default),
        ``query`` called with the organization, the name and creation-time filters and each of
        ``also`` (its keyword -> the filter it takes), and one cursor page of ``item``."""
        f = validated(filters or ListFilterSerializer, request.query_params)
        qs = query(
            organization=self.organization,
            name=f.get("name"),
            created_after=f.get("created_after"),
            created_before=f.get("created_before"),
            **{keyword: f.get(member) for keyword, member in also.items()},
        )
        return cursor_page(self, request, qs, item)


def validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    """``data`` as ``serializer_class`` checked it (ValidationError, a 400 problem body, if not valid)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def cursor_page(
    view: APIView,
    request: Request,
    qs: Any,
    item: type[serializers.Serializer],
    pagination: type[BasePagination] | None = None,
) -> Response:
    """One page of ``qs`` (NewestFirstPagination by default), its items rendered by ``item``."""
    paginator = (pagination or NewestFirstPagination)()
    page: Any = paginator.paginate_queryset(qs, request, view=view)
    return paginator.get_paginated_response(item(page, many=True).data)


class ProblemSerializer(serializers.Serializer):
    """An RFC 9457 problem body (``application/problem+json``)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="Machine-readable: invalid, invalid_input, not_found, conflict, ...")
    detail = serializers.CharField()
    errors = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per request field.",
    )


def problems(*statuses: int) -> dict[int, OpenApiResponse]:
    """Schema entries for the problem responses an operation can give."""
    described = {
        400: "Invalid input (problem body with per-field errors).",
        401: "Not authenticated.",
        403: "Authenticated, but not an engineer or admin of the organization (or an API key).",
        404: "No such resource in the caller's organization.",
        409: "Conflicts with the current state (name in use, still in use, different input).",
        429: "An organization limit or quota is reached.",
    }
    return {
        code: OpenApiResponse(ProblemSerializer, description=described[code])
        for code in (401, 403, *statuses)
        if code in described
    }


ORGANIZATION_PARAMETER = OpenApiParameter(
    ORGANIZATION_HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Account id of the organization to act for, for a person who is an engineer of several.",
)


class NewestFirstPagination(CursorPagination):
    """Cursor pagination over ``created_at`` (newest first; ``?order=ascending`` for oldest first)."""

    ordering = "-created_at"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        if request.query_params.get("order") == "ascending":
            return ("created_at",)
        return ("-created_at",)


@extend_schema_field(OpenApiTypes.OBJECT)
class JsonTextField(serializers.Field):
    """Renders a TextField holding JSON text as the JSON value itself."""

    def to_representation(self, value: Any) -> Any:
        if value in (None, ""):
            return None
        try:
            return json.loads(value)
        except ValueError:
            return value


class ListFilterSerializer(serializers.Serializer):
    """Filters every list operation takes."""

    created_after = serializers.DateTimeField(required=False, help_text="Created at or after (ISO 8601).")
    created_before = serializers.DateTimeField(required=False, help_text="Created before (ISO 8601).")
    name = serializers.CharField(required=False, max_length=63, help_text="Names containing this text.")
    order = serializers.ChoiceField(choices=["descending", "ascending"], required=False, default="descending")
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    cursor = serializers.CharField(required=False)


def paginated_schema(name: str, item: type[serializers.Serializer]) -> type[serializers.Serializer]:
    """The schema of a cursor page of ``item``."""
    return type(
        name,
        (serializers.Serializer,),
        {
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item(many=True),
        },
    )


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses members it does not declare (a misspelt optional field
    would otherwise be ignored silently)."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if isinstance(self.initial_data, dict):
            extra = sorted(set(self.initial_data) - set(self.fields))
            if extra:
                raise serializers.ValidationError({name: ["Unknown field."] for name in extra})
        return attrs


def tags_input(value: list[dict[str, str]] | None) -> list[dict[str, str]]:
    """REST tags ([{"key", "value"}]) in the services' shape ([{"Key", "Value"}]), unchecked."""
    return [{"Key": tag.get("key") or "", "Value": tag.get("value") or ""} for tag in value or []]


class TagSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=128)
    value = serializers.CharField(max_length=256, allow_blank=True, required=False, default="")


def list_operation(
    operation_id: str,
    tag: str,
    page: str,
    item: type[serializers.Serializer],
    filters: type[serializers.Serializer] = ListFilterSerializer,
) -> Callable[[F], F]:
    """The schema of a list GET: ``filters`` as query parameters, a cursor page (component
    ``page``) of ``item``."""
    return extend_schema(
        operation_id=operation_id,
        tags=[tag],
        parameters=[filters, ORGANIZATION_PARAMETER],
        responses={200: paginated_schema(page, item), **problems(400)},
    )


def create_operation(
    operation_id: str, tag: str, request: type[serializers.Serializer], created: type[serializers.Serializer]
) -> Callable[[F], F]:
    """The schema of a create POST: ``request`` in, 201 with ``created``, or a problem (invalid
    input, a name in use, a limit reached)."""
    return extend_schema(
        operation_id=operation_id,
        tags=[tag],
        parameters=[ORGANIZATION_PARAMETER],
        request=request,
        responses={201: created, **problems(400, 409, 429)},
    )


def describe_operation(operation_id: str, tag: str, item: type[serializers.Serializer]) -> Callable[[F], F]:
    """The schema of a describe GET: ``item``, or 404."""
    return extend_schema(
        operation_id=operation_id,
        tags=[tag],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: item, **problems(404)},
    )


def delete_operation(operation_id: str, tag: str, *statuses: int) -> Callable[[F], F]:
    """The schema of a DELETE answering 204, or the problems ``statuses``."""
    return extend_schema(
        operation_id=operation_id,
        tags=[tag],
        parameters=[ORGANIZATION_PARAMETER],
        request=None,
        responses={204: OpenApiResponse(description="Deleted."), **problems(*statuses)},
    )
