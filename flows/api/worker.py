"""The worker REST API: the portal's own actions, for scripted workers and vendors' tooling too.

    POST /api/v1/worker/token                     {"email", "password"[, "code"]} -> {"token"}
    POST /api/v1/worker/tasks/claim               {"flow_definition_name"?} -> 200 task | 204
    POST /api/v1/worker/tasks/{task_id}/submit    {"answerContent", "claim_next"?} -> 200
    POST /api/v1/worker/tasks/{task_id}/release   -> 200

Callers are workers: ``Authorization: Token <token>`` or their session (CSRF enforced). An API
key acts for an organization, not a person, and is refused (403). Errors are problem bodies.
Views parse, call one service, and render.
"""

from __future__ import annotations

import json
from typing import Any

from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied, Throttled
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flows.api.common import ProblemSerializer
from flows.errors import NotFound
from flows.models import Task
from flows.services import work
from flows.services.gold import worker_visible_status
from flows.throttle import WorkerTokenRateThrottle
from workforce.authentication import ApiKeyAuthentication, WorkerTokenAuthentication
from workforce.models import User

_MAX_PK = 2**63 - 1
TAG = "worker"


def _problem(description: str) -> OpenApiResponse:
    return OpenApiResponse(ProblemSerializer, description=description)


_AUTH_PROBLEMS = {
    401: _problem("Not authenticated: send `Authorization: Token <token>` or use a signed-in session."),
    403: _problem("Not a worker (an API key, an inactive account) or a missing CSRF token with a session."),
}


class IsWorker(BasePermission):
    """An active person, signed in or with a worker token; not an organization's API key."""

    message = "The worker API is for workers: use a worker token (Authorization: Token ...) or a signed-in session."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if getattr(user, "api_key", None) is not None:
            raise PermissionDenied(
                "API keys act for an organization, not a worker: the worker API needs a worker's token "
                "(POST /api/v1/worker/token) or a signed-in worker session."
            )
        return isinstance(user, User) and user.is_active


class WorkerApi(APIView):
    # Token first: its scheme is the one a 401 advertises (WWW-Authenticate: Token).
    authentication_classes = (WorkerTokenAuthentication, SessionAuthentication, ApiKeyAuthentication)
    permission_classes = (IsWorker,)
    field_aliases = {"answerContent": "answerContent", "flowDefinitionName": "flow_definition_name"}

    @property
    def worker(self) -> User:
        assert isinstance(self.request.user, User)
        return self.request.user


# --- Serializers ----------------------------------------------------------------------------------


class TaskOutputSerializer(serializers.Serializer):
    task_id = serializers.IntegerField()
    human_loop_name = serializers.CharField()
    flow_definition_arn = serializers.CharField()
    input_content = serializers.JSONField(help_text="The loop's InputContent, parsed (a JSON object).")
    lease_expires_at = serializers.DateTimeField(help_text="Submit before this time (the flow's task time limit).")


def task_body(task: Task) -> dict[str, Any]:
    """The claim's response body for a leased task (its loop and flow loaded)."""
    return {
        "task_id": task.pk,
        "human_loop_name": task.loop.worker_name,
        "flow_definition_arn": task.flow_definition.arn,
        "input_content": json.loads(task.loop.input_content),
        "lease_expires_at": task.lease_expires_at,
    }


# --- Token ----------------------------------------------------------------------------------------


