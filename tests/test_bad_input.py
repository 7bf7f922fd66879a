"""Bad input gets a clear error, never a 500 or a traceback (issue "Resilience", first part).

Every JSON API route and every socket command is driven with input a client may send by
mistake or on purpose: deep nesting, lone surrogates, NUL characters, wrong types, oversized
bodies, a missing CSRF token. The answers must be 4xx in the API's JSON error shape (or an
``error`` reply on the socket), nothing may be stored, and nothing may be logged as an error.
The routes come from the URL resolver and the commands from the registry, so a new one is
covered without editing this file. Two property-based parts (Hypothesis): one sends random
JSON values in every field of every command and route; the other is driven by the declared
schemas: schemathesis makes requests from the OpenAPI description the server generates (both
fitting the schema and, in its negative mode, breaking it) for every operation, and frames
from each socket command's schema, for every command.
"""

import json
import logging
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from chat.commands import COMMANDS, run_command
from chat.consumers import MAX_FRAME
from chat.errors import ChatError
from chat.models import Message, Room, RoomKind
from chat.wire import MAX_DEPTH, decode_object
from e2e.models import KeyEnvelope, RoomStateEntry, UserIdentity
from tests.api_schema import api_routes, openapi, operations
from tests.sockets import open_socket, receive_type

# Rolled back per test (fast on PostgreSQL); the socket tests need committed rows.
pytestmark = pytest.mark.django_db

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
NASTY_TEXTS = ["a\ud800b", "nul\x00here", "\udfff"]
# Fields the routes and commands read; each nasty value goes into all of them at once.
FIELDS = (
    "name", "topic", "body", "client_id", "user_id", "user_ids", "room_id", "message_id",
    "seq", "payload", "identity", "backup", "login_password", "entries", "envelopes", "record",
    "kind", "encrypted", "replaces_key_id", "share_history", "members",
)  # fmt: skip


ROUTES = api_routes()


@pytest.fixture
def world(make_user, make_room, send) -> dict[str, Any]:
    ann, bob = make_user("ann"), make_user("bob")
    room = make_room(ann, kind=RoomKind.GROUP, members=(bob,), name="room")
    message = send(ann, room, "hello")
    client = Client()
    client.force_login(ann)
    return {"ann": ann, "bob": bob, "room": room, "message": message, "client": client}


def fill(route: str, w: dict[str, Any]) -> str:
    """Fill a route's converters (``<int:room_id>``, or ``{room_id}``) with ids of ``w``'s rows."""
    values = {"room_id": w["room"].pk, "message_id": w["message"].pk, "user_id": w["bob"].pk}
    path = route
    while "<" in path:
        start, end = path.index("<"), path.index(">")
        name = path[start + 1 : end].split(":")[-1]
        path = path[:start] + str(values[name]) + path[end + 1 :]
    while "{" in path:  # an OpenAPI path: ``{room_id}``
        start, end = path.index("{"), path.index("}")
        path = path[:start] + str(values[path[start + 1 : end]]) + path[end + 1 :]
    return path


def stored() -> tuple[int, ...]:
    """Count the rows a rejected request must not add or change."""
    return (
        Message.objects.count(),
        Room.objects.count(),
        RoomStateEntry.objects.count(),
        KeyEnvelope.objects.count(),
        UserIdentity.objects.count(),
        sum(len(m.body) for m in Message.objects.all()),
    )


