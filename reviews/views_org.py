"""An organization's pages: team lead (teams, invitations, live progress), engineer console (task
UIs, flow definitions, loops) and admin (members and roles, API keys, the MFA rule, vendors, usage).

Every URL names the organization by account id; ``workforce.permissions.organization_for``
answers 404 unless the user holds a role that opens the page there, and every object is looked up
inside that organization (a member of A never reaches B's anything). Forms are POST with CSRF.
Writes go to the services of their owners (``flows.services.*``, ``workforce.services_*``);
their domain errors become page messages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.views.decorators.http import require_http_methods, require_POST

from flows import arns
from flows.errors import LoupeError
from flows.models import Answer, FlowDefinition, HumanLoop, HumanLoopStatus, HumanTaskUi, OutputWrite
from flows.services.flow_definitions import HumanLoopConfig, flow_definition_create
from flows.services.gold import gold_item_withdraw, gold_items_create, gold_items_query, gold_scores
from flows.services.loops import loop_delete, loop_stop
from flows.services.task_uis import task_ui_create
from reviews.prebuilt import prebuilt_get, prebuilt_list
from reviews.quality import parse_threshold, quality_context
from reviews.selectors import loops_filtered
from workforce.models import Crowd, Organization, Role, User
from workforce.permissions import (
    ADMIN_ROLES,
    DASHBOARD_ROLES,
    ENGINEER_ROLES,
    TEAM_LEAD_ROLES,
    organization_for,
    role_in,
)
from workforce.selectors import (
    api_keys_of,
    flow_progress,
    invitation_get,
    invitations_of,
    members_of,
    subscriptions_of,
    team_get,
    team_members,
    teams_for_flows,
    teams_of,
    usage_by_month,
    vendor_offerings,
    worker_stats,
)
from workforce.services_invitations import invitation_create, invitation_revoke
from workforce.services_portal import (
    api_key_issue,
    api_key_revoke,
    format_usd,
    member_add,
    member_role_set,
    organization_mfa_set,
    price_mills,
    team_create,
    team_member_remove,
    vendor_subscribe,
    vendor_team_offer,
    vendor_unsubscribe,
)

View = Callable[..., HttpResponse]


def org_page(roles: frozenset[str]) -> Callable[[View], View]:
    """Resolve ``account_id`` to the organization (404 unless the user holds one of ``roles``)
    and pass it as ``org``; the template context gets ``org`` and the user's ``role`` there."""

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, account_id: str, **kwargs: Any) -> HttpResponse:
            org = organization_for(request.user, account_id, roles)
            request.loupe_role = role_in(request.user, org)  # type: ignore[attr-defined]
            return view(request, org=org, **kwargs)

        return wrapper

    return decorate


def _ctx(request: HttpRequest, org: Organization, **extra: Any) -> dict[str, Any]:
    role = getattr(request, "loupe_role", None)
    return {
        "org": org,
        "role": role,
        "can_lead": role in TEAM_LEAD_ROLES,
        "can_engineer": role in ENGINEER_ROLES,
        "can_admin": role in ADMIN_ROLES,
        **extra,
    }


def _back(request: HttpRequest, name: str, org: Organization, *args: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"reviews:{name}", args=[org.account_id, *args]))


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("No such item.") from None


# --- Team lead -----------------------------------------------------------------------------------


def _live_context(org: Organization) -> dict[str, Any]:
    return {
        "progress": flow_progress(org),
        "workers": worker_stats(org),
        "invitations": invitations_of(org),
        "teams": teams_of(org),
    }


@org_page(DASHBOARD_ROLES)
def dashboard(request: HttpRequest, org: Organization) -> HttpResponse:
    """Teams, invitations, per-flow progress and per-worker counts, refreshed live; worker quality
    charts per flow (``reviews.quality``)."""
    quality = quality_context(org, threshold=parse_threshold(request.GET.get("threshold")))
    return render(request, "reviews/org/dashboard.html", _ctx(request, org, **_live_context(org), **quality))


