"""The JSON API the browser uses (session auth, CSRF header). Each view is an adapter: parse,
one ``access_*``, one action, reply. Errors come back as ``{"error": {"code", "message"}}``."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

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
    check_client_id,
    check_flag,
    check_id_list,
    check_message_input,
    check_notify_level,
    check_plain_add_allowed,
    check_plaintext_allowed,
    check_room_name,
    check_seq,
    check_topic,
)
from chat.errors import NotAllowed
from chat.http import json_view
from chat.models import RoomKind
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


def _people(user: User, ids: object, *, field: str) -> list[User]:
    return [access_user_by_id(user, pk) for pk in check_id_list(ids, field=field)]


def _room_detail(room: Any, user: User) -> dict[str, Any]:
    members = list_members_for_room(room)
    member = any(m.pk == user.pk for m in members)
    membership = get_membership(user, room) if member else None
    return serialize_room(
        room, viewer=user, members=members, is_member=member, membership=membership
    )


@json_view("GET", "POST")
def rooms(request: HttpRequest) -> JsonResponse:
    """GET: the user's rooms with unread counts. POST: create a channel or private group."""
    user = request.user
    if request.method == "GET":
        return JsonResponse(
            {
                "rooms": [
                    serialize_room(
                        room, viewer=user, members=members or None, membership=membership
                    )
                    for room, membership, members in list_rooms_for_user(user)
                ]
            }
        )
    data = request.data
    kind = RoomKind.GROUP if data.get("private", True) else RoomKind.CHANNEL
    name = check_room_name(data.get("name"))
    topic = check_topic(data.get("topic"))
    invitees = _people(user, data.get("invite"), field="invite")
    room = actions.do_create_room(user, kind=kind, name=name, topic=topic, invitees=invitees)
    return JsonResponse(
        {"room": _room_detail(room, user), "url": reverse("chat:room", args=[room.pk])}, status=201
    )


@json_view("GET")
def channels(request: HttpRequest) -> JsonResponse:
    """Browse public channels."""
    found = list_public_channels(request.user, query=request.GET.get("q", "")[:80])
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


@json_view("POST")
def dms(request: HttpRequest) -> JsonResponse:
    """Open (or reuse) the direct-message room with one person."""
    other = access_user_by_id(request.user, request.data.get("user_id"))
    room, created = actions.do_open_dm(request.user, other=other)
    return JsonResponse(
        {"room": _room_detail(room, request.user), "url": reverse("chat:room", args=[room.pk])},
        status=201 if created else 200,
    )


@json_view("GET", "PATCH")
def room(request: HttpRequest, room_id: int) -> JsonResponse:
    """GET: room info with members. PATCH: the owner changes name, topic and whether @here
    and @all are allowed."""
    if request.method == "GET":
        found = access_room_by_id(request.user, room_id)
        return JsonResponse({"room": _room_detail(found, request.user)})
    found = access_owned_room_by_id(request.user, room_id)
    data = request.data
    name = check_room_name(data["name"], exclude=found) if "name" in data else None
    topic = check_topic(data["topic"]) if "topic" in data else None
    allow_all = data.get("allow_mention_all")
    allow_all = None if allow_all is None else check_flag(allow_all, field="allow_mention_all")
    found = actions.do_update_room(
        request.user, found, name=name, topic=topic, allow_mention_all=allow_all
    )
    return JsonResponse({"room": _room_detail(found, request.user)})


@json_view("POST")
def join(request: HttpRequest, room_id: int) -> JsonResponse:
    """Join a public channel."""
    found = access_room_by_id(request.user, room_id)
    actions.do_join_channel(request.user, found)
    return JsonResponse({"room": _room_detail(found, request.user)})


@json_view("POST")
def members(request: HttpRequest, room_id: int) -> JsonResponse:
    """The owner adds people to the room."""
    found = access_owned_room_by_id(request.user, room_id)
    check_plain_add_allowed(found)
    people = _people(request.user, request.data.get("user_ids"), field="user_ids")
    added = actions.do_add_members(request.user, found, people=people)
    return JsonResponse(
        {"added": [serialize_user(u) for u in added], "room": _room_detail(found, request.user)}
    )


