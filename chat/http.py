"""JSON API plumbing shared by the apps' API views: login, JSON bodies, errors as JSON."""

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_http_methods

from chat.checks import check_write_rate
from chat.errors import ChatError, InvalidInput

MAX_BODY = 256 * 1024
View = Callable[..., JsonResponse]


def error_response(error: ChatError) -> JsonResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        body["retry_after"] = retry_after
    response = JsonResponse({"error": body}, status=error.status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def json_view(*methods: str) -> Callable[[View], View]:
    """Wrap an API view: methods, login (401 JSON), the write brake (429 ``rate_limited``), a
    JSON body as ``request.data``, errors."""

    def decorate(view: View) -> View:
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
            if not request.user.is_authenticated:
                return JsonResponse(
                    {"error": {"code": "unauthenticated", "message": "Log in first."}},
                    status=401,
                )
            try:
                if request.method not in ("GET", "HEAD"):
                    check_write_rate(request.user)
                request.data = _parse_body(request)  # type: ignore[attr-defined]
                return view(request, *args, **kwargs)
            except ChatError as error:
                return error_response(error)

        return wrapper

    return decorate


def _parse_body(request: HttpRequest) -> dict[str, Any]:
    # A DELETE may carry a body (an encrypted message's signed tombstone).
    if request.method in ("GET", "HEAD") or not request.body:
        return {}
    if len(request.body) > MAX_BODY:
        raise InvalidInput("The request is too large.", code="too_large")
    try:
        data = json.loads(request.body)
    except ValueError:
        raise InvalidInput("The request body is not valid JSON.", code="bad_json") from None
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", code="bad_json")
    return data
