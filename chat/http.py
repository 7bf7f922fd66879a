"""JSON API plumbing shared by the apps' API routers (django-ninja): the token and session gates
(a bearer token or the session with CSRF, the brakes, bounded bodies), the declared schemas'
refusals and every error as ``{"error": {"code", "message"}}`` (docs/ARCHITECTURE.md "HTTP API",
"Tokens and bots")."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import reverse
from django.views.csrf import csrf_failure as default_csrf_failure
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from ninja.security.apikey import APIKeyCookie
from ninja.security.http import HttpBearer
from ninja.utils import check_csrf

from accounts.access import TokenRefused, access_token_by_secret
from accounts.actions import do_note_token_used
from accounts.checks import check_token_rate
from chat.checks import check_write_rate
from chat.errors import ChatError, InvalidInput, NotAllowed, NotFound, RateLimited
from chat.schemas import refusal
from chat.wire import check_text, decode_object

MAX_BODY = 256 * 1024
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
CSRF_MESSAGE = "The request lacks a valid CSRF token; reload the page and try again."


def error_response(error: ChatError, *, status: int | None = None) -> JsonResponse:
    body: dict[str, Any] = {"code": error.code, "message": error.message}
    retry_after = getattr(error, "retry_after", None)
    if retry_after is not None:
        body["retry_after"] = retry_after
    response = JsonResponse({"error": body}, status=status or error.status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


class SessionGate(APIKeyCookie):
    """The API's authentication by session (when ``TokenGate`` found no bearer header), run
    before any schema: CSRF for writes (JSON 403 ``csrf_failed``), the session's user (else 401
    ``unauthenticated``), the write brake (429 ``rate_limited``), then a write's body decoded
    within ``chat.wire``'s bounds (400 ``too_large`` / ``bad_json``), so no schema or view sees
    an unbounded or unstorable value."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise NotAllowed(CSRF_MESSAGE, code="csrf_failed")
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not request.user.is_authenticated:
            return None
        return _admit(request)


class TokenGate(HttpBearer):
    """The API's first authentication: ``Authorization: Bearer <token>`` (accounts'
    personal access tokens). Without that header it passes (None) to ``SessionGate``.

    A bad, revoked or expired token is 401 ``unauthenticated`` (never the session instead). The
    request acts as the token's user. It needs no CSRF token, since a cross-site page cannot
    make a browser send this header (no CORS here) and no cookie authenticates it, unless a
    session cookie authenticated the request as well: then a write still needs the CSRF token,
    so adding a header can never make a cookie-borne request skip CSRF. Every request takes from
    the token's bucket (429 ``rate_limited``), then the same write brake and body bounds as a
    session's."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            found = access_token_by_secret(token)
        except TokenRefused:
            raise AuthenticationError from None
        if (
            request.user.is_authenticated  # the session cookie, from AuthenticationMiddleware
            and request.method not in SAFE_METHODS
            and check_csrf(request) is not None
        ):
            raise NotAllowed(CSRF_MESSAGE, code="csrf_failed")
        if wait := check_token_rate(found):
            raise RateLimited("Too many requests with this token. Wait a moment.", retry_after=wait)
        do_note_token_used(found)
        request.user = found.user
        request.access_token = found  # type: ignore[attr-defined]
        return _admit(request)


def _admit(request: HttpRequest) -> Any:
    """For an authenticated request: a write takes from the user's write brake and has its
    body decoded within bounds. Return the user."""
    if request.method not in SAFE_METHODS:
        check_write_rate(request.user)
        request.wire_body = _parse_body(request)  # type: ignore[attr-defined]
        if not request.body:
            # No body reads as {} (as it always did): ninja skips validation of an empty
            # body, and every write's schema should see one.
            request._body = b"{}"
    return request.user


class WireParser(Parser):
    """ninja's body parser: the body ``SessionGate`` already decoded with ``chat.wire``."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = getattr(request, "wire_body", None)
        return data if data is not None else _parse_body(request)


class SchemaRefused(ValidationError):
    """ninja's validation error, carrying the one error the schema's ``refusal`` made."""

    def __init__(self, error: ChatError) -> None:
        self.error = error
        super().__init__([{"code": error.code, "message": error.message}])


class KeyroomAPI(NinjaAPI):
    """The JSON API: every endpoint declared with its request schema (``chat.schemas``);
    every error in the one shape ``{"error": {"code", "message"}}``."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(auth=[TokenGate(), SessionGate()], parser=WireParser(), **kwargs)
        self.add_exception_handler(ChatError, lambda request, exc: error_response(exc))
        self.add_exception_handler(SchemaRefused, lambda request, exc: error_response(exc.error))
        self.add_exception_handler(AuthenticationError, lambda request, exc: _unauthenticated())
        self.add_exception_handler(Http404, lambda request, exc: error_response(NotFound()))
        self.add_exception_handler(
            HttpError,
            lambda request, exc: error_response(
                ChatError(str(exc), code="invalid"), status=exc.status_code
            ),
        )

    @property
    def urls(self) -> tuple[list[Any], str, str]:
        """ninja's URL patterns without its root marker (an HTML 404 at /api/ itself)."""
        patterns, app_name, namespace = super().urls
        return [p for p in patterns if p.name != "api-root"], app_name, namespace

    def get_root_path(self, path_params: dict[str, Any]) -> str:
        """Where the API is mounted (the routes' common prefix in the OpenAPI description),
        found from the schema's own URL since the root marker is gone."""
        schema_url = reverse(f"{self.urls_namespace}:openapi-json", kwargs=path_params)
        return schema_url.removesuffix(str(self.openapi_url).lstrip("/"))

    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        context = error_contexts[0]
        # ninja's models wrap a body schema in a field named after the view's argument.
        return SchemaRefused(refusal(context.model, context.pydantic_validation_error, skip=1))


def _unauthenticated() -> JsonResponse:
    return JsonResponse(
        {"error": {"code": "unauthenticated", "message": "Log in first."}}, status=401
    )


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
                CSRF_MESSAGE,
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
