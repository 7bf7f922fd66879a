"""Declared request schemas: what every JSON API endpoint and socket command accepts.

One pydantic model per request body, query string and socket frame (django-ninja's ``Schema``).
The HTTP views declare theirs in their signatures, so the OpenAPI description at
``/api/schema/`` is generated from them; socket commands are registered with theirs
(``chat.commands.register_command``). Both transports validate with the same models and turn a
refusal into the same error (``refusal``): ``{"code", "message"}``, with the code today's
``check_*`` gives for that field (declared by ``refuse(...)`` on the field, shown in the
OpenAPI description as ``x-error-code``), else ``invalid``.

The models check shapes only (types, lengths, ranges): rules that need the database or the
room (a name is free, the sender is a member, the room is encrypted, a signature verifies) stay
in the ``check_*`` functions the actions run inside their transactions. Unknown fields are
ignored, as before; the raw JSON was bounded in size, depth and text by ``chat.wire`` before
any model sees it.
"""

import uuid
from typing import Annotated, Any, Literal

import pydantic
from ninja import Schema
from pydantic import BeforeValidator, Field, StrictBool

from chat.errors import ChatError, NotFound

MAX_ID = 2**62
ROOM_NAME_MAX_INPUT = 1000  # raw text before whitespace is folded; check_room_name's 80 after
TOPIC_MAX_INPUT = 1000
BODY_MAX_INPUT = 100_000  # the message limit is a setting, checked by check_message_body


class Refusal(ChatError):
    """A request or frame that does not fit its declared schema (400 unless the field says)."""

    def __init__(self, message: str, *, code: str, status: int = 400) -> None:
        super().__init__(message, code=code)
        self.status = status


def refuse(
    code: str = "invalid", *, message: str | None = None, status: int = 400, **field: Any
) -> Any:
    """Return a pydantic ``Field`` whose refusal answers ``code`` (and ``message``, ``status``).

    Use the code and message the field's ``check_*`` gives for the same mistake, so the
    schema refuses a wrong type exactly as the check did before it existed.
    """
    extra: dict[str, Any] = {"x-error-code": code}
    if status != 400:
        extra["x-error-status"] = status
    if message:
        extra["x-error-message"] = message
    return Field(json_schema_extra=extra, **field)


def _no_bool(value: object) -> object:
    # JSON true is not an id or a count (pydantic would read it as 1).
    if isinstance(value, bool):
        raise ValueError("a number, not true or false")
    return value


Count = Annotated[int, BeforeValidator(_no_bool), Field(ge=0, le=MAX_ID)]
PositiveId = Annotated[int, BeforeValidator(_no_bool), Field(gt=0, le=MAX_ID)]
# An id that is not a positive whole number names nothing: the same answer as a missing row
# (access_*_by_id's 404 ``not_found``), so refusing it early tells nobody more.
NOT_FOUND = {"code": "not_found", "message": NotFound.default_message, "status": 404}
IdList = Annotated[list[PositiveId], Field(max_length=500)]
# The message content object (docs/PROTOCOL.md §9.2 "Message content"): an open object whose
# fields (v, text, format, mentions, mention_all, and keys of later versions) are checked by
# chat/checks.py::check_message_content, with its codes (bad_content, content_too_large...).
Content = dict[str, Any]
ContentField = refuse(
    "bad_content",
    message="content must be an object.",
    default=None,
    description='{"v": 1, "text", "format": "markdown"|"plain", "mentions", "mention_all", ...}',
)


def _described(error: dict[str, Any], field: str) -> str:
    """Say in a sentence what is wrong with ``field`` (pydantic's ``error``)."""
    kind = error["type"]
    if kind == "missing":
        return f"{field} is required."
    if kind in ("string_type", "string_unicode"):
        return f"{field} must be text."
    if kind in ("int_type", "int_parsing", "int_from_float", "value_error"):
        return f"{field} must be a whole number."
    if kind in ("bool_type", "bool_parsing"):
        return f"{field} must be true or false."
    if kind in ("list_type", "tuple_type"):
        return f"{field} must be a list."
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"{field} must be an object."
    if kind in ("uuid_type", "uuid_parsing"):
        return f"{field} must be a UUID."
    if kind.startswith(("greater_than", "less_than")):
        return f"{field} is out of range."
    if kind == "too_long":
        return f"{field} is too long."
    if kind == "too_short":
        return f"{field} is too short."
    if kind == "literal_error":
        return (
            f"{field} must be one of {error.get('ctx', {}).get('expected', 'the listed values')}."
        )
    return f"{field}: {error['msg']}."


