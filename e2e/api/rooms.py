"""Encrypted-room endpoints. Each is an adapter: parse, one ``access_*``, checks, one action.
The server only ever receives sealed keys, signed state entries and ciphertext. Request
schemas: ``e2e.schemas``."""

from typing import Any

from django.http import HttpRequest, JsonResponse
from django.urls import reverse
from ninja import Query, Router

from chat.access import (
    access_message_by_id,
    access_owned_room_by_id,
    access_room_by_id,
    access_room_to_encrypt_by_id,
    access_user_by_id,
)
from chat.checks import check_id_list, check_new_room_uid, check_room_name, check_topic
from chat.errors import InvalidInput
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
from e2e.schemas import (
    EncryptedChangeBody,
    EncryptedDmOpen,
    EncryptedMembersAdd,
    EncryptedRoomCreate,
    EncryptedSendBody,
    Genesis,
    KeyRotate,
    KeyShare,
    StateAppend,
    StateQuery,
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

router = Router()


def _genesis(data: Genesis) -> dict[str, Any]:
    """Parse a room's start: its genesis entry and the first key's envelopes."""
    entries = check_state_entries(data.entries)
    key_id = check_key_id(entries[0]["body"].get("key_id"))
    return {"entries": entries, "envelopes": check_envelopes(data.envelopes, key_id=key_id)}


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


@router.post("/rooms/", url_name="e2e_rooms")
def rooms(request: HttpRequest, data: EncryptedRoomCreate) -> JsonResponse:
    """Create an encrypted private group with its genesis and first key sealed to the members.

    The browser makes the room's uid, so the genesis and envelopes are bound to the room before
    it exists.
    """
    uid = check_new_room_uid(data.room_uid)
    name = check_room_name(data.name)
    topic = check_topic(data.topic)
    invitees = [
        access_user_by_id(request.user, pk) for pk in check_id_list(data.invite, field="invite")
    ]
    room = actions.do_create_encrypted_room(
        request.user, name=name, topic=topic, invitees=invitees, uid=uid, **_genesis(data)
    )
    return _room_reply(room, status=201)


@router.post("/dms/", url_name="e2e_dms")
def dms(request: HttpRequest, data: EncryptedDmOpen) -> JsonResponse:
    """Open the DM with someone; a new one is created encrypted with its genesis."""
    other = access_user_by_id(request.user, data.user_id)
    uid = check_new_room_uid(data.room_uid)
    room, created = actions.do_open_encrypted_dm(
        request.user, other=other, uid=uid, **_genesis(data)
    )
    return _room_reply(room, status=201 if created else 200)


@router.post("/rooms/{int:room_id}/encrypt/", url_name="e2e_encrypt_room")
def encrypt_room(request: HttpRequest, room_id: int, data: Genesis) -> JsonResponse:
    """A group's owner (or an admin member), or either member of a DM, turns on encryption
    with the room's genesis."""
    room = access_room_to_encrypt_by_id(request.user, room_id)
    room = actions.do_encrypt_room(request.user, room, **_genesis(data))
    return _room_reply(room)


@router.get("/rooms/{int:room_id}/keys/", url_name="e2e_room_keys")
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


@router.get("/rooms/{int:room_id}/state/", url_name="e2e_room_state")
def room_state(request: HttpRequest, room_id: int, query: Query[StateQuery]) -> JsonResponse:
    """The room's state-chain entries from ``?from=<index>`` on (all by default)."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    return JsonResponse({"entries": list_state_entries_for_room(room, start=query.start)})


@router.post("/rooms/{int:room_id}/state/", url_name="e2e_room_state")
def append_state(request: HttpRequest, room_id: int, data: StateAppend) -> JsonResponse:
    """Append ``member_removed`` / ``identity`` entries signed by the caller."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    state = actions.do_append_state(request.user, room, entries=check_state_entries(data.entries))
    return JsonResponse({"length": state.length})


@router.get("/rooms/{int:room_id}/access/", url_name="e2e_room_access")
def room_access(request: HttpRequest, room_id: int) -> JsonResponse:
    """For key holders: which keys each member still needs."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    return JsonResponse({"needs": list_key_needs_for_room(room)})


@router.post("/rooms/{int:room_id}/share/", url_name="e2e_share_keys")
def share_keys(request: HttpRequest, room_id: int, data: KeyShare) -> JsonResponse:
    """A key holder seals keys to members who lack them (newcomers, key resets), after the
    optional ``identity`` entries by which they accept a member's new identity."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    actions.do_share_keys(
        request.user,
        room,
        shares=_shares(room, data.shares),
        entries=check_optional_state_entries(data.entries),
    )
    return JsonResponse({"shared": True})