@org_page(DASHBOARD_ROLES)
def dashboard_live(request: HttpRequest, org: Organization) -> HttpResponse:
    """The live part of the dashboard, re-fetched by the page when an event arrives."""
    return render(request, "reviews/org/_live.html", _ctx(request, org, **_live_context(org)))


@org_page(TEAM_LEAD_ROLES)
@require_POST
def team_new(request: HttpRequest, org: Organization) -> HttpResponse:
    try:
        team = team_create(
            organization=org, name=request.POST.get("name", ""), description=request.POST.get("description", "")
        )
    except LoupeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Team {team.name} created.")
    return _back(request, "org-dashboard", org)


@org_page(DASHBOARD_ROLES)
def team_detail(request: HttpRequest, org: Organization, team_id: int) -> HttpResponse:
    team = team_get(organization=org, workteam_id=team_id)
    if team is None:
        raise Http404("No such team.")
    return render(request, "reviews/org/team.html", _ctx(request, org, team=team, members=team_members(team)))


@org_page(TEAM_LEAD_ROLES)
@require_POST
def team_member_delete(request: HttpRequest, org: Organization, team_id: int) -> HttpResponse:
    team = team_get(organization=org, workteam_id=team_id)
    if team is None:
        raise Http404("No such team.")
    try:
        team_member_remove(workteam=team, user_id=_int(request.POST.get("user_id")))
    except LoupeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Removed from the team.")
    return _back(request, "org-team", org, team.pk)


@org_page(TEAM_LEAD_ROLES)
@require_POST
def invitation_new(request: HttpRequest, org: Organization) -> HttpResponse:
    team = team_get(organization=org, workteam_id=_int(request.POST.get("team_id")))
    if team is None:
        raise Http404("No such team.")
    try:
        sent = invitation_create(
            workteam=team,
            email=request.POST.get("email", ""),
            invited_by=request.user,  # type: ignore[arg-type]
            base_url=request.build_absolute_uri("/"),
        )
    except LoupeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Invitation sent to {sent.invitation.email} for team {team.name}.")
    return _back(request, "org-dashboard", org)


@org_page(TEAM_LEAD_ROLES)
@require_POST
def invitation_delete(request: HttpRequest, org: Organization, invitation_id: int) -> HttpResponse:
    invitation = invitation_get(organization=org, invitation_id=invitation_id)
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        invitation_revoke(invitation=invitation)
    except LoupeError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return _back(request, "org-dashboard", org)


# --- Engineer console ------------------------------------------------------------------------------


@org_page(ENGINEER_ROLES)
def console(request: HttpRequest, org: Organization) -> HttpResponse:
    task_uis = HumanTaskUi.objects.filter(organization=org, deleted_at__isnull=True).order_by("-created_at")[:200]
    flows = (
        FlowDefinition.objects.select_related("human_task_ui", "workteam")
        .filter(organization=org, deleted_at__isnull=True)
        .order_by("-created_at")[:200]
    )
    return render(request, "reviews/console/index.html", _ctx(request, org, task_uis=task_uis, flows=flows))


@org_page(ENGINEER_ROLES)
@require_http_methods(["GET", "POST"])
def task_ui_new(request: HttpRequest, org: Organization) -> HttpResponse:
    chosen = request.GET.get("prebuilt") or request.POST.get("prebuilt") or ""
    prebuilt = prebuilt_get(chosen) if chosen else None
    form = {"name": request.POST.get("name", ""), "template": request.POST.get("template", "")}
    if request.method == "GET" and prebuilt is not None:
        form["template"] = prebuilt.template
    if request.method == "POST":
        try:
            ui = task_ui_create(
                organization=org,
                name=form["name"].strip(),
                content=form["template"],
                prebuilt=prebuilt.id if prebuilt is not None and form["template"] == prebuilt.template else "",
            )
        except LoupeError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Task UI {ui.name} created.")
            return _back(request, "console-task-ui", org, ui.name)
    return render(
        request,
        "reviews/console/task_ui_new.html",
        _ctx(request, org, form=form, prebuilt_items=prebuilt_list(), chosen=chosen),
    )


