"""E2E JSON endpoints (session auth, CSRF). The server stores public identities and encrypted
key backups; it is never sent a password or an unwrapped private key."""

from django.http import HttpRequest, JsonResponse
from django.urls import reverse

from chat.access import (
    access_message_by_id,
    access_owned_room_by_id,
    access_room_by_id,
    access_user_by_id,
)
from chat.checks import (
    check_client_id,
    check_id_list,
    check_new_room_uid,
    check_room_name,
    check_topic,
)
from chat.errors import NotFound
from chat.http import json_view
from chat.serializers import serialize_message
from e2e import actions, commands
from e2e.checks import (
    check_backup,
    check_encrypted_payload,
    check_envelopes,
    check_key_id,
    check_public_identity,
)
from e2e.models import UserIdentity
from e2e.selectors import (
    get_e2e_settings,
    get_encrypted_room,
    get_identity_for_user,
    list_envelopes_for_user,
    list_identities_for_users,
    serialize_envelope,
    serialize_identity,
    serialize_settings,
)


def _own_identity(request: HttpRequest) -> UserIdentity:
    identity = get_identity_for_user(request.user.pk)
    if identity is None:
        raise NotFound("You have no encryption keys yet.", code="no_identity")
    return identity


@json_view("GET")
def state(request: HttpRequest) -> JsonResponse:
    """Return the E2E settings and the user's own identity state (never the backup)."""
    identity = get_identity_for_user(request.user.pk)
    return JsonResponse(
        {
            "settings": serialize_settings(get_e2e_settings()),
            "identity": identity.public if identity else None,
            "generation": identity.generation if identity else 0,
            "password_saved": identity.password_saved if identity else False,
        }
    )


@json_view("POST")
def identity(request: HttpRequest) -> JsonResponse:
    """Publish the user's first identity with its encrypted key backup."""
    public, fingerprint = check_public_identity(
        request.data.get("identity"), user_id=request.user.pk
    )
    backup = check_backup(request.data.get("backup"))
    created = actions.do_publish_identity(
        request.user, public=public, fingerprint=fingerprint, backup=backup
    )
    return JsonResponse(serialize_identity(created), status=201)


@json_view("GET", "PUT")
def backup(request: HttpRequest) -> JsonResponse:
    """GET: the user's own encrypted key backup. PUT: replace it (password change)."""
    own = _own_identity(request)
    if request.method == "GET":
        return JsonResponse({"backup": own.backup, "generation": own.generation})
    actions.do_replace_backup(request.user, own, backup=check_backup(request.data.get("backup")))
    return JsonResponse({"generation": own.generation})


@json_view("POST")
def password_saved(request: HttpRequest) -> JsonResponse:
    """Record that the user saved their E2E password."""
    actions.do_confirm_password_saved(request.user, _own_identity(request))
    return JsonResponse({"password_saved": True})


@json_view("POST")
def reset(request: HttpRequest) -> JsonResponse:
    """Replace the user's identity and backup with new ones (old room keys are lost to them)."""
    own = _own_identity(request)
    public, fingerprint = check_public_identity(
        request.data.get("identity"), user_id=request.user.pk
    )
    new_backup = check_backup(request.data.get("backup"))
    updated = actions.do_reset_keys(
        request.user, own, public=public, fingerprint=fingerprint, backup=new_backup
    )
    return JsonResponse(serialize_identity(updated))


@json_view("GET")
def identities(request: HttpRequest) -> JsonResponse:
    """Return the public identities of the given users (public keys are not secret).

    Browsers pin what they get here (trust on first use) and never trust a later change
    silently, so a server that lies here is caught (docs/PROTOCOL.md).
    """
    raw = [part for part in request.GET.get("ids", "").split(",") if part]
    ids = check_id_list(raw, field="ids", limit=500)
    return JsonResponse(
        {"identities": [serialize_identity(i) for i in list_identities_for_users(ids)]}
    )


