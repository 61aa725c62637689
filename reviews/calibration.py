"""The calibration page of a flow: accuracy against review rate, and the recommended threshold.

``flow_calibration_page`` serves ``/org/<account id>/console/flows/<name>/calibration/`` for the
organization's engineers and admins; the chart itself is the partial
``reviews/partials/calibration_chart.html`` (an inline SVG drawn on the server, no script), which
any page can include with ``calibration_context(...)``'s values.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from flows.api.access import ENGINEER_ROLES
from flows.calibration import Calibration, chart_svg_data
from flows.errors import LoupeError, NotFound
from flows.selectors.calibration import CalibrationPaths, flow_calibration
from workforce.models import Membership, Organization


def _organization(request: HttpRequest, account_id: str) -> Organization:
    """The organization ``account_id`` if the signed-in user is one of its engineers or admins."""
    membership = (
        Membership.objects.select_related("organization")
        .filter(user_id=request.user.pk or 0, organization__account_id=account_id, role__in=ENGINEER_ROLES)
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership.organization


def _target(value: str | None) -> float:
    try:
        target = float(value) if value else 0.99
    except ValueError:
        return 0.99
    if target > 1:
        target /= 100  # "99" means 99 %
    return target if 0 < target <= 1 else 0.99


def calibration_context(calibration: Calibration, paths: CalibrationPaths) -> dict[str, Any]:
    """Template values for ``reviews/partials/calibration_chart.html``."""
    rec = calibration.recommended
    return {
        "calibration": calibration,
        "paths": paths,
        "chart": chart_svg_data(calibration),
        "target_percent": f"{calibration.target * 100:g}",
        "recommended": {
            "threshold": f"{rec.threshold:.4g}",
            "review_percent": f"{rec.review_rate * 100:.1f}",
            "accuracy_percent": f"{rec.accuracy * 100:.2f}",
        }
        if rec
        else None,
        "model_accuracy_percent": f"{calibration.model_accuracy * 100:.2f}"
        if calibration.model_accuracy is not None
        else None,
    }


@login_required
def flow_calibration_page(request: HttpRequest, account_id: str, name: str) -> HttpResponse:
    org = _organization(request, account_id)
    target = _target(request.GET.get("target"))
    paths = {k: request.GET.get(f"{k}_path") or None for k in ("confidence", "label", "answer")}
    conservative = request.GET.get("conservative", "true").lower() not in ("false", "0", "no", "off")
    error = None
    context: dict[str, Any] = {}
    try:
        calibration, chosen = flow_calibration(
            organization=org, name=name, target=target, paths=paths, conservative=conservative
        )
        context = calibration_context(calibration, chosen)
    except NotFound:
        raise Http404("No such flow definition.") from None
    except LoupeError as exc:
        error = exc.message
    return render(
        request,
        "reviews/calibration.html",
        {
            "org": org,
            "flow_name": name,
            "error": error,
            "target_input": f"{target * 100:g}",
            "query": paths,
            "conservative": conservative,
            **context,
        },
    )
