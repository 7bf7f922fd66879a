"""The one JSON API object: the apps' routers mounted under /api/, and the OpenAPI description
generated from their declared schemas at /api/schema/ (docs/ARCHITECTURE.md "HTTP API")."""

from django.views.decorators.http import require_safe

from chat.api import router as chat_router
from chat.http import KeyroomAPI
from e2e.api import router as e2e_router

api = KeyroomAPI(
    title="Keyroom API",
    version="1",
    description=(
        "The JSON API the Keyroom web client uses. Either the session cookie plus the "
        "X-CSRFToken header for writes, or a personal access token (My Account -> Tokens) as "
        "`Authorization: Bearer <token>`, no CSRF token needed. "
        'Every error is {"error": {"code", "message"}}; the socket protocol '
        "is in docs/ARCHITECTURE.md."
    ),
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url=None,  # no interactive page: it would need inline script or a CDN (the CSP)
    docs_decorator=require_safe,  # the description is public: GET or HEAD, no login
)
api.add_router("/", chat_router)
api.add_router("/e2e/", e2e_router)