def _key_and_envelopes(data: dict) -> tuple[str, dict]:
    key_id = check_key_id(data.get("key_id"))
    return key_id, check_envelopes(data.get("envelopes"), key_id=key_id)


def _room_reply(room, status: int = 200) -> JsonResponse:
    return JsonResponse(
        {
            "room": {
                "id": room.pk,
                "uid": str(room.uid),
                "kind": room.kind,
                "encrypted": room.encrypted,
            },
            "url": reverse("chat:room", args=[room.pk]),
        },
        status=status,
    )


@json_view("POST")
def rooms(request: HttpRequest) -> JsonResponse:
    """Create an encrypted private group with its first key sealed to the members.

    The browser makes the room's uid, so the envelopes can be bound to the room before it exists.
    """
    data = request.data
    uid = check_new_room_uid(data.get("room_uid"))
    name = check_room_name(data.get("name"))
    topic = check_topic(data.get("topic"))
    invitees = [
        access_user_by_id(request.user, pk)
        for pk in check_id_list(data.get("invite"), field="invite")
    ]
    key_id, envelopes = _key_and_envelopes(data)
    room = actions.do_create_encrypted_room(
        request.user,
        name=name,
        topic=topic,
        invitees=invitees,
        key_id=key_id,
        envelopes=envelopes,
        uid=uid,
    )
    return _room_reply(room, status=201)


@json_view("POST")
def dms(request: HttpRequest) -> JsonResponse:
    """Open the DM with someone; a new one is created encrypted with its first key."""
    other = access_user_by_id(request.user, request.data.get("user_id"))
    uid = check_new_room_uid(request.data.get("room_uid"))
    key_id, envelopes = _key_and_envelopes(request.data)
    room, created = actions.do_open_encrypted_dm(
        request.user, other=other, key_id=key_id, envelopes=envelopes, uid=uid
    )
    return _room_reply(room, status=201 if created else 200)


@json_view("POST")
def encrypt_room(request: HttpRequest, room_id: int) -> JsonResponse:
    """The owner (or an admin member) turns on encryption with the room's first key."""
    room = access_owned_room_by_id(request.user, room_id)
    key_id, envelopes = _key_and_envelopes(request.data)
    room = actions.do_encrypt_room(request.user, room, key_id=key_id, envelopes=envelopes)
    return _room_reply(room)


@json_view("GET")
def room_keys(request: HttpRequest, room_id: int) -> JsonResponse:
    """Return the room's current key id and the envelopes sealed to the caller."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    encrypted = get_encrypted_room(room.pk)
    return JsonResponse(
        {
            "encrypted": room.encrypted,
            "current_key_id": encrypted.current_key.key_id if encrypted else None,
            "envelopes": [
                serialize_envelope(e)
                for e in list_envelopes_for_user(request.user.pk, room_id=room.pk)
            ],
        }
    )


@json_view("POST")
def room_messages(request: HttpRequest, room_id: int) -> JsonResponse:
    """Send an encrypted message over HTTP (the socket's ``e2e.message.send`` is the usual way)."""
    room = access_room_by_id(request.user, room_id, for_write=True)
    client_id = check_client_id(request.data.get("client_id"))
    payload = check_encrypted_payload(
        request.data.get("payload"), current_key_id=commands.current_key_id(room)
    )
    message, created = actions.do_send_encrypted_message(
        request.user, room, client_id=client_id, payload=payload
    )
    return JsonResponse({"message": serialize_message(message)}, status=201 if created else 200)


@json_view("PATCH")
def message(request: HttpRequest, message_id: int) -> JsonResponse:
    """Replace one's own encrypted message with a new ciphertext."""
    found = access_message_by_id(request.user, message_id, own=True)
    payload = check_encrypted_payload(
        request.data.get("payload"), current_key_id=commands.current_key_id(found.room)
    )
    edited = actions.do_edit_encrypted_message(request.user, found, payload=payload)
    return JsonResponse({"message": serialize_message(edited)})
