"""The API as the tests see it: the routes in Django's URL resolver, and the OpenAPI description
the server generates from the declared schemas (served at /api/schema/)."""

import json
import re
from functools import cache
from typing import Any

from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.responses import NinjaJSONEncoder

from keyroom.api import api

SCHEMA_ROUTE = "/api/schema/"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def api_routes() -> list[str]:
    """Return every /api/ route in the resolver as a path (``<int:room_id>`` left in), but
    the description's own route."""
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                route = prefix + str(pattern.pattern)
                if route.startswith("api/"):
                    found.append("/" + route)

    walk(get_resolver().url_patterns, "")
    return sorted(set(found) - {SCHEMA_ROUTE})


def as_openapi_path(route: str) -> str:
    """``/api/rooms/<int:room_id>/`` -> ``/api/rooms/{room_id}/``."""
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)


@cache
def openapi() -> dict[str, Any]:
    """The OpenAPI description the server generates from its views (what /api/schema/
    serves: ``test_openapi`` checks they are the same), as plain JSON values. Built without a
    request, so tests can be parametrized over it at collection time."""
    return json.loads(json.dumps(api.get_openapi_schema(), cls=NinjaJSONEncoder))


def served_openapi() -> dict[str, Any]:
    """The OpenAPI description as GET /api/schema/ serves it."""
    response = Client(HTTP_HOST="127.0.0.1").get(SCHEMA_ROUTE)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Return ``schema`` with every ``$ref`` to the description's components inlined."""
    components = openapi()["components"]["schemas"]

    def inline(value: Any) -> Any:
        if isinstance(value, dict):
            if "$ref" in value:
                return inline(components[value["$ref"].rsplit("/", 1)[-1]])
            return {key: inline(child) for key, child in value.items()}
        if isinstance(value, list):
            return [inline(child) for child in value]
        return value

    return inline(schema)


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """Return ``(method, path, operation)`` for every operation in the description."""
    return [
        (method.upper(), path, operation)
        for path, item in sorted(openapi()["paths"].items())
        for method, operation in sorted(item.items())
    ]


def body_schema(operation: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema of an operation's request body (inlined), or None if it has none."""
    body = operation.get("requestBody")
    if body is None:
        return None
    return resolve(body["content"]["application/json"]["schema"])


def query_schema(operation: dict[str, Any]) -> dict[str, Any]:
    """An object schema of an operation's query parameters (all optional in the query)."""
    params = [p for p in operation.get("parameters", []) if p["in"] == "query"]
    return {
        "type": "object",
        "properties": {p["name"]: resolve(p["schema"]) for p in params},
        "required": [p["name"] for p in params if p.get("required")],
    }