@router.post("/rooms/{int:room_id}/members/", url_name="e2e_add_members")
def add_members(request: HttpRequest, room_id: int, data: EncryptedMembersAdd) -> JsonResponse:
    """The owner adds people to an encrypted room with signed entries and their keys."""
    room = access_owned_room_by_id(request.user, room_id)
    if get_encrypted_room(room.pk) is None:
        raise InvalidInput("This room is not end-to-end encrypted.", code="not_encrypted")
    people = [
        access_user_by_id(request.user, pk) for pk in check_id_list(data.user_ids, field="user_ids")
    ]
    added = actions.do_add_encrypted_members(
        request.user,
        room,
        people=people,
        entries=check_state_entries(data.entries),
        shares=_shares(room, data.shares or []),
    )
    return JsonResponse({"added": [u.pk for u in added]})


@router.post("/rooms/{int:room_id}/rotate/", url_name="e2e_rotate")
def rotate(request: HttpRequest, room_id: int, data: KeyRotate) -> JsonResponse:
    """A key holder replaces the room key with a new epoch sealed to the current members."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    replaces = check_key_id(data.replaces_key_id)
    entries = check_state_entries(data.entries)
    key_id = check_key_id(entries[-1]["body"].get("key_id"))
    envelopes = check_envelopes(data.envelopes, key_id=key_id)
    key = actions.do_rotate_key(
        request.user, room, replaces_key_id=replaces, entries=entries, envelopes=envelopes
    )
    return JsonResponse({"key_id": key.key_id, "epoch": key.epoch})


@router.post("/rooms/{int:room_id}/policy/", url_name="e2e_policy")
def policy(request: HttpRequest, room_id: int, data: StateAppend) -> JsonResponse:
    """The owner sets whether new members can read earlier messages (a signed policy entry)."""
    room = access_owned_room_by_id(request.user, room_id)
    share = actions.do_set_share_history(
        request.user, room, entries=check_state_entries(data.entries)
    )
    return JsonResponse({"share_history": share})


@router.get("/rooms/{int:room_id}/messages/", url_name="e2e_room_messages")
def room_messages(request: HttpRequest, room_id: int) -> JsonResponse:
    """The caller's own newest messages in the room, so a browser that has not seen any of
    them continues its per-room counter (PROTOCOL.md §9.1)."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    own = list_own_messages_for_room(room, request.user)
    return JsonResponse({"messages": [serialize_message(m) for m in own]})


@router.post("/rooms/{int:room_id}/messages/", url_name="e2e_room_messages")
def send_encrypted(request: HttpRequest, room_id: int, data: EncryptedSendBody) -> JsonResponse:
    """Send an encrypted message over HTTP (the socket's ``e2e.message.send`` is the usual
    way; the same action)."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    message, created = actions.do_send_encrypted_message(
        request.user, room, client_id=data.client_id, payload=data.payload
    )
    return JsonResponse({"message": serialize_message(message)}, status=201 if created else 200)


@router.patch("/messages/{int:message_id}/", url_name="e2e_message")
def edit_encrypted(
    request: HttpRequest, message_id: int, data: EncryptedChangeBody
) -> JsonResponse:
    """Replace one's own encrypted message with a new ciphertext."""
    found = access_message_by_id(request.user, message_id, own=True)
    changed = actions.do_edit_encrypted_message(request.user, found, payload=data.payload)
    return JsonResponse({"message": serialize_message(changed)})


@router.delete("/messages/{int:message_id}/", url_name="e2e_message")
def delete_encrypted(
    request: HttpRequest, message_id: int, data: EncryptedChangeBody
) -> JsonResponse:
    """Delete one's own encrypted message, storing the sender's encrypted, signed tombstone
    (``payload``) in place of the old one."""
    found = access_message_by_id(request.user, message_id, own=True)
    changed = actions.do_delete_encrypted_message(request.user, found, payload=data.payload)
    return JsonResponse({"message": serialize_message(changed)})
