"""``GET /api/v1/audit-log``: the organization's audit entries, newest first (API keys and admins)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditEntry
from flows.api.common import EngineerApi
from workforce.models import Membership, Role


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ("id", "actor", "action", "resource", "at", "details")


class _Newest(CursorPagination):
    ordering = "-id"
    page_size = 100


class AuditLogApi(EngineerApi):
    @extend_schema(tags=["audit"], operation_id="audit_log_list", responses=AuditEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        org = self.organization
        if (
            getattr(request.user, "api_key", None) is None
            and not Membership.objects.filter(user_id=request.user.pk or 0, organization=org, role=Role.ADMIN).exists()
        ):
            raise PermissionDenied("The audit log is for the organization's admins (or its API keys).")
        entries = AuditEntry.objects.filter(organization=org)
        action = request.query_params.get("action")
        if action:
            entries = entries.filter(action=action)
        paginator = _Newest()
        page = paginator.paginate_queryset(entries, request, view=self)
        return paginator.get_paginated_response(AuditEntrySerializer(page, many=True).data)