def _field_rule(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> dict[str, Any]:
    """Return the ``refuse`` rule of the deepest declared field on the way to ``loc``."""
    rule: dict[str, Any] = {}
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            current = None
            continue
        fields = getattr(current, "model_fields", None) if current is not None else None
        info = fields.get(str(part)) if fields else None
        if info is None:
            current = None
            continue
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if "x-error-code" in extra:
            rule = extra
        annotation = info.annotation
        current = (
            annotation
            if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel)
            else None
        )
    return rule


def refusal(
    model: type[pydantic.BaseModel], error: pydantic.ValidationError, *, skip: int = 0
) -> Refusal:
    """Return the one error for a request or frame ``model`` refused: its first mistake.

    ``skip`` leading parts of each error's location are wrappers, not field names (ninja's
    ``data`` parameter around a body).
    """
    first = error.errors(include_url=False)[0]
    loc = tuple(first["loc"])
    rule = _field_rule(model, loc)
    # The name the client sent (pydantic reports an alias such as ``from``, not ``start``).
    name = ".".join(str(p) for p in loc[skip:] if not isinstance(p, int)) or "request"
    message = rule.get("x-error-message") or _described(first, name)
    return Refusal(
        message, code=rule.get("x-error-code", "invalid"), status=rule.get("x-error-status", 400)
    )


def validate(model: type[Schema], data: dict[str, Any]) -> Any:
    """Return ``data`` parsed by ``model``; raise its ``refusal`` if it does not fit."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as error:
        raise refusal(model, error) from None


class Body(Schema):
    """A request body or frame: fields it does not declare are ignored (as before)."""

    model_config = pydantic.ConfigDict(extra="ignore")


class NoBody(Body):
    """An endpoint that reads nothing from its body (any JSON object is accepted)."""


# Rooms ------------------------------------------------------------------------------------


class RoomCreate(Body):
    name: str = refuse(max_length=ROOM_NAME_MAX_INPUT, description="1-80 characters, free.")
    topic: str | None = refuse(default=None, max_length=TOPIC_MAX_INPUT)
    private: StrictBool = refuse(
        default=True, description="true: a private group; false: a public channel."
    )
    invite: IdList | None = refuse(default=None, description="User ids to add.")


class RoomUpdate(Body):
    """Only the fields sent change."""

    name: str | None = refuse(default=None, max_length=ROOM_NAME_MAX_INPUT)
    topic: str | None = refuse(default=None, max_length=TOPIC_MAX_INPUT)
    allow_mention_all: StrictBool | None = refuse(
        default=None, description="Whether @here and @all notify everyone."
    )


class UserRef(Body):
    user_id: PositiveId = refuse(**NOT_FOUND)


class UserIds(Body):
    user_ids: IdList | None = refuse(default=None)


class SearchQuery(Schema):
    q: str = refuse(default="", description="Search text (the first 80 characters count).")


class MessagesQuery(Schema):
    after_rev: Count | None = refuse(
        default=None, description="Resync: every change after this revision."
    )
    before: Count | None = refuse(default=None, description="A page of history before this seq.")


class ReadMark(Body):
    seq: Count = refuse(description="The last seq read.")


class NotifyLevelSet(Body):
    notify_level: Literal["all", "mentions", "nothing"] = refuse(
        "bad_notify_level", message="The notification level is all, mentions or nothing."
    )


# Messages (HTTP bodies and socket frames share these) ------------------------------------


class MessageSendBody(Body):
    client_id: uuid.UUID = refuse(
        "bad_client_id",
        message="client_id must be a UUID.",
        description="Made by the client: a retry with the same id is stored once.",
    )
    body: str | None = refuse(
        default=None,
        max_length=BODY_MAX_INPUT,
        description="The text alone, from older clients (or equal to content.text).",
    )
    content: Content | None = ContentField


class MessageEditBody(Body):
    body: str | None = refuse(default=None, max_length=BODY_MAX_INPUT)
    content: Content | None = ContentField


class MessageSend(MessageSendBody):
    """Socket ``message.send``."""

    room_id: PositiveId = refuse(**NOT_FOUND)


class MessageEdit(MessageEditBody):
    """Socket ``message.edit``."""

    message_id: PositiveId = refuse(**NOT_FOUND)


class MessageRef(Body):
    """Socket ``message.delete``."""

    message_id: PositiveId = refuse(**NOT_FOUND)


class RoomRead(ReadMark):
    """Socket ``room.read``."""

    room_id: PositiveId = refuse(**NOT_FOUND)


class TypingFrame(Body):
    """Socket ``typing``: the sender started (``typing`` true) or stopped typing in a room."""

    room_id: PositiveId = refuse(**NOT_FOUND)
    typing: StrictBool = refuse(default=True, description="false: stopped (sent, blurred).")


class PresenceFrame(Body):
    """Socket ``presence``: this tab's person is here (``active``: input, the tab shown) or
    not (``idle``: no input for a few minutes, docs/ARCHITECTURE.md "Presence")."""

    state: Literal["active", "idle"] = refuse(description="active, or idle.")
