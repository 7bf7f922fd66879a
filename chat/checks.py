"""Validation of untrusted input. Each ``check_*`` returns the cleaned value or raises
``InvalidInput`` with a message fit to show the user."""

import dataclasses
import datetime
import json
import uuid
from collections.abc import Mapping

from django.conf import settings

from accounts.models import User
from chat.errors import InvalidInput, RateLimited
from chat.models import CONTENT_VERSION, ContentFormat, NotifyLevel, Room, RoomKind, text_content
from chat.wire import check_value
from keyroom.ratelimit import take_token

ROOM_NAME_MAX = 80


def check_write_rate(user: User) -> None:
    """Take one write from ``user``'s bucket; raise RateLimited (429, ``retry_after``) if empty.

    One bucket per user for every write, whatever the transport: the consumer calls this before
    each socket command and ``chat.http``'s gates (session or token) before each HTTP write
    (KEYROOM_WRITE_RATE a second sustained, KEYROOM_WRITE_BURST at once; docs/DEPLOY.md).
    """
    wait = take_token(
        f"keyroom:writes:{user.pk}",
        rate=settings.KEYROOM_WRITE_RATE,
        burst=settings.KEYROOM_WRITE_BURST,
    )
    if wait:
        raise RateLimited(retry_after=wait)


TOPIC_MAX = 250


