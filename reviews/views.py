"""Portal pages for workers: the home (work available), the working session, earnings, the
public pool opt-in, and accepting an invitation.

Views parse, call one service or selector, and render; domain errors become page messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST

from flows.errors import LoupeError
from reviews.consumers import counts_payload
from workforce.models import User
from workforce.permissions import DASHBOARD_ROLES, memberships_of
from workforce.selectors import earnings_of
from workforce.services_invitations import (
    invitation_accept_existing,
    invitation_accept_new_account,
    invitation_for_token,
)
from workforce.services_portal import format_usd, public_pool_opt_in_set

#: The portal home is served at "/" by the AWS root view for non-AWS requests (flows.aws.views.root).
PORTAL_HOME = "/"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The worker's home: the work available to them by flow (live), and, for people with a role
    in an organization, links to its pages."""
    user = _user(request)
    memberships = memberships_of(user)
    return render(
        request,
        "reviews/home.html",
        {
            "flows": counts_payload(user),
            "memberships": [m for m in memberships if m.role in DASHBOARD_ROLES],
            "all_memberships": memberships,
        },
    )


@login_required
def work_session(request: HttpRequest) -> HttpResponse:
    """The working session: the page drives ``/ws/work/`` (``static/portal/work.js``)."""
    flow_id = request.GET.get("flow", "")
    return render(request, "reviews/work.html", {"flow_id": flow_id if flow_id.isdigit() else ""})


@login_required
@require_POST
def public_pool(request: HttpRequest) -> HttpResponse:
    opt_in = request.POST.get("opt_in") == "1"
    public_pool_opt_in_set(user=_user(request), opt_in=opt_in)
    if opt_in:
        messages.success(request, "You joined the public pool: paid public work now shows on this page.")
    else:
        messages.info(request, "You left the public pool.")
    return HttpResponseRedirect(PORTAL_HOME)


@login_required
def earnings(request: HttpRequest) -> HttpResponse:
    summary = earnings_of(_user(request))
    rows = [(e, format_usd(e.amount_mills)) for e in summary.entries]
    return render(
        request,
        "reviews/earnings.html",
        {"rows": rows, "total": format_usd(summary.total_mills), "count": summary.count},
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation e-mail links to.

    Signed in: accept with the current account. Signed out, and the invited address has no
    account: choose a password (the account is created, verified), then sign in. Signed out with
    an existing account: sign in first, and come back here.
    """
    try:
        invitation = invitation_for_token(token)
    except LoupeError as exc:
        return render(request, "reviews/invitation.html", {"error": exc.message}, status=410)
    context: dict = {"invitation": invitation, "team": invitation.workteam, "organization": invitation.organization}
    user = request.user
    if user.is_authenticated:
        if request.method == "POST":
            try:
                invitation_accept_existing(token=token, user=_user(request))
            except LoupeError as exc:
                messages.error(request, exc.message)
                return render(request, "reviews/invitation.html", {"error": exc.message}, status=410)
            messages.success(request, f"You joined team {invitation.workteam.name} of {invitation.organization.name}.")
            return HttpResponseRedirect(PORTAL_HOME)
        context["mode"] = "join"
        return render(request, "reviews/invitation.html", context)
    if User.objects.filter(email__iexact=invitation.email).exists():
        login = reverse("account_login") + "?" + urlencode({"next": request.path})
        context.update(mode="sign_in", login_url=login)
        return render(request, "reviews/invitation.html", context)
    context["mode"] = "new"
    if request.method == "POST":
        password1 = request.POST.get("password1", "")
        password2 = request.POST.get("password2", "")
        if password1 != password2:
            context["form_error"] = "The two passwords differ."
            return render(request, "reviews/invitation.html", context, status=400)
        try:
            invitation_accept_new_account(token=token, password=password1)
        except LoupeError as exc:
            context["form_error"] = exc.message
            return render(request, "reviews/invitation.html", context, status=400)
        messages.success(
            request,
            f"Your account is ready and you joined team {invitation.workteam.name}. Sign in with your new password.",
        )
        login = reverse("account_login")
        next_url = PORTAL_HOME
        if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            login += "?" + urlencode({"next": next_url})
        return HttpResponseRedirect(login)
    return render(request, "reviews/invitation.html", context)
