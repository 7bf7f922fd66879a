"""The OpenAPI description (issue 14): generated from the declared views, served at
/api/schema/, valid OpenAPI 3, and complete: every route the URL resolver has, every method a
route answers, every endpoint the browser's code calls, and a schema for every socket command."""

import re
from pathlib import Path

import pytest
from django.test import Client
from ninja import Schema
from openapi_spec_validator import validate

from chat.commands import COMMANDS, register_command
from tests.api_schema import (
    METHODS,
    SCHEMA_ROUTE,
    api_routes,
    as_openapi_path,
    body_schema,
    openapi,
    operations,
    served_openapi,
)

ROOT = Path(__file__).resolve().parent.parent
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def test_the_description_is_served_without_login_as_json():
    """GET /api/schema/ answers the description to anyone (it holds no data), as JSON."""
    response = Client(HTTP_HOST="127.0.0.1").get(SCHEMA_ROUTE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["info"]["title"] == "Keyroom API"
    # What the other tests (and the fuzz in test_bad_input) read is what is served.
    assert served_openapi() == openapi()


def test_the_description_only_reads():
    """The description's URL answers only GET and HEAD; there is no interactive docs page
    (it would need inline script or a CDN, which the CSP forbids)."""
    client = Client(HTTP_HOST="127.0.0.1")
    assert client.post(SCHEMA_ROUTE).status_code == 405
    assert client.get("/api/docs").status_code == 404


def test_the_description_is_valid_openapi_3():
    """openapi-spec-validator accepts the description."""
    spec = served_openapi()
    assert spec["openapi"].startswith("3.")
    validate(spec)


def test_every_route_in_the_resolver_is_described():
    """Each /api/ route of the URL resolver is a path of the description, and the reverse."""
    described = set(openapi()["paths"])
    routes = {as_openapi_path(route) for route in api_routes()}
    assert routes == described
    assert len(routes) >= 30  # chat's and e2e's routes, not an empty walk


@pytest.mark.django_db
def test_every_method_a_route_answers_is_described(make_user):
    """Each method a route answers (anything but 405) is an operation of the description,
    and each described operation is answered."""
    client = Client()
    client.force_login(make_user())
    answered = set()
    for route in api_routes():
        url = re.sub(r"<(?:\w+:)?\w+>", "987654", route)
        for method in METHODS:
            if (
                client.generic(method, url, "{}", content_type="application/json").status_code
                != 405
            ):
                answered.add((method, as_openapi_path(route)))
    assert answered == {(method, path) for method, path, _ in operations()}


def test_every_write_declares_its_request_body():
    """Every POST, PUT, PATCH and DELETE declares a JSON request body schema (an object), so
    what it reads is in the description; reads declare their query parameters."""
    for method, path, operation in operations():
        if method in WRITES:
            schema = body_schema(operation)
            assert schema is not None, (method, path)
            assert schema["type"] == "object", (method, path)


def test_refusal_codes_are_described():
    """A field whose mistake has a specific error code carries it as ``x-error-code``."""
    schemas = openapi()["components"]["schemas"]
    send = schemas["MessageSendBody"]["properties"]
    assert send["client_id"]["x-error-code"] == "bad_client_id"
    assert send["content"]["x-error-code"] == "bad_content"
    assert schemas["NotifyLevelSet"]["properties"]["notify_level"]["x-error-code"] == (
        "bad_notify_level"
    )


def _browser_calls() -> set[tuple[str, str]]:
    """Return (method, path pattern) of every ``request("METHOD", "/api/...")`` in static/js."""
    calls = set()
    for source in (ROOT / "static" / "js").rglob("*.js"):
        text = source.read_text()
        for method, url in re.findall(r'request\(\s*"([A-Z]+)",\s*[`"](/api/[^`"?]*)', text):
            # A nested template (`${before ? `?before=...` : ""}`) ends the path where it starts.
            calls.add((method, re.sub(r"\$\{[^}]*\}", "{}", url).split("${")[0]))
    return calls


def test_every_endpoint_the_browser_calls_is_described():
    """Every API call in the browser's code matches a described operation."""
    described = {(method, re.sub(r"\{\w+\}", "{}", path)) for method, path, _ in operations()}
    calls = _browser_calls()
    assert len(calls) >= 35  # the scan finds the browser's calls, not nothing
    assert calls - described == set()


def test_every_socket_command_has_a_schema():
    """Every registered socket command (chat's and e2e's) has a frame schema with a JSON
    schema, and the commands are documented in ARCHITECTURE.md's socket section."""
    assert {"message.send", "e2e.message.send"} <= set(COMMANDS)
    docs = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    socket_section = docs.split("## Socket protocol", 1)[1].split("\n## ", 1)[0]
    for name, command in COMMANDS.items():
        assert issubclass(command.schema, Schema), name
        assert command.schema.model_json_schema()["type"] == "object", name
        assert f"`{name}`" in socket_section, name


def test_a_command_cannot_be_registered_without_a_schema():
    """register_command takes the frame schema: a command without one is refused."""
    with pytest.raises(TypeError):
        register_command("test.nothing", lambda user, data: {})  # type: ignore[call-arg]
    assert "test.nothing" not in COMMANDS


def test_the_openapi_description_declares_the_bearer_scheme_and_the_session():
    """Every operation may use either scheme: the bearer token or the session cookie."""
    spec = openapi()
    schemes = spec["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["TokenGate"].items()
    assert schemes["SessionGate"]["type"] == "apiKey"
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            assert {"TokenGate": []} in operation["security"], (method, path)
            assert {"SessionGate": []} in operation["security"], (method, path)
