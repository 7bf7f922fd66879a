"""Encrypted-room endpoints. Each is an adapter: parse, one ``access_*``, checks, one action.
The server only ever receives sealed keys, signed state entries and ciphertext."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from chat.access import (
    access_message_by_id,
    access_owned_room_by_id,
    access_room_by_id,
    access_room_to_encrypt_by_id,
    access_user_by_id,
)
from chat.checks import (
    check_client_id,
    check_id_list,
    check_new_room_uid,
    check_room_name,
    check_seq,
    check_topic,
)
from chat.errors import InvalidInput
from chat.http import json_view
from chat.models import Room
from chat.selectors import list_own_messages_for_room
from chat.serializers import serialize_message
from e2e import actions
from e2e.checks import (
    check_envelopes,
    check_key_id,
    check_key_shares,
    check_optional_state_entries,
    check_state_entries,
)
from e2e.selectors import (
    get_encrypted_room,
    list_envelopes_for_user,
    list_key_needs_for_room,
    list_keys_for_room,
    list_state_entries_for_room,
    rotation_due,
    serialize_envelope,
)


def _genesis(data: dict[str, Any]) -> dict[str, Any]:
    """Parse a room's start: its genesis entry and the first key's envelopes."""
    entries = check_state_entries(data.get("entries"))
    key_id = check_key_id(entries[0]["body"].get("key_id"))
    return {"entries": entries, "envelopes": check_envelopes(data.get("envelopes"), key_id=key_id)}


def _shares(room: Room, value: object) -> list:
    keys = list_keys_for_room(room)
    shares = []
    for key_id, envelopes in check_key_shares(value):
        if key_id not in keys:
            raise InvalidInput("That key does not belong to this room.", code="bad_key_id")
        shares.append((keys[key_id], envelopes))
    return shares


def _room_reply(room: Room, status: int = 200) -> JsonResponse:
    data = {"id": room.pk, "uid": str(room.uid), "kind": room.kind, "encrypted": room.encrypted}
    return JsonResponse({"room": data, "url": reverse("chat:room", args=[room.pk])}, status=status)


@json_view("POST")
def rooms(request: HttpRequest) -> JsonResponse:
    """Create an encrypted private group with its genesis and first key sealed to the members.

    The browser makes the room's uid, so the genesis and envelopes are bound to the room before
    it exists.
    """
    data = request.data
    uid = check_new_room_uid(data.get("room_uid"))
    name = check_room_name(data.get("name"))
    topic = check_topic(data.get("topic"))
    invitees = [
        access_user_by_id(request.user, pk)
        for pk in check_id_list(data.get("invite"), field="invite")
    ]
    room = actions.do_create_encrypted_room(
        request.user, name=name, topic=topic, invitees=invitees, uid=uid, **_genesis(data)
    )
    return _room_reply(room, status=201)


@json_view("POST")
def dms(request: HttpRequest) -> JsonResponse:
    """Open the DM with someone; a new one is created encrypted with its genesis."""
    other = access_user_by_id(request.user, request.data.get("user_id"))
    uid = check_new_room_uid(request.data.get("room_uid"))
    room, created = actions.do_open_encrypted_dm(
        request.user, other=other, uid=uid, **_genesis(request.data)
    )
    return _room_reply(room, status=201 if created else 200)


@json_view("POST")
def encrypt_room(request: HttpRequest, room_id: int) -> JsonResponse:
    """A group's owner (or an admin member), or either member of a DM, turns on encryption
    with the room's genesis."""
    room = access_room_to_encrypt_by_id(request.user, room_id)
    room = actions.do_encrypt_room(request.user, room, **_genesis(request.data))
    return _room_reply(room)


@json_view("GET")
def room_keys(request: HttpRequest, room_id: int) -> JsonResponse:
    """Return what the server says of the room's E2E state, and the envelopes sealed to the
    caller. Browsers take members, keys and the current key from the chain (``state``)."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    encrypted = get_encrypted_room(room.pk)
    return JsonResponse(
        {
            "encrypted": room.encrypted,
            "room_uid": str(room.uid),
            "current_key_id": encrypted.current_key.key_id if encrypted else None,
            "current_epoch": encrypted.current_key.epoch if encrypted else None,
            "rotation_due": rotation_due(encrypted) if encrypted else False,
            "envelopes": [
                serialize_envelope(e)
                for e in list_envelopes_for_user(request.user.pk, room_id=room.pk)
            ],
        }
    )


@json_view("GET", "POST")
def room_state(request: HttpRequest, room_id: int) -> JsonResponse:
    """GET: the room's state-chain entries from ``?from=<index>`` on (all by default).
    POST: append ``member_removed`` / ``identity`` entries signed by the caller."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    if request.method == "POST":
        state = actions.do_append_state(
            request.user, room, entries=check_state_entries(request.data.get("entries"))
        )
        return JsonResponse({"length": state.length})
    start = check_seq(request.GET.get("from", "0"), field="from")
    return JsonResponse({"entries": list_state_entries_for_room(room, start=start)})