def assert_json_error(response, status: int | None = None) -> dict[str, Any]:
    assert response.status_code < 500, (response.status_code, response.content[:300])
    if status is not None:
        assert response.status_code == status, response.content[:300]
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.fixture
def no_error_logs(caplog: pytest.LogCaptureFixture):
    """Fail the test if anything was logged at ERROR or above (a traceback, a 500)."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


# HTTP -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("route", ROUTES)
def test_deep_nesting_is_refused_on_every_route(world, route, method, no_error_logs):
    """A body nested 100,000 levels deep is a JSON 400 ``bad_json`` (or the route's 405)."""
    before = stored()
    body = json.dumps({"name": "x", "body": "x"})[:-1] + ', "deep": ' + nested(100_000) + "}"
    response = getattr(world["client"], method.lower())(
        fill(route, world), body, content_type="application/json"
    )
    if response.status_code != 405:
        assert assert_json_error(response, 400)["code"] == "bad_json"
    assert stored() == before


@pytest.mark.parametrize("text", NASTY_TEXTS, ids=["surrogate", "nul", "low-surrogate"])
@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("route", ROUTES)
def test_text_no_database_can_store_is_refused(world, route, method, text, no_error_logs):
    """A lone surrogate or a NUL in any field is a JSON 400 on both databases."""
    before = stored()
    body = json.dumps({field: text for field in FIELDS})  # ensure_ascii: escapes survive
    response = getattr(world["client"], method.lower())(
        fill(route, world), body, content_type="application/json"
    )
    if response.status_code != 405:
        assert assert_json_error(response, 400)["code"] == "bad_json"
    assert stored() == before


@pytest.mark.parametrize("route", ROUTES)
def test_a_nul_in_the_query_string_is_a_json_400(world, route, no_error_logs):
    """``?q=%00`` (and any NUL in a query) is refused before any query reaches the database."""
    response = world["client"].get(fill(route, world) + "?q=%00&ids=1")
    assert assert_json_error(response, 400)["code"] == "bad_json"


def test_a_nul_in_a_page_query_is_a_plain_400(world, no_error_logs):
    """The HTML search page refuses a NUL in its query the same way (a plain 400)."""
    response = world["client"].get("/search/?q=%00")
    assert response.status_code == 400


def test_a_body_over_django_s_limit_is_the_json_too_large(world, no_error_logs):
    """A 3 MB body gets the JSON ``too_large`` answer, not Django's HTML 400."""
    body = json.dumps({"client_id": str(uuid.uuid4()), "body": "x" * 3_000_000})
    response = world["client"].post(
        f"/api/rooms/{world['room'].pk}/messages/", body, content_type="application/json"
    )
    assert assert_json_error(response, 400)["code"] == "too_large"


def test_a_missing_csrf_token_is_a_json_403(world, no_error_logs):
    """Without a CSRF token an API write is refused in the API's JSON shape."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["ann"])
    response = client.post("/api/rooms/", {"name": "x"}, content_type="application/json")
    assert assert_json_error(response, 403)["code"] == "csrf_failed"


def test_nesting_within_the_limit_still_works(world):
    """JSON nested to the limit is parsed (the bound is not lower than it says)."""
    payload = {"client_id": str(uuid.uuid4()), "body": "fine"}
    value: Any = 1
    for _ in range(MAX_DEPTH - 2):
        value = [value]
    payload["extra"] = value
    response = world["client"].post(
        f"/api/rooms/{world['room'].pk}/messages/",
        json.dumps(payload),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


# Socket -----------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type": [], "ref": "r1"}', "bad_json"),
        ('{"type": {}, "ref": "r1"}', "bad_json"),
        ('{"type": "message.send", "ref": {"a": 1}}', "bad_json"),
        ('{"ref": "r1", "type": "message.send", "x": ' + nested(100_000) + "}", "bad_json"),
        ('{"ref": "r1", "type": "message.send", "body": "a\\ud800b"}', "bad_json"),
        ('{"ref": "r1", "type": "message.send", "body": "nul\\u0000"}', "bad_json"),
    ],
    ids=["type-list", "type-object", "ref-object", "deep", "surrogate", "nul"],
)
async def test_bad_frames_get_an_error_and_the_socket_stays(world, frame, code, no_error_logs):
    """A malformed frame gets an ``error`` reply with a code (no ``server_error``), stores
    nothing, and the socket keeps working."""
    socket = await open_socket(world["ann"])
    await socket.send_to(text_data=frame)
    error = await receive_type(socket, "error")
    assert error["code"] == code
    await socket.send_to(text_data=json.dumps({"type": "ping", "ref": "p"}))
    assert (await receive_type(socket, "pong"))["ref"] == "p"
    await socket.disconnect()


# Property-based: random JSON in every field --------------------------------------------

TEXT = st.sampled_from([*NASTY_TEXTS, "", "0", "-1", str(uuid.uuid4()), "9" * 30]) | st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=12
)
JSON_VALUES = st.recursive(
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 1e308, 0.5, -1])
    | TEXT
    | st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(FIELDS) | TEXT, children, max_size=3)
    ),
    max_leaves=8,
)
# Most fields present at once, each a random JSON value; the ids of the world's room and
# message are kept valid in most examples (``IDS``) so the checks after access are reached.
FIELD_VALUES = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, JSON_VALUES))
IDS = st.sampled_from(["valid", "valid", "valid", "random"])


def with_ids(data: dict[str, Any], ids: str, w: dict[str, Any]) -> dict[str, Any]:
    if ids == "random":
        return data
    return {**data, "room_id": w["room"].pk, "message_id": w["message"].pk}


FUZZ = settings(
    max_examples=100,
    derandomize=True,  # the same examples every run: CI stays repeatable
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("name", sorted(COMMANDS))
@FUZZ
@given(data=FIELD_VALUES, ids=IDS)
def test_commands_answer_random_fields_with_a_chat_error(world, name, data, ids):
    """Any JSON in any field of any socket command, decoded as the consumer decodes a frame,
    ends in a reply or a ChatError, never another exception (the consumer would answer
    ``server_error``); a refused command stores nothing."""
    data = {**with_ids(data, ids, world), "type": name}
    before = stored()
    try:
        run_command(name, world["ann"], decode_object(json.dumps(data), limit=MAX_FRAME))
    except ChatError:
        assert stored() == before


@pytest.mark.parametrize("method", WRITE_METHODS)
@pytest.mark.parametrize("route", ROUTES)
@settings(parent=FUZZ, max_examples=20)
@given(data=FIELD_VALUES)
def test_routes_answer_random_fields_without_a_5xx(world, route, method, data):
    """Any JSON in any field of any API write answers below 500, in the JSON error shape when
    it refuses, and a refused request stores nothing."""
    before = stored()
    response = getattr(world["client"], method.lower())(
        fill(route, world), json.dumps(data), content_type="application/json"
    )
    assert response.status_code < 500, (route, method, data, response.content[:300])
    if response.status_code >= 400 and response.status_code != 405:
        assert_json_error(response)
        assert stored() == before


# Property-based, from the declared schemas -----------------------------------------------

# Requests made by schemathesis from the OpenAPI description: ones that fit the declared
# schema (they reach the views and their checks) and ones that break it (they must be
# refused by the schema with the JSON error, never reach a view).
API = schemathesis.openapi.from_dict(openapi())
OPERATIONS = [(method, path) for method, path, _ in operations()]
CASES = {
    (method, path): st.one_of(
        API[path][method].as_strategy(generation_mode=GenerationMode.POSITIVE),
        API[path][method].as_strategy(generation_mode=GenerationMode.NEGATIVE),
    )
    for method, path in OPERATIONS
}


def _frame_description() -> dict[str, Any]:
    """Each socket command's frame schema as the body of a made-up POST /<command>, so
    schemathesis makes frames from the same JSON schema the command validates with."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Keyroom socket commands", "version": "1"},
        "paths": {
            f"/{name}": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": command.schema.model_json_schema()}
                        },
                    },
                    "responses": {"200": {"description": "ack"}},
                }
            }
            for name, command in COMMANDS.items()
        },
    }