def check_text(value: object, *, field: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text.")
    return value


def check_message_body(body: object) -> str:
    """Return the message text, stripped; refuse empty text and text over the limit."""
    text = check_text(body, field="Message").strip()
    if not text:
        raise InvalidInput("A message cannot be empty.", code="empty")
    limit = settings.KEYROOM_MESSAGE_MAX_CHARS
    if len(text) > limit:
        raise InvalidInput(
            f"A message can be at most {limit} characters; this one has {len(text)}.",
            code="too_long",
        )
    return text


def check_client_id(value: object) -> uuid.UUID:
    """Return the client-made message id (a UUID string)."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise InvalidInput("client_id must be a UUID.", code="bad_client_id") from None


def check_room_name(name: object, *, exclude: Room | None = None) -> str:
    """Return a free room name: 1 to 80 characters, not used by another channel or group."""
    text = " ".join(check_text(name, field="Name").split())
    if not text:
        raise InvalidInput("Give the room a name.", code="name_required")
    if len(text) > ROOM_NAME_MAX:
        raise InvalidInput(f"A room name can be at most {ROOM_NAME_MAX} characters.")
    taken = Room.objects.exclude(kind=RoomKind.DM).filter(name__iexact=text)
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    if taken.exists():
        raise InvalidInput(f"A room called “{text}” already exists.", code="name_taken")
    return text


def check_topic(topic: object) -> str:
    text = check_text(topic or "", field="Topic").strip()
    if len(text) > TOPIC_MAX:
        raise InvalidInput(f"A topic can be at most {TOPIC_MAX} characters.")
    return text


def check_id_list(values: object, *, field: str, limit: int = 500) -> list[int]:
    """Return a list of distinct positive integer ids."""
    if values is None:
        return []
    if not isinstance(values, list) or len(values) > limit:
        raise InvalidInput(f"{field} must be a list of at most {limit} ids.")
    ids: list[int] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise InvalidInput(f"{field} must contain ids.")
        try:
            number = int(value)
        except ValueError:
            raise InvalidInput(f"{field} must contain ids.") from None
        if number <= 0:
            raise InvalidInput(f"{field} must contain ids.")
        if number not in ids:
            ids.append(number)
    return ids


def check_seq(value: object, *, field: str = "seq") -> int:
    """Return a non-negative position in a room."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        raise InvalidInput(f"{field} must be a whole number.") from None
    if number < 0 or number > 2**62:
        raise InvalidInput(f"{field} is out of range.")
    return number


def check_plaintext_allowed(room: Room) -> None:
    """Refuse plaintext (a new message or an edit) in an end-to-end encrypted room."""
    if room.encrypted:
        raise InvalidInput(
            "This room is end-to-end encrypted: the server accepts only encrypted messages.",
            code="encryption_required",
        )


def check_new_room_uid(value: object) -> uuid.UUID:
    """Return a client-made room uid (a UUID) that no room has yet."""
    try:
        uid = uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise InvalidInput("room_uid must be a UUID.", code="bad_room_uid") from None
    if Room.objects.filter(uid=uid).exists():
        raise InvalidInput("That room uid is taken; make a new one.", code="room_uid_taken")
    return uid


def check_plain_add_allowed(room: Room) -> None:
    """Refuse adding people to an encrypted room without a key holder's signed state entry."""
    if room.encrypted:
        raise InvalidInput(
            "People join an encrypted room through a key holder, who vouches for them.",
            code="state_entry_required",
        )


def check_notify_level(value: object) -> str:
    """Return a notification level: "all", "mentions" or "nothing"."""
    if value not in NotifyLevel.values:
        raise InvalidInput(
            "The notification level is all, mentions or nothing.", code="bad_notify_level"
        )
    return str(value)


def check_flag(value: object, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{field} must be true or false.")
    return value


# What a content object may hold besides its text, UTF-8 JSON bytes (docs/PROTOCOL.md "Message
# content"): mentions (at most 100 ids) take under 2 KiB; the rest is room for the fields of
# later versions (replies, files) that a client may already send and that are kept as given.
CONTENT_EXTRA_BYTES = 16 * 1024
MENTIONS_MAX = 100


def _bad_content(message: str) -> InvalidInput:
    return InvalidInput(message, code="bad_content")


def check_message_content(value: object) -> dict:
    """Return a message's content object (docs/PROTOCOL.md "Message content"), cleaned:
    ``{"v": 1, "text", "format", "mentions", "mention_all", ...}``.

    ``text`` is checked like a message body (stripped, not empty: ``empty``, at most
    KEYROOM_MESSAGE_MAX_CHARS: ``too_long``); ``format`` is "markdown" (the default) or
    "plain"; ``mentions`` become sorted, unique decimal strings. Keys this version does not
    know are kept as they are. Raise InvalidInput ``bad_content`` for any other shape, and
    ``content_too_large`` when everything but the text takes over CONTENT_EXTRA_BYTES.
    Only the shape is checked here: that the mentioned are members and that the room allows
    @here/@all is checked under the room lock (``chat.actions``).
    """
    if not isinstance(value, dict):
        raise _bad_content("content must be an object.")
    version = value.get("v")
    if isinstance(version, bool) or version != CONTENT_VERSION:
        raise _bad_content(
            f"This message's content has version {json.dumps(version)}; the server reads only "
            f"version {CONTENT_VERSION}. Reload the page to update the app."
        )
    check_value(value)  # NUL characters and lone surrogates, as for any JSON input
    if not isinstance(value.get("text"), str):
        raise _bad_content("content.text must be text.")
    text = check_message_body(value["text"])
    text_format = value.get("format", ContentFormat.MARKDOWN.value)
    if text_format not in ContentFormat.values:
        raise _bad_content('content.format must be "markdown" or "plain".')
    try:
        ids = check_id_list(value.get("mentions"), field="content.mentions", limit=MENTIONS_MAX)
        mention_all = check_flag(value.get("mention_all", False), field="content.mention_all")
    except InvalidInput as error:
        raise _bad_content(error.message) from None
    content = {
        **value,
        **text_content(text, mentions=ids, mention_all=mention_all),
        "format": text_format,
    }
    if "reply_to" in value:
        content["reply_to"] = check_reply_to(value["reply_to"])
    extra = len(json.dumps({**content, "text": ""}, ensure_ascii=False).encode())
    if extra > CONTENT_EXTRA_BYTES:
        raise InvalidInput(
            f"A message's content can hold at most {CONTENT_EXTRA_BYTES // 1024} KiB besides its"
            " text.",
            code="content_too_large",
        )
    return content


def check_reply_to(value: object) -> dict:
    """Return a content's ``reply_to``, the message it answers (docs/PROTOCOL.md "Message
    content"): ``{"id": "<message id>", "seq": <its number in the room>, "client_id": "<its
    uuid>", "sender": "<its sender's id>"}``, the ids as decimal strings; ``client_id`` and
    ``sender`` may be left out, other keys are kept. Raise InvalidInput ``bad_content`` for
    another shape. That the message is in the room is checked under the room lock
    (``chat.actions``)."""
    if not isinstance(value, dict):
        raise _bad_content("content.reply_to must be an object.")
    message_id, seq = value.get("id"), value.get("seq")
    if isinstance(message_id, int) and not isinstance(message_id, bool):
        message_id = str(message_id)
    if not (isinstance(message_id, str) and message_id.isascii() and message_id.isdecimal()):
        raise _bad_content("content.reply_to.id must be a message id.")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise _bad_content("content.reply_to.seq must be a positive whole number.")
    cleaned = {**value, "id": str(int(message_id)), "seq": seq}
    if "client_id" in value:
        try:
            cleaned["client_id"] = str(check_client_id(value["client_id"]))
        except InvalidInput:
            raise _bad_content("content.reply_to.client_id must be a message's uuid.") from None
    if "sender" in value:
        sender = value["sender"]
        if not (isinstance(sender, str) and sender.isascii() and sender.isdecimal()):
            raise _bad_content("content.reply_to.sender must be a user id.")
        cleaned["sender"] = str(int(sender))
    return cleaned


def check_message_input(*, body: object = None, content: object = None) -> dict:
    """Return the content object of a new message or an edit from a request's ``content``
    (checked by ``check_message_content``), or, from an older client that sends only
    ``body``, one built from that text (Markdown, no mentions). A request with both must have
    ``body`` equal to the content's text (else ``bad_content``)."""
    if content is None:
        return text_content(check_message_body(body))
    cleaned = check_message_content(content)
    if body is not None and check_text(body, field="Message").strip() != cleaned["text"]:
        raise _bad_content("body and content.text differ; send the text once, in content.")
    return cleaned


@dataclasses.dataclass(frozen=True)
class SearchFilters:
    """The search page's filters, validated (None: not filtered)."""

    room_id: int | None = None
    sender_id: int | None = None
    since: datetime.date | None = None
    until: datetime.date | None = None


def _search_id(value: str, *, allowed: set[int], message: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) not in allowed:
        raise InvalidInput(message)
    return int(value)


def _search_day(value: str, *, field: str) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a date like 2026-01-31.") from None


def check_search_filters(
    params: Mapping[str, str], *, room_ids: set[int], person_ids: set[int]
) -> SearchFilters:
    """Return the filters of a search (``room``, ``person``, ``from``, ``to`` of the query
    string): a room among ``room_ids`` (the user's), a person among ``person_ids``, and a date
    range whose start is not after its end. Raise InvalidInput otherwise."""
    room_id = _search_id(
        params.get("room", "").strip(), allowed=room_ids, message="Choose a room from the list."
    )
    sender_id = _search_id(
        params.get("person", "").strip(),
        allowed=person_ids,
        message="Choose a person from the list.",
    )
    since = _search_day(params.get("from", "").strip(), field="From")
    until = _search_day(params.get("to", "").strip(), field="To")
    if since and until and since > until:
        raise InvalidInput("The start date is after the end date.")
    return SearchFilters(room_id=room_id, sender_id=sender_id, since=since, until=until)