@org_page(ENGINEER_ROLES)
def task_ui_detail(request: HttpRequest, org: Organization, name: str) -> HttpResponse:
    ui = HumanTaskUi.objects.filter(organization=org, name=name, deleted_at__isnull=True).first()
    if ui is None:
        raise Http404("No such task UI.")
    ui.organization = org
    return render(request, "reviews/console/task_ui.html", _ctx(request, org, ui=ui))


def _optional_int(value: str, label: str) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise _FormError(f"{label} must be a whole number.") from None


class _FormError(LoupeError):
    pass


def _price(value: str) -> dict[str, int] | None:
    """'0.036' (USD) -> {"Dollars": 0, "Cents": 3, "TenthFractionsOfACent": 6}."""
    value = (value or "").strip().lstrip("$")
    if not value:
        return None
    try:
        mills = round(float(value) * 1000)
    except ValueError:
        raise _FormError("The public price is an amount in US dollars, such as 0.036.") from None
    if mills < 0:
        raise _FormError("The public price cannot be negative.")
    dollars, rest = divmod(mills, 1000)
    cents, tenths = divmod(rest, 10)
    return {"Dollars": dollars, "Cents": cents, "TenthFractionsOfACent": tenths}


@org_page(ENGINEER_ROLES)
@require_http_methods(["GET", "POST"])
def flow_new(request: HttpRequest, org: Organization) -> HttpResponse:
    task_uis = list(HumanTaskUi.objects.filter(organization=org, deleted_at__isnull=True).order_by("name"))
    teams = teams_for_flows(org)
    p = request.POST
    form = {
        "name": p.get("name", ""),
        "task_ui": p.get("task_ui", request.GET.get("task_ui", "")),
        "team": p.get("team", ""),
        "title": p.get("title", ""),
        "description": p.get("description", ""),
        "task_count": p.get("task_count", "1"),
        "time_limit": p.get("time_limit", "3600"),
        "lifetime": p.get("lifetime", ""),
        "max_concurrent": p.get("max_concurrent", ""),
        "price": p.get("price", ""),
        "output": p.get("output", f"s3://{org.name.lower().replace(' ', '-')[:40] or 'bucket'}-reviews/output"),
        "role_arn": p.get("role_arn", f"arn:aws:iam::{org.account_id}:role/LoupeReview"),
    }
    if request.method == "POST":
        team = next((t for t in teams if str(t.pk) == form["team"]), None)
        try:
            if team is None:
                raise _FormError("Choose a work team.")
            flow = flow_definition_create(
                organization=org,
                name=form["name"].strip(),
                role_arn=form["role_arn"].strip(),
                output_s3_path=form["output"].strip(),
                human_loop_config=HumanLoopConfig(
                    workteam_arn=team.arn,
                    human_task_ui_arn=arns.human_task_ui_arn(org.region, org.account_id, form["task_ui"]),
                    task_title=form["title"].strip(),
                    task_description=form["description"].strip(),
                    task_count=_optional_int(form["task_count"], "The number of workers per item") or 0,
                    task_availability_lifetime_seconds=_optional_int(form["lifetime"], "The availability lifetime"),
                    task_time_limit_seconds=_optional_int(form["time_limit"], "The task time limit"),
                    public_price=_price(form["price"]) if team.crowd == Crowd.PUBLIC else None,
                ),
                max_concurrent_task_count=_optional_int(form["max_concurrent"], "The concurrent task limit"),
            )
        except LoupeError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Flow definition {flow.name} created.")
            return _back(request, "console-flow", org, flow.name)
    return render(
        request,
        "reviews/console/flow_new.html",
        _ctx(request, org, form=form, task_uis=task_uis, teams=teams),
    )


def _flow(org: Organization, name: str) -> FlowDefinition:
    flow = (
        FlowDefinition.objects.select_related("human_task_ui", "workteam__organization")
        .filter(organization=org, name=name, deleted_at__isnull=True)
        .first()
    )
    if flow is None:
        raise Http404("No such flow definition.")
    flow.organization = org
    return flow