@json_view("DELETE")
def member(request: HttpRequest, room_id: int, user_id: int) -> JsonResponse:
    """Leave the room (your own id), or, as its owner, remove someone."""
    user = request.user
    if int(user_id) == user.pk:
        found = access_room_by_id(user, room_id, for_write=True)
        actions.do_remove_member(user, found, member=user)
        return JsonResponse({"left": True})
    found = access_owned_room_by_id(user, room_id)
    target = access_user_by_id(user, user_id)
    actions.do_remove_member(user, found, member=target)
    return JsonResponse({"room": _room_detail(found, user)})


@json_view("POST")
def owner(request: HttpRequest, room_id: int) -> JsonResponse:
    """The owner hands the room on to another member."""
    found = access_owned_room_by_id(request.user, room_id)
    new_owner = access_user_by_id(request.user, request.data.get("user_id"))
    actions.do_transfer_ownership(request.user, found, new_owner=new_owner)
    return JsonResponse({"room": _room_detail(found, request.user)})


@json_view("GET", "POST")
def messages(request: HttpRequest, room_id: int) -> JsonResponse:
    """GET: a page of history (``before``=seq) or the changes since ``after_rev`` (resync).
    POST: send a message (the socket is the usual way; this is the same action)."""
    user = request.user
    if request.method == "GET":
        found = access_room_by_id(user, room_id)
        if "after_rev" in request.GET:
            changes = list_changes_for_room(found, after_rev=check_seq(request.GET["after_rev"]))
            return JsonResponse(
                {"messages": [serialize_message(m) for m in changes], "last_seq": found.last_seq}
            )
        before = request.GET.get("before")
        page = list_messages_for_room(
            found, before_seq=check_seq(before, field="before") if before else None
        )
        return JsonResponse(
            {
                "messages": [serialize_message(m) for m in page],
                "last_seq": found.last_seq,
                "has_more": bool(page) and page[0].seq > 1,
            }
        )
    found = access_room_by_id(user, room_id, for_write=True)
    check_plaintext_allowed(found)
    client_id = check_client_id(request.data.get("client_id"))
    content = check_message_input(
        body=request.data.get("body"), content=request.data.get("content")
    )
    message, created = actions.do_send_message(user, found, client_id=client_id, content=content)
    return JsonResponse({"message": serialize_message(message)}, status=201 if created else 200)


@json_view("PATCH", "DELETE")
def message(request: HttpRequest, message_id: int) -> JsonResponse:
    """Edit or delete one of your own messages."""
    found = access_message_by_id(request.user, message_id, own=True)
    if request.method == "DELETE":
        return JsonResponse(
            {"message": serialize_message(actions.do_delete_message(request.user, found))}
        )
    check_plaintext_allowed(found.room)
    content = check_message_input(
        body=request.data.get("body"), content=request.data.get("content")
    )
    edited = actions.do_edit_message(request.user, found, content=content)
    return JsonResponse({"message": serialize_message(edited)})


@json_view("POST")
def read(request: HttpRequest, room_id: int) -> JsonResponse:
    """Mark the room read up to ``seq``."""
    found = access_room_by_id(request.user, room_id)
    if not is_member(request.user, found):
        raise NotAllowed("Join the channel first.")
    actions.do_mark_read(request.user, found, seq=check_seq(request.data.get("seq")))
    return JsonResponse({})


@json_view("PATCH")
def notifications(request: HttpRequest, room_id: int) -> JsonResponse:
    """A member sets which of the room's messages notify them: all, mentions or nothing."""
    found = access_room_by_id(request.user, room_id, for_write=True)
    level = check_notify_level(request.data.get("notify_level"))
    return JsonResponse(
        {"notify_level": actions.do_set_notify_level(request.user, found, level=level)}
    )


@json_view("GET")
def people(request: HttpRequest) -> JsonResponse:
    """Find people to invite or to message."""
    found = list_people(request.user, query=request.GET.get("q", "")[:80])
    return JsonResponse({"people": [serialize_user(u) for u in found]})