class WorkerTokenApi(APIView):
    """Exchange a worker's e-mail and password for an API token."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (WorkerTokenRateThrottle,)

    @extend_schema_serializer(component_name="WorkerTokenInput")
    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(max_length=254)
        password = serializers.CharField(max_length=4096, trim_whitespace=False)
        code = serializers.CharField(
            max_length=64, required=False, help_text="A current TOTP code, for accounts with two-factor sign-in."
        )

    @extend_schema_serializer(component_name="WorkerTokenOutput")
    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField(help_text="Send as `Authorization: Token <token>`.")

    def get_authenticate_header(self, request: Request) -> str:
        # Wrong credentials are a 401 (DRF answers 403 for a view without authenticators).
        return WorkerTokenAuthentication.keyword

    @extend_schema(
        tags=[TAG],
        operation_id="worker_token",
        auth=[],
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: _problem("Missing fields."),
            401: _problem("Wrong e-mail or password (or TOTP code)."),
            403: _problem("The account is inactive, its e-mail is not verified, or it needs a TOTP code."),
            429: _problem("Too many failed attempts: wait and retry."),
        },
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["email"].strip().lower()
        password = data.validated_data["password"]
        django_request = request._request
        if not ratelimit.consume(django_request, action="login_failed", key=email, dry_run=True):
            raise Throttled(detail="Too many failed sign-in attempts for this address: wait a few minutes.")
        user = User.objects.filter(email__iexact=email).first()
        if user is None or not user.check_password(password):
            ratelimit.consume(django_request, action="login_failed", key=email)
            raise AuthenticationFailed("Wrong e-mail address or password.")
        if not user.is_active:
            raise PermissionDenied("This account is inactive.")
        if (
            settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
            and not EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
        ):
            raise PermissionDenied("Verify your e-mail address first (follow the link in the e-mail we sent).")
        self._check_second_factor(django_request, user, email, data.validated_data.get("code"))
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def _check_second_factor(django_request: Any, user: User, email: str, code: str | None) -> None:
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
        if totp is None:
            return
        if not code:
            raise PermissionDenied("This account uses two-factor sign-in: send a current TOTP code as 'code'.")
        if not TOTP(totp).validate_code(code):
            ratelimit.consume(django_request, action="login_failed", key=email)
            raise AuthenticationFailed("Wrong or already used TOTP code.")


# --- Claim, submit, release -------------------------------------------------------------------------


class ClaimApi(WorkerApi):
    @extend_schema_serializer(component_name="ClaimInput")
    class InputSerializer(serializers.Serializer):
        flow_definition_name = serializers.CharField(
            max_length=63, required=False, allow_null=True, help_text="Only this flow's work (default: any)."
        )

    @extend_schema(
        tags=[TAG],
        operation_id="worker_task_claim",
        request=InputSerializer,
        responses={
            200: TaskOutputSerializer,
            204: OpenApiResponse(description="No task is available to you right now."),
            400: _problem("Invalid input."),
            404: _problem("No flow definition of that name that you may work on."),
            **_AUTH_PROBLEMS,
        },
        description="Lease the oldest task available to you (one locked transaction), for the flow's "
        "TaskTimeLimitInSeconds. You never get two tasks of the same human loop.",
    )
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        task = work.task_claim(worker=self.worker, flow_definition_name=data.validated_data.get("flow_definition_name"))
        if task is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(TaskOutputSerializer(task_body(task)).data)


def _task_id(task_id: int) -> int:
    if task_id > _MAX_PK:
        raise NotFound(f"There is no task {task_id}.")
    return task_id


class SubmitApi(WorkerApi):
    @extend_schema_serializer(component_name="SubmitInput")
    class InputSerializer(serializers.Serializer):
        answerContent = serializers.JSONField(help_text="The answer: a JSON object (what crowd-form builds), ≤ 3 MiB.")
        claim_next = serializers.BooleanField(
            default=False, help_text="Also claim your next task and return it as `next`."
        )
        flow_definition_name = serializers.CharField(
            max_length=63, required=False, allow_null=True, help_text="With claim_next: only this flow's work."
        )

        def validate_answerContent(self, value: Any) -> Any:
            if not isinstance(value, dict):
                raise serializers.ValidationError("answerContent must be a JSON object.")
            return value

    @extend_schema_serializer(component_name="SubmitOutput")
    class OutputSerializer(serializers.Serializer):
        task_id = serializers.IntegerField()
        human_loop_name = serializers.CharField()
        human_loop_status = serializers.CharField(help_text="InProgress, Completed, Stopping or Stopped.")
        submission_time = serializers.DateTimeField()
        time_spent_seconds = serializers.FloatField()
        next = TaskOutputSerializer(
            allow_null=True, required=False, help_text="Only with claim_next: your next task, or null if none."
        )

    @extend_schema(
        tags=[TAG],
        operation_id="worker_task_submit",
        request=InputSerializer,
        responses={
            200: OutputSerializer,
            400: _problem(
                "answerContent missing, not a JSON object or too large; or the lease expired or the task "
                "was released or withdrawn."
            ),
            404: _problem("You do not hold this task."),
            409: _problem("You already submitted this task."),
            **_AUTH_PROBLEMS,
        },
        description="Submit your answer to a task you hold. The last of the loop's TaskCount answers completes "
        "it. Refusals change nothing.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        result = work.task_submit(
            worker=self.worker,
            task_id=_task_id(task_id),
            answer_content=v["answerContent"],
            claim_next=v["claim_next"],
            next_flow_definition_name=v.get("flow_definition_name"),
        )
        body: dict[str, Any] = {
            "task_id": task_id,
            "human_loop_name": result.loop.worker_name,
            "human_loop_status": worker_visible_status(result.loop),
            "submission_time": result.answer.submission_time,
            "time_spent_seconds": result.answer.time_spent_seconds,
        }
        if v["claim_next"]:
            body["next"] = task_body(result.next) if result.next is not None else None
        out = self.OutputSerializer(body).data
        if not v["claim_next"]:
            out.pop("next", None)  # present only when asked for
        return Response(out)


class ReleaseApi(WorkerApi):
    @extend_schema_serializer(component_name="ReleaseOutput")
    class OutputSerializer(serializers.Serializer):
        task_id = serializers.IntegerField()
        released = serializers.BooleanField()

    @extend_schema(
        tags=[TAG],
        operation_id="worker_task_release",
        request=None,
        responses={
            200: OutputSerializer,
            400: _problem("The lease already ended (released, expired or withdrawn)."),
            404: _problem("You do not hold this task."),
            409: _problem("You already submitted this task."),
            **_AUTH_PROBLEMS,
        },
        description="Give back a task you hold: it returns to other workers. You will not get a task of that "
        "human loop again.",
    )
    def post(self, request: Request, task_id: int) -> Response:
        work.task_release(worker=self.worker, task_id=_task_id(task_id))
        return Response({"task_id": task_id, "released": True})