def _when(value: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        if day is not None:
            parsed = datetime(day.year, day.month, day.day)
    if parsed is None:
        raise _FormError(f"{value!r} is not a date (YYYY-MM-DD) or date and time.")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


@org_page(ENGINEER_ROLES)
def flow_detail(request: HttpRequest, org: Organization, name: str) -> HttpResponse:
    flow = _flow(org, name)
    filters = {k: request.GET.get(k, "") for k in ("status", "name", "after", "before")}
    loops: list[HumanLoop] = []
    try:
        loops = loops_filtered(
            flow=flow,
            status=filters["status"] or None,
            name_contains=filters["name"] or None,
            created_after=_when(filters["after"]),
            created_before=_when(filters["before"]),
        )
    except LoupeError as exc:
        messages.error(request, exc.message)
    mills = price_mills(flow.public_price)
    gold = list(gold_items_query(flow=flow).order_by("-created_at", "-pk")[:GOLD_PAGE])
    scores = gold_scores(flow=flow, items=gold)
    gold_items = [
        {"item": g, "score": scores[g.pk], "answer_text": json.dumps(g.gold_answer, ensure_ascii=False)} for g in gold
    ]
    return render(
        request,
        "reviews/console/flow.html",
        _ctx(
            request,
            org,
            flow=flow,
            loops=loops,
            filters=filters,
            statuses=HumanLoopStatus.values,
            price=format_usd(mills) if mills else "",
            gold_items=gold_items,
            gold_form=request.session.pop("loupe_gold_form", ""),
        ),
    )


GOLD_PAGE = 200


@org_page(ENGINEER_ROLES)
@require_POST
def gold_action(request: HttpRequest, org: Organization, name: str) -> HttpResponse:
    """Add gold items (pasted JSON: one item or a list) or withdraw one (``flows.services.gold``)."""
    flow = _flow(org, name)
    action = request.POST.get("action")
    try:
        if action == "add":
            raw = request.POST.get("items", "")
            try:
                parsed = json.loads(raw)
            except ValueError as exc:
                request.session["loupe_gold_form"] = raw[:100_000]
                messages.error(request, f"The gold items are not valid JSON: {exc}")
                return _back(request, "console-flow", org, flow.name)
            items = parsed if isinstance(parsed, list) else [parsed]
            results = gold_items_create(organization=org, flow_name=flow.name, items=items)
            created = sum(r.status == "created" for r in results)
            errors = [r for r in results if r.error is not None]
            if created:
                messages.success(request, f"{created} gold item{'s' if created != 1 else ''} added.")
            for r in errors[:10]:
                assert r.error is not None
                messages.error(request, f"Item {r.index}: {r.error.message}")
            if len(errors) > 10:
                messages.error(request, f"... and {len(errors) - 10} more items refused.")
            if errors:
                request.session["loupe_gold_form"] = raw[:100_000]
        elif action == "withdraw":
            gold_item_withdraw(organization=org, flow_name=flow.name, item_id=request.POST.get("id"))
            messages.success(request, "Gold item withdrawn: its open tasks are closed, its answers still count.")
        else:
            messages.error(request, "Unknown action.")
    except LoupeError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("reviews:console-flow", args=[org.account_id, flow.name]) + "#gold")


@org_page(ENGINEER_ROLES)
def loop_detail(request: HttpRequest, org: Organization, name: str, loop_name: str) -> HttpResponse:
    flow = _flow(org, name)
    loop = HumanLoop.objects.filter(
        organization=org, flow_definition=flow, name=loop_name, deleted_at__isnull=True, is_gold=False
    ).first()
    if loop is None:
        raise Http404("No such human loop.")
    answers = list(Answer.objects.select_related("worker").filter(loop=loop).order_by("submission_time", "pk"))
    try:
        input_pretty = json.dumps(json.loads(loop.input_content), indent=2, ensure_ascii=False)
    except ValueError:
        input_pretty = loop.input_content
    rows = [(a, json.dumps(a.answer_content, indent=2, ensure_ascii=False)) for a in answers]
    consolidated = (
        json.dumps(loop.consolidated_answer, indent=2, ensure_ascii=False)
        if loop.consolidated_answer is not None
        else ""
    )
    return render(
        request,
        "reviews/console/loop.html",
        _ctx(
            request,
            org,
            flow=flow,
            loop=loop,
            input_pretty=input_pretty,
            answers=rows,
            consolidated=consolidated,
            tasks=list(loop.tasks.order_by("index")),
            output_write=OutputWrite.objects.filter(loop=loop).first() if not loop.output_written else None,
        ),
    )


