"""HTTP edge of the AWS-compatible API: SigV4, dispatch, and errors in the caller's protocol.

Every view here is csrf_exempt (SigV4 is the only credential) and never answers a 500 page or a
stack trace: whatever escapes an operation becomes an ``InternalServerException`` body, and the
traceback goes to the log.
"""

from __future__ import annotations

import logging

from django.core import signing
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt

from config.unavailable import DETAIL as UNAVAILABLE_DETAIL
from config.unavailable import RETRY_AFTER_SECONDS, is_unavailable, log_unavailable
from flows import throttle
from flows.aws import a2i, protocol, sagemaker, sigv4
from flows.aws.protocol import AwsError, Protocol
from flows.errors import LoupeError
from flows.models import HumanTaskUi

logger = logging.getLogger("loupe.aws")


def _answer(request: HttpRequest, proto: Protocol) -> HttpResponse:
    request_id = protocol.new_request_id()
    try:
        try:
            body = request.body
        except RequestDataTooBig:
            raise AwsError(
                "ValidationException", "The request body is too large.", 413 if proto == "rest-json" else 400
            ) from None
        key = sigv4.authenticate(request)
        throttle.aws_check(key.access_key_id)
        org = key.organization
        if proto == "rest-json":
            handler, label = a2i.route(request.method or "GET", sigv4.raw_path(request))
            data = handler(org, {"body": body, "label": label, "query": sigv4.raw_query(request)})
        else:
            op = sagemaker.operation_for(request.META.get("HTTP_X_AMZ_TARGET", ""))
            data = op(org, a2i.json_body(body), request)
        return protocol.success(data, proto, request_id)
    except sigv4.AuthError as exc:
        return protocol.error(AwsError(exc.code, exc.message, exc.status), proto, request_id)
    except AwsError as exc:
        return protocol.error(exc, proto, request_id)
    except LoupeError as exc:
        return protocol.error(protocol.from_domain(exc, proto), proto, request_id)
    except Exception as exc:
        if is_unavailable(exc):
            # The database is out for a moment: 503 ServiceUnavailable, which botocore retries.
            log_unavailable(f"AWS API request {request.method} {request.path} ({request_id})", exc)
            response = protocol.error(AwsError("ServiceUnavailable", UNAVAILABLE_DETAIL, 503), proto, request_id)
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            return response
        logger.exception("AWS API request %s %s failed (request id %s)", request.method, request.path, request_id)
        return protocol.error(
            AwsError("InternalServerException", f"Internal error (request id {request_id}).", 500), proto, request_id
        )


@csrf_exempt
def human_loops(request: HttpRequest, prefix: str = "", rest: str = "") -> HttpResponse:
    """Everything under ``[/<prefix>]/human-loops``: the A2I runtime."""
    return _answer(request, "rest-json")


@csrf_exempt
def root(request: HttpRequest) -> HttpResponse:
    """``/``: SageMaker (POST with X-Amz-Target), otherwise the portal home."""
    if request.method == "POST" and "HTTP_X_AMZ_TARGET" in request.META:
        return _answer(request, "json")
    from reviews.views import home

    return home(request)


@csrf_exempt
def prefixed_root(request: HttpRequest, prefix: str) -> HttpResponse:
    """``/<prefix>[/]`` for an endpoint_url with a path: SageMaker only. Other requests to a bare
    ``/<name>`` get the redirect CommonMiddleware's APPEND_SLASH would have given them."""
    if request.method == "POST" and "HTTP_X_AMZ_TARGET" in request.META:
        return _answer(request, "json")
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not prefixed_root:
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    raise Http404


def task_ui_template(request: HttpRequest, token: str) -> HttpResponse:
    """DescribeHumanTaskUi's ``UiTemplate.Url``: the template text, for an hour after Describe."""
    try:
        data = signing.loads(token, salt=sagemaker.TEMPLATE_URL_SALT, max_age=sagemaker.TEMPLATE_URL_MAX_AGE)
    except signing.SignatureExpired:
        return HttpResponse(
            "This template link has expired: call DescribeHumanTaskUi again.",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    except signing.BadSignature:
        raise Http404 from None
    ui = HumanTaskUi.objects.filter(pk=data.get("ui"), content_sha256=data.get("sha")).first()
    if ui is None:
        raise Http404
    # Plain text: the template is untrusted code and is never rendered as a page of this origin.
    response = HttpResponse(ui.template, content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
