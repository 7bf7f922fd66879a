"""JSON API plumbing shared by the apps' API views: login, JSON bodies, errors as JSON."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.views.csrf import csrf_failure as default_csrf_failure
from django.views.decorators.http import require_http_methods

from chat.checks import check_write_rate
from chat.errors import ChatError, InvalidInput, NotAllowed
from chat.wire import check_text, decode_object

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
    if request.method in ("GET", "HEAD"):
        return {}
    try:
        body = request.body
    except RequestDataTooBig:  # over DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses to read it
        raise InvalidInput(f"Send at most {MAX_BODY // 1024} KiB.", code="too_large") from None
    return decode_object(body, limit=MAX_BODY) if body else {}


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the JSON API (it gets JSON errors, never HTML pages)."""
    return request.path.startswith("/api/")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the API's JSON error shape for API requests, Django's page else."""
    if is_api(request):
        return error_response(
            NotAllowed(
                "The request lacks a valid CSRF token; reload the page and try again.",
                code="csrf_failed",
            )
        )
    return default_csrf_failure(request, reason)


class QueryTextMiddleware:
    """Refuse a query string holding text no database can store (a NUL, a lone surrogate):
    PostgreSQL would fail the query with a 500 where SQLite answers. The same rule as JSON
    bodies (``chat.wire.check_text``); a 400 in the API's JSON shape, or a plain 400 page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            for key, values in request.GET.lists():
                for text in (key, *values):
                    check_text(text)
        except InvalidInput as error:
            if is_api(request):
                return error_response(error)
            return HttpResponseBadRequest(error.message, content_type="text/plain")
        return self.get_response(request)