@org_page(ENGINEER_ROLES)
@require_POST
def loop_action(request: HttpRequest, org: Organization, name: str, loop_name: str) -> HttpResponse:
    flow = _flow(org, name)
    action = request.POST.get("action")
    try:
        if action == "stop":
            loop = loop_stop(organization=org, name=loop_name)
            messages.success(request, f"Human loop {loop_name} is {loop.status}.")
        elif action == "delete":
            loop_delete(organization=org, name=loop_name)
            messages.success(request, f"Human loop {loop_name} was deleted.")
            return _back(request, "console-flow", org, flow.name)
        else:
            messages.error(request, "Unknown action.")
    except LoupeError as exc:
        messages.error(request, exc.message)
    return _back(request, "console-loop", org, flow.name, loop_name)


# --- Admin ----------------------------------------------------------------------------------------


@org_page(ADMIN_ROLES)
def admin_page(request: HttpRequest, org: Organization) -> HttpResponse:
    new_key = request.session.pop("loupe_new_api_key", None)
    return render(
        request,
        "reviews/org/admin.html",
        _ctx(
            request,
            org,
            members=members_of(org),
            roles=Role.choices,
            keys=api_keys_of(org),
            new_key=new_key,
            usage=usage_by_month(org),
            offerings=vendor_offerings(exclude=org),
            subscriptions=subscriptions_of(org),
            subscribed_ids={s.workteam_id for s in subscriptions_of(org)},
            own_vendor_teams=[t for t in teams_of(org) if t.crowd == Crowd.VENDOR],
        ),
    )


@org_page(ADMIN_ROLES)
@require_POST
def admin_action(request: HttpRequest, org: Organization) -> HttpResponse:
    p = request.POST
    action = p.get("action", "")
    actor = request.user
    assert isinstance(actor, User)
    try:
        if action == "role":
            m = member_role_set(
                organization=org, user_id=_int(p.get("user_id")), role=p.get("role", ""), acting_user=actor
            )
            messages.success(request, f"{m.user.email} is now {m.get_role_display()}.")
        elif action == "member_add":
            m = member_add(organization=org, email=p.get("email", ""), role=p.get("role", ""))
            messages.success(request, f"{m.user.email} joined as {m.get_role_display()}.")
        elif action == "key_create":
            key = api_key_issue(organization=org, name=p.get("name", ""), created_by=actor)
            # Shown once, on the next page, then gone from the session.
            request.session["loupe_new_api_key"] = {
                "access_key_id": key.access_key_id,
                "secret_access_key": key.secret_access_key,
            }
            messages.success(request, "API key created. Copy the secret now: it will not be shown again.")
        elif action == "key_revoke":
            key = api_key_revoke(organization=org, key_id=_int(p.get("key_id")))
            messages.success(request, f"API key {key.access_key_id} revoked.")
        elif action == "mfa":
            organization_mfa_set(organization=org, required=p.get("required") == "1")
            messages.success(
                request, "Two-factor authentication is now required." if org.mfa_required else "MFA is optional."
            )
        elif action == "vendor_offer":
            team = vendor_team_offer(
                organization=org,
                name=p.get("name", ""),
                marketplace_title=p.get("title", ""),
                marketplace_description=p.get("description", ""),
            )
            messages.success(request, f"Vendor team {team.name} is offered to other organizations.")
        elif action == "subscribe":
            sub = vendor_subscribe(organization=org, workteam_id=_int(p.get("workteam_id")))
            messages.success(request, f"Subscribed to {sub.workteam.marketplace_title}.")
        elif action == "unsubscribe":
            vendor_unsubscribe(organization=org, workteam_id=_int(p.get("workteam_id")))
            messages.success(request, "Subscription ended.")
        else:
            messages.error(request, "Unknown action.")
    except LoupeError as exc:
        messages.error(request, exc.message)
    return _back(request, "org-admin", org)
