"""The JSON API the browser uses (session auth, CSRF header), declared with django-ninja: each
endpoint names its request schema (``chat.schemas``), from which ``/api/schema/`` is generated.
Each view is an adapter: parse, one ``access_*``, one action, reply. Errors come back as
``{"error": {"code", "message"}}`` (chat/http.py)."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from ninja import Query, Router

from accounts.models import User
from chat import actions
from chat.access import (
    access_message_by_id,
    access_owned_room_by_id,
    access_room_by_id,
    access_user_by_id,
    is_member,
)
from chat.checks import (
    check_id_list,
    check_message_input,
    check_notify_level,
    check_plain_add_allowed,
    check_plaintext_allowed,
    check_room_name,
    check_topic,
)
from chat.errors import NotAllowed
from chat.models import RoomKind
from chat.schemas import (
    MessageEditBody,
    MessageSendBody,
    MessagesQuery,
    NoBody,
    NotifyLevelSet,
    ReadMark,
    RoomCreate,
    RoomUpdate,
    SearchQuery,
    UserIds,
    UserRef,
)
from chat.selectors import (
    get_membership,
    list_changes_for_room,
    list_members_for_room,
    list_messages_for_room,
    list_people,
    list_public_channels,
    list_rooms_for_user,
)
from chat.serializers import serialize_message, serialize_room, serialize_user

router = Router(tags=["chat"])


def _people(user: User, ids: list[int] | None, *, field: str) -> list[User]:
    return [access_user_by_id(user, pk) for pk in check_id_list(ids, field=field)]


def _room_detail(room: Any, user: User) -> dict[str, Any]:
    members = list_members_for_room(room)
    member = any(m.pk == user.pk for m in members)
    membership = get_membership(user, room) if member else None
    return serialize_room(
        room, viewer=user, members=members, is_member=member, membership=membership
    )


@router.get("/rooms/", url_name="rooms")
def list_rooms(request: HttpRequest) -> JsonResponse:
    """The user's rooms with unread counts."""
    user = request.user
    return JsonResponse(
        {
            "rooms": [
                serialize_room(room, viewer=user, members=members or None, membership=membership)
                for room, membership, members in list_rooms_for_user(user)
            ]
        }
    )


@router.post("/rooms/", url_name="rooms")
def create_room(request: HttpRequest, data: RoomCreate) -> JsonResponse:
    """Create a channel or private group (201)."""
    user = request.user
    kind = RoomKind.GROUP if data.private else RoomKind.CHANNEL
    name = check_room_name(data.name)
    topic = check_topic(data.topic)
    invitees = _people(user, data.invite, field="invite")
    room = actions.do_create_room(user, kind=kind, name=name, topic=topic, invitees=invitees)
    return JsonResponse(
        {"room": _room_detail(room, user), "url": reverse("chat:room", args=[room.pk])}, status=201
    )


@router.get("/channels/", url_name="channels")
def channels(request: HttpRequest, query: Query[SearchQuery]) -> JsonResponse:
    """Browse public channels."""
    found = list_public_channels(request.user, query=query.q[:80])
    return JsonResponse(
        {
            "channels": [
                {
                    **serialize_room(r, viewer=request.user, is_member=bool(r.joined)),
                    "member_count": r.member_count,
                }
                for r in found[:200]
            ]
        }
    )


@router.post("/dms/", url_name="dms")
def dms(request: HttpRequest, data: UserRef) -> JsonResponse:
    """Open (or reuse) the direct-message room with one person (201 when new)."""
    other = access_user_by_id(request.user, data.user_id)
    room, created = actions.do_open_dm(request.user, other=other)
    return JsonResponse(
        {"room": _room_detail(room, request.user), "url": reverse("chat:room", args=[room.pk])},
        status=201 if created else 200,
    )


@router.get("/rooms/{int:room_id}/", url_name="room")
def room(request: HttpRequest, room_id: int) -> JsonResponse:
    """Room info with members."""
    found = access_room_by_id(request.user, room_id)
    return JsonResponse({"room": _room_detail(found, request.user)})


@router.patch("/rooms/{int:room_id}/", url_name="room")
def update_room(request: HttpRequest, room_id: int, data: RoomUpdate) -> JsonResponse:
    """The owner changes name, topic and whether @here and @all are allowed (only the fields
    sent)."""
    found = access_owned_room_by_id(request.user, room_id)
    sent = data.model_fields_set
    name = check_room_name(data.name, exclude=found) if "name" in sent else None
    topic = check_topic(data.topic) if "topic" in sent else None
    found = actions.do_update_room(
        request.user, found, name=name, topic=topic, allow_mention_all=data.allow_mention_all
    )
    return JsonResponse({"room": _room_detail(found, request.user)})


@router.post("/rooms/{int:room_id}/join/", url_name="join")
def join(request: HttpRequest, room_id: int, data: NoBody) -> JsonResponse:
    """Join a public channel."""
    found = access_room_by_id(request.user, room_id)
    actions.do_join_channel(request.user, found)
    return JsonResponse({"room": _room_detail(found, request.user)})