FRAMES_API = schemathesis.openapi.from_dict(_frame_description())
FRAMES = {
    name: st.one_of(
        FRAMES_API[f"/{name}"]["POST"].as_strategy(generation_mode=GenerationMode.POSITIVE),
        FRAMES_API[f"/{name}"]["POST"].as_strategy(generation_mode=GenerationMode.NEGATIVE),
    ).map(lambda case: case.body)
    for name in COMMANDS
}


def encode(body: object) -> str | bytes:
    """A generated body as sent: JSON, or as is when schemathesis made raw bytes (not UTF-8,
    not JSON) or no body at all."""
    if isinstance(body, schemathesis.core.NotSet):
        return ""
    return body if isinstance(body, bytes) else json.dumps(body)


def with_world_ids(body: object, ids: str, w: dict[str, Any]) -> object:
    """Point a body's id fields at the world's rows in most examples, so the declared
    requests get past ``access_*`` to the checks and actions."""
    if ids == "random" or not isinstance(body, dict):
        return body
    values = {"room_id": w["room"].pk, "message_id": w["message"].pk, "user_id": w["bob"].pk}
    return {**body, **{k: v for k, v in values.items() if k in body}}


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@settings(parent=FUZZ, max_examples=25)
@given(data=st.data())
def test_declared_requests_answer_without_a_5xx(world, method, path, data, no_error_logs):
    """Any request made from an operation's declared schema, fitting it or not, answers
    below 500 with nothing logged as an error; a refusal is in the JSON error shape and
    stores nothing."""
    case = data.draw(CASES[(method, path)], label="case")
    body = with_world_ids(case.body, data.draw(IDS, label="ids"), world)
    raw = encode(body)
    query = case.query if isinstance(case.query, dict) else {}
    before = stored()
    response = world["client"].generic(
        method,
        fill(path, world),
        raw,
        content_type="application/json",
        QUERY_STRING=urlencode(query, doseq=True),
    )
    assert response.status_code < 500, (method, path, body, query, response.content[:300])
    if response.status_code >= 400:
        assert_json_error(response)
        assert stored() == before, (method, path, body)


@pytest.mark.parametrize("name", sorted(COMMANDS))
@settings(parent=FUZZ, max_examples=50)
@given(data=st.data())
def test_declared_frames_get_a_reply_or_a_chat_error(world, name, data, no_error_logs):
    """Any frame made from a command's declared schema, fitting it or not, decoded as the
    consumer decodes it, ends in a reply or a ChatError (never the consumer's
    ``server_error``); a refused frame stores nothing."""
    body = with_world_ids(data.draw(FRAMES[name], label="frame"), data.draw(IDS), world)
    frame = {**body, "type": name} if isinstance(body, dict) else body
    before = stored()
    try:
        run_command(name, world["ann"], decode_object(encode(frame), limit=MAX_FRAME))
    except ChatError:
        assert stored() == before, (name, frame)