@json_view("GET")
def room_access(request: HttpRequest, room_id: int) -> JsonResponse:
    """For key holders: which keys each member still needs."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    return JsonResponse({"needs": list_key_needs_for_room(room)})


@json_view("POST")
def share_keys(request: HttpRequest, room_id: int) -> JsonResponse:
    """A key holder seals keys to members who lack them (newcomers, key resets), after the
    optional ``identity`` entries by which they accept a member's new identity."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    actions.do_share_keys(
        request.user,
        room,
        shares=_shares(room, request.data.get("shares")),
        entries=check_optional_state_entries(request.data.get("entries")),
    )
    return JsonResponse({"shared": True})


@json_view("POST")
def add_members(request: HttpRequest, room_id: int) -> JsonResponse:
    """The owner adds people to an encrypted room with signed entries and their keys."""
    room = access_owned_room_by_id(request.user, room_id)
    if get_encrypted_room(room.pk) is None:
        raise InvalidInput("This room is not end-to-end encrypted.", code="not_encrypted")
    people = [
        access_user_by_id(request.user, pk)
        for pk in check_id_list(request.data.get("user_ids"), field="user_ids")
    ]
    added = actions.do_add_encrypted_members(
        request.user,
        room,
        people=people,
        entries=check_state_entries(request.data.get("entries")),
        shares=_shares(room, request.data.get("shares") or []),
    )
    return JsonResponse({"added": [u.pk for u in added]})


@json_view("POST")
def rotate(request: HttpRequest, room_id: int) -> JsonResponse:
    """A key holder replaces the room key with a new epoch sealed to the current members."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    replaces = check_key_id(request.data.get("replaces_key_id"))
    entries = check_state_entries(request.data.get("entries"))
    key_id = check_key_id(entries[-1]["body"].get("key_id"))
    envelopes = check_envelopes(request.data.get("envelopes"), key_id=key_id)
    key = actions.do_rotate_key(
        request.user, room, replaces_key_id=replaces, entries=entries, envelopes=envelopes
    )
    return JsonResponse({"key_id": key.key_id, "epoch": key.epoch})


@json_view("POST")
def policy(request: HttpRequest, room_id: int) -> JsonResponse:
    """The owner sets whether new members can read earlier messages (a signed policy entry)."""
    room = access_owned_room_by_id(request.user, room_id)
    share = actions.do_set_share_history(
        request.user, room, entries=check_state_entries(request.data.get("entries"))
    )
    return JsonResponse({"share_history": share})


@json_view("GET", "POST")
def room_messages(request: HttpRequest, room_id: int) -> JsonResponse:
    """POST: send an encrypted message over HTTP (the socket's ``e2e.message.send`` is the
    usual way; the same action). GET: the caller's own newest messages in the room, so a
    browser that has not seen any of them continues its per-room counter (PROTOCOL.md §9.1)."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    if request.method == "GET":
        own = list_own_messages_for_room(room, request.user)
        return JsonResponse({"messages": [serialize_message(m) for m in own]})
    client_id = check_client_id(request.data.get("client_id"))
    message, created = actions.do_send_encrypted_message(
        request.user, room, client_id=client_id, payload=request.data.get("payload")
    )
    return JsonResponse({"message": serialize_message(message)}, status=201 if created else 200)


@json_view("PATCH", "DELETE")
def message(request: HttpRequest, message_id: int) -> JsonResponse:
    """PATCH: replace one's own encrypted message with a new ciphertext. DELETE: delete it,
    storing the sender's encrypted, signed tombstone (``payload``) in place of the old one."""
    found = access_message_by_id(request.user, message_id, own=True)
    payload = request.data.get("payload")
    if request.method == "DELETE":
        changed = actions.do_delete_encrypted_message(request.user, found, payload=payload)
    else:
        changed = actions.do_edit_encrypted_message(request.user, found, payload=payload)
    return JsonResponse({"message": serialize_message(changed)})
