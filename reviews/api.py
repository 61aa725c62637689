"""The review stage over REST (Loupe extension).

    GET  /api/v1/reviews?status=pending&flow_definition_name=...   cursor-paged, newest first
    GET  /api/v1/reviews/{id}
    POST /api/v1/reviews/{id}/accept      {"note"?}
    POST /api/v1/reviews/{id}/correct     {"answer": {...}, "note"?}
    GET  /api/v1/flow-definitions/{name}/review
    PUT  /api/v1/flow-definitions/{name}/review   {"enabled", "reviewer_workteam"?}

Reviews are for an organization's API keys and for the people who may review
(``reviews.services``: admins, engineers and team leads, and members of a flow's reviewer team),
by session (CSRF enforced) or worker token; a person in several organizations names one with the
``Loupe-Organization`` header. Reviews the caller may not see answer 404; a review already
decided answers 409. The flow's review configuration is for engineers and admins (and keys).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotAuthenticated, PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from flows import arns
from flows.api.access import ORGANIZATION_HEADER
from flows.api.common import (
    ORGANIZATION_PARAMETER,
    EngineerApi,
    JsonTextField,
    NewestFirstPagination,
    StrictInputSerializer,
    paginated_schema,
    problems,
)
from flows.errors import NotFound
from flows.models import FlowDefinition
from reviews.models import LoopReview, ReviewStatus
from reviews.services import (
    Reviewer,
    flow_review_describe,
    flow_review_of,
    flow_review_set,
    may_review_anything,
    review_accept,
    review_answers,
    review_correct,
    review_get,
    reviews_query,
)
from workforce.models import Membership, Organization, User

TAG = "reviews"
_MAX_PK = 2**63 - 1
_REFUSED = "Reviews are for an organization's reviewers (admins, engineers, team leads, reviewer teams) or API keys."


def caller(request: Request) -> tuple[Organization, Reviewer]:
    """The organization a review request acts for, and who acts (cached on the request)."""
    cached = getattr(request, "_loupe_review_caller", None)
    if cached is not None:
        return cached
    user = request.user
    api_key = getattr(user, "api_key", None)
    if api_key is not None:
        result = (api_key.organization, Reviewer(api_key=api_key))
    else:
        if not isinstance(user, User) or not user.is_authenticated:
            raise NotAuthenticated("Send an API key or a worker token, or sign in.")
        memberships = list(Membership.objects.select_related("organization").filter(user_id=user.pk))
        wanted = (request.headers.get(ORGANIZATION_HEADER) or "").strip()
        if wanted:
            memberships = [m for m in memberships if m.organization.account_id == wanted]
            if not memberships:
                raise PermissionDenied(f"You are not a member of the organization with account id {wanted}.")
        reviewer = Reviewer(user=user)
        orgs = [
            m.organization for m in memberships if may_review_anything(organization=m.organization, reviewer=reviewer)
        ]
        if not orgs:
            raise PermissionDenied(_REFUSED)
        if len(orgs) > 1:
            raise ValidationError(
                {
                    ORGANIZATION_HEADER: [
                        f"You review for several organizations: name one with the {ORGANIZATION_HEADER} header."
                    ]
                }
            )
        result = (orgs[0], reviewer)
    request._loupe_review_caller = result  # type: ignore[attr-defined]
    return result


class IsReviewer(BasePermission):
    message = _REFUSED

    def has_permission(self, request: Request, view: Any) -> bool:
        caller(request)
        return True


class ReviewApi(APIView):
    permission_classes = (IsReviewer,)
    field_aliases = {"reviewId": "id"}

    @property
    def caller(self) -> tuple[Organization, Reviewer]:
        return caller(self.request)


def _review_id(value: int) -> int:
    if value > _MAX_PK:
        raise NotFound(f"Review {value} does not exist.", field="reviewId")
    return value


class ReviewerSerializer(serializers.Serializer):
    worker_id = serializers.CharField(required=False, help_text="A person's public worker id.")
    email = serializers.CharField(required=False)
    api_key_id = serializers.CharField(required=False, help_text="The access key id of the API key that decided.")


class ReviewAnswerSerializer(serializers.Serializer):
    worker_id = serializers.CharField(source="worker.worker_id")
    answer_content = serializers.JSONField()
    acceptance_time = serializers.DateTimeField()
    submission_time = serializers.DateTimeField()
    time_spent_seconds = serializers.FloatField()


class ReviewSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=ReviewStatus.choices)
    human_loop_name = serializers.CharField(source="loop.name")
    human_loop_arn = serializers.SerializerMethodField()
    flow_definition = serializers.CharField(source="flow_definition.name")
    proposed_answer = serializers.JSONField(help_text="The consolidated answer of the workers' answers.")
    final_answer = serializers.JSONField(allow_null=True, help_text="The answer the loop completed with.")
    reviewer = serializers.SerializerMethodField()
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField())
    def get_human_loop_arn(self, review: LoopReview) -> str:
        org = review.organization
        return arns.human_loop_arn(org.region, org.account_id, review.loop.name)

    @extend_schema_field(ReviewerSerializer(allow_null=True))
    def get_reviewer(self, review: LoopReview) -> dict[str, str] | None:
        if review.reviewer_worker_id:
            person = {"worker_id": review.reviewer_worker_id}
            if review.reviewer is not None:
                person["email"] = review.reviewer.email
            return person
        if review.reviewer_access_key_id:
            return {"api_key_id": review.reviewer_access_key_id}
        return None


class ReviewSerializer(ReviewSummarySerializer):
    human_loop_status = serializers.CharField(source="loop.status")
    input_content = JsonTextField(source="loop.input_content")
    answers = serializers.SerializerMethodField()

    @extend_schema_field(ReviewAnswerSerializer(many=True))
    def get_answers(self, review: LoopReview) -> list[dict[str, Any]]:
        return list(ReviewAnswerSerializer(review_answers(review), many=True).data)


class ReviewsApi(ReviewApi):
    """GET /reviews: the reviews the caller may decide or see, newest first (``order=ascending``
    for the oldest first: a queue), cursor-paged."""

    @extend_schema_serializer(component_name="ReviewListFilter")
    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ReviewStatus.choices, required=False)
        flow_definition_name = serializers.CharField(required=False, max_length=63)
        order = serializers.ChoiceField(choices=["descending", "ascending"], required=False, default="descending")
        page_size = serializers.IntegerField(required=False, min_value=1, max_value=1000)
        cursor = serializers.CharField(required=False)

    @extend_schema(
        operation_id="reviews_list",
        tags=[TAG],
        parameters=[FilterSerializer, ORGANIZATION_PARAMETER],
        responses={200: paginated_schema("ReviewPage", ReviewSummarySerializer), **problems(400)},
    )
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        f = filters.validated_data
        org, reviewer = self.caller
        qs = reviews_query(
            organization=org, reviewer=reviewer, status=f.get("status"), flow_name=f.get("flow_definition_name")
        )
        paginator = NewestFirstPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ReviewSummarySerializer(page, many=True).data)


class ReviewDetailApi(ReviewApi):
    """GET /reviews/{id}: the review with the loop's input and the workers' answers."""

    @extend_schema(
        operation_id="reviews_describe",
        tags=[TAG],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: ReviewSerializer, **problems(404)},
    )
    def get(self, request: Request, review_id: int) -> Response:
        org, reviewer = self.caller
        return Response(
            ReviewSerializer(review_get(organization=org, reviewer=reviewer, review_id=_review_id(review_id))).data
        )


def _decided(org: Organization, reviewer: Reviewer, review: LoopReview) -> Response:
    return Response(ReviewSerializer(review_get(organization=org, reviewer=reviewer, review_id=review.pk)).data)


class ReviewAcceptApi(ReviewApi):
    """POST /reviews/{id}/accept: the loop completes with the proposed answer."""

    @extend_schema_serializer(component_name="ReviewAcceptInput")
    class InputSerializer(StrictInputSerializer):
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        operation_id="reviews_accept",
        tags=[TAG],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={200: ReviewSerializer, **problems(400, 404, 409)},
    )
    def post(self, request: Request, review_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        org, reviewer = self.caller
        review = review_accept(
            organization=org,
            reviewer=reviewer,
            review_id=_review_id(review_id),
            note=serializer.validated_data.get("note"),
        )
        return _decided(org, reviewer, review)


class ReviewCorrectApi(ReviewApi):
    """POST /reviews/{id}/correct: the loop completes with ``answer`` as its consolidated answerContent."""

    @extend_schema_serializer(component_name="ReviewCorrectInput")
    class InputSerializer(StrictInputSerializer):
        answer = serializers.JSONField(
            help_text="The corrected answerContent: a JSON object in the shape a worker's answer has (at most 3 MiB). "
            'The loop\'s consolidated answer becomes {"answerContent": answer, "confidence": 1.0, "method": "review"}.'
        )
        note = serializers.CharField(required=False, allow_blank=True, max_length=2000)

    @extend_schema(
        operation_id="reviews_correct",
        tags=[TAG],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={200: ReviewSerializer, **problems(400, 404, 409)},
    )
    def post(self, request: Request, review_id: int) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        org, reviewer = self.caller
        review = review_correct(
            organization=org,
            reviewer=reviewer,
            review_id=_review_id(review_id),
            answer=d["answer"],
            note=d.get("note"),
        )
        return _decided(org, reviewer, review)


class FlowReviewConfigSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    reviewer_workteam = serializers.CharField(
        allow_null=True, help_text="A private team whose members review too (besides admins, engineers, team leads)."
    )


def _flow(org: Organization, name: str) -> FlowDefinition:
    flow = FlowDefinition.objects.filter(organization=org, name=name, deleted_at__isnull=True).first()
    if flow is None:
        raise NotFound(f"Flow definition {name} does not exist.", field="flowDefinitionName")
    flow.organization = org
    return flow


class FlowReviewApi(EngineerApi):
    """/flow-definitions/{name}/review: the flow's review stage (GET shows it, PUT sets it)."""

    field_aliases = {"reviewerWorkteam": "reviewer_workteam", "flowDefinitionName": "name"}

    @extend_schema_serializer(component_name="FlowReviewInput")
    class InputSerializer(StrictInputSerializer):
        enabled = serializers.BooleanField()
        reviewer_workteam = serializers.CharField(required=False, allow_null=True, allow_blank=True, max_length=63)

    @extend_schema(
        operation_id="flow_definitions_review_describe",
        tags=["flow definitions"],
        parameters=[ORGANIZATION_PARAMETER],
        responses={200: FlowReviewConfigSerializer, **problems(404)},
    )
    def get(self, request: Request, name: str) -> Response:
        flow = _flow(self.organization, name)
        return Response(flow_review_describe(flow_review_of(flow)))

    @extend_schema(
        operation_id="flow_definitions_review_set",
        tags=["flow definitions"],
        parameters=[ORGANIZATION_PARAMETER],
        request=InputSerializer,
        responses={200: FlowReviewConfigSerializer, **problems(400, 404)},
    )
    def put(self, request: Request, name: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        d = serializer.validated_data
        org = self.organization
        config = flow_review_set(
            organization=org,
            flow=_flow(org, name),
            enabled=d["enabled"],
            reviewer_workteam=d.get("reviewer_workteam") or None,
        )
        return Response(flow_review_describe(config))