@router.post("/rooms/{int:room_id}/members/", url_name="members")
def members(request: HttpRequest, room_id: int, data: UserIds) -> JsonResponse:
    """The owner adds people to the room."""
    found = access_owned_room_by_id(request.user, room_id)
    check_plain_add_allowed(found)
    people = _people(request.user, data.user_ids, field="user_ids")
    added = actions.do_add_members(request.user, found, people=people)
    return JsonResponse(
        {"added": [serialize_user(u) for u in added], "room": _room_detail(found, request.user)}
    )


@router.delete("/rooms/{int:room_id}/members/{int:user_id}/", url_name="member")
def member(request: HttpRequest, room_id: int, user_id: int, data: NoBody) -> JsonResponse:
    """Leave the room (your own id), or, as its owner, remove someone."""
    user = request.user
    if user_id == user.pk:
        found = access_room_by_id(user, room_id, for_write=True)
        actions.do_remove_member(user, found, member=user)
        return JsonResponse({"left": True})
    found = access_owned_room_by_id(user, room_id)
    target = access_user_by_id(user, user_id)
    actions.do_remove_member(user, found, member=target)
    return JsonResponse({"room": _room_detail(found, user)})


@router.post("/rooms/{int:room_id}/owner/", url_name="owner")
def owner(request: HttpRequest, room_id: int, data: UserRef) -> JsonResponse:
    """The owner hands the room on to another member."""
    found = access_owned_room_by_id(request.user, room_id)
    new_owner = access_user_by_id(request.user, data.user_id)
    actions.do_transfer_ownership(request.user, found, new_owner=new_owner)
    return JsonResponse({"room": _room_detail(found, request.user)})


@router.get("/rooms/{int:room_id}/messages/", url_name="messages")
def messages(request: HttpRequest, room_id: int, query: Query[MessagesQuery]) -> JsonResponse:
    """A page of history (``before``=seq, else the newest) or the changes since
    ``after_rev`` (resync)."""
    found = access_room_by_id(request.user, room_id)
    if query.after_rev is not None:
        changes = list_changes_for_room(found, after_rev=query.after_rev)
        return JsonResponse(
            {"messages": [serialize_message(m) for m in changes], "last_seq": found.last_seq}
        )
    page = list_messages_for_room(found, before_seq=query.before or None)
    return JsonResponse(
        {
            "messages": [serialize_message(m) for m in page],
            "last_seq": found.last_seq,
            "has_more": bool(page) and page[0].seq > 1,
        }
    )


@router.post("/rooms/{int:room_id}/messages/", url_name="messages")
def send_message(request: HttpRequest, room_id: int, data: MessageSendBody) -> JsonResponse:
    """Send a message (the socket's ``message.send`` is the usual way; the same action): 201,
    or 200 with the stored one when ``client_id`` was sent before."""
    user = request.user
    found = access_room_by_id(user, room_id, for_write=True)
    check_plaintext_allowed(found)
    content = check_message_input(body=data.body, content=data.content)
    message, created = actions.do_send_message(
        user, found, client_id=data.client_id, content=content
    )
    return JsonResponse({"message": serialize_message(message)}, status=201 if created else 200)


@router.patch("/messages/{int:message_id}/", url_name="message")
def edit_message(request: HttpRequest, message_id: int, data: MessageEditBody) -> JsonResponse:
    """Edit one of your own messages."""
    found = access_message_by_id(request.user, message_id, own=True)
    check_plaintext_allowed(found.room)
    content = check_message_input(body=data.body, content=data.content)
    edited = actions.do_edit_message(request.user, found, content=content)
    return JsonResponse({"message": serialize_message(edited)})


@router.delete("/messages/{int:message_id}/", url_name="message")
def delete_message(request: HttpRequest, message_id: int, data: NoBody) -> JsonResponse:
    """Delete one of your own messages."""
    found = access_message_by_id(request.user, message_id, own=True)
    return JsonResponse(
        {"message": serialize_message(actions.do_delete_message(request.user, found))}
    )


@router.post("/rooms/{int:room_id}/read/", url_name="read")
def read(request: HttpRequest, room_id: int, data: ReadMark) -> JsonResponse:
    """Mark the room read up to ``seq``."""
    found = access_room_by_id(request.user, room_id)
    if not is_member(request.user, found):
        raise NotAllowed("Join the channel first.")
    actions.do_mark_read(request.user, found, seq=data.seq)
    return JsonResponse({})


@router.patch("/rooms/{int:room_id}/notifications/", url_name="notifications")
def notifications(request: HttpRequest, room_id: int, data: NotifyLevelSet) -> JsonResponse:
    """A member sets which of the room's messages notify them: all, mentions or nothing."""
    found = access_room_by_id(request.user, room_id, for_write=True)
    level = check_notify_level(data.notify_level)
    return JsonResponse(
        {"notify_level": actions.do_set_notify_level(request.user, found, level=level)}
    )


@router.get("/people/", url_name="people")
def people(request: HttpRequest, query: Query[SearchQuery]) -> JsonResponse:
    """Find people to invite or to message."""
    found = list_people(request.user, query=query.q[:80])
    return JsonResponse({"people": [serialize_user(u) for u in found]})
