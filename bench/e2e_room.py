"""Encrypted rooms for the benchmarks, made in Python with ``e2e.crypto`` (the same protocol as
the browser) and stored through the real actions, or in bulk where the actions would only add
setup time. Used by ``bench/open_room.py`` and ``bench/fanout.py --encrypted``.

Call after Django is set up (``bench.harness.setup_database``).
"""

import json
import time
import uuid
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

from bench.harness import Person
from bench.roomclient import RoomClient, Track

PASSWORD = "benchmark encryption password words"
_BACKUP: dict[str, Any] = {}


def enable_e2e() -> None:
    from e2e.models import E2ESettings

    E2ESettings.objects.update_or_create(pk=1, defaults={"enabled": True})


def publish_identity(user: Any, *, password: str | None = None) -> Any:
    """Make and publish ``user``'s identity; return it (``e2e.crypto.GeneratedIdentity``).

    With ``password`` the key backup opens with it (a browser can unlock these keys); without,
    one well-formed backup is shared by every user (PBKDF2 at 600,000 rounds per user would
    dominate the setup; nobody unlocks those).
    """
    from e2e import actions, crypto
    from e2e.checks import check_public_identity

    identity = crypto.generate_identity(str(user.pk))
    if password is not None:
        backup = crypto.create_backup(identity.secret, password, str(user.pk))
    else:
        if "blob" not in _BACKUP:
            _BACKUP["blob"] = crypto.create_backup(identity.secret, PASSWORD, str(user.pk))
        backup = _BACKUP["blob"]
    public, fingerprint = check_public_identity(identity.public_identity, user_id=user.pk)
    actions.do_publish_identity(user, public=public, fingerprint=fingerprint, backup=backup)
    return identity


@dataclass
class Writer:
    """A member who holds the room key and writes encrypted messages (as a browser would)."""

    user_id: int
    identity: Any
    room_uid: str
    key: Any
    sizes: list[int] = field(default_factory=list)

    def payload(self, client_id: str, text: str) -> dict[str, Any]:
        from e2e import crypto

        return crypto.encrypt_message(
            {"text": text},
            room_id=self.room_uid,
            key_id=self.key.key_id,
            room_key=self.key.key,
            sender_id=str(self.user_id),
            message_id=client_id,
            signing_key=self.identity.signing_key,
        )


def genesis_entry(
    writer_user: Any, identity: Any, room_uid: str, key: Any, members: dict[int, Any]
) -> dict[str, Any]:
    """Return the room's genesis (docs/PROTOCOL.md §15) signed by ``writer_user``: the writer
    and ``members`` with their identities (an empty one for a member given None) and ``key`` as
    its first key."""
    from e2e import crypto

    idents = {writer_user.pk: identity.public_identity}
    for user_id, ident in members.items():
        idents[user_id] = None if ident is None else ident.public_identity
    body = {
        "key_id": key.key_id,
        "commit": crypto.b64u_encode(
            crypto.key_commitment(room_id=room_uid, key_id=key.key_id, key=key.key)
        ),
        "share_history": True,
        # Sorted by the UTF-8 bytes of the user ids (§15.1), not by number.
        "members": [
            {"user": str(user_id), **crypto.member_ident(idents[user_id])}
            for user_id in sorted(idents, key=lambda u: str(u).encode())
        ],
    }
    return crypto.sign_entry(
        room_id=room_uid,
        index=0,
        prev=None,
        type="genesis",
        author=str(writer_user.pk),
        ts=int(time.time() * 1000),
        body=body,
        signing_key=identity.signing_key,
    )


def first_key(writer_user: Any, identity: Any, room_uid: str, members: dict[int, Any]) -> tuple:
    """Return (key, envelopes, genesis) starting a room's encryption by ``writer_user``: the
    key sealed to the writer and to ``members`` given with identities (others: None), and the
    genesis listing them all."""
    from e2e import crypto

    key = crypto.generate_room_key()
    recipients = {writer_user.pk: identity, **{k: v for k, v in members.items() if v is not None}}
    envelopes = {
        user_id: crypto.seal_envelope(
            key.key,
            room_id=room_uid,
            key_id=key.key_id,
            sender_id=str(writer_user.pk),
            recipient_id=str(user_id),
            recipient_dh_public_key=crypto.b64u_decode(ident.public_identity["x25519"]),
            signing_key=identity.signing_key,
        )
        for user_id, ident in recipients.items()
    }
    return key, envelopes, genesis_entry(writer_user, identity, room_uid, key, members)


def create_encrypted_group(
    writer_user: Any, name: str, members: dict[int, Any], *, identity: Any = None
) -> tuple:
    """Create an encrypted group of ``writer_user`` and ``members`` ({user: identity|None});
    return (room, Writer). The writer's identity is published here unless ``identity`` gives
    one already published."""
    from accounts.models import User
    from e2e import actions

    identity = identity or publish_identity(writer_user)
    uid = uuid.uuid4()
    key, envelopes, genesis = first_key(writer_user, identity, str(uid), members)
    room = actions.do_create_encrypted_room(
        writer_user,
        name=name,
        topic="",
        invitees=list(User.objects.filter(pk__in=members)),
        entries=[genesis],
        envelopes=envelopes,
        uid=uid,
    )
    return room, Writer(writer_user.pk, identity, str(uid), key)


def encrypt_existing_group(room_id: int, writer_user: Any) -> Writer:
    """Turn on encryption for an existing group (``do_encrypt_room``): the key sealed to the
    writer, every other member in the genesis without an identity. Return the Writer."""
    from chat.models import Room
    from e2e import actions

    room = Room.objects.get(pk=room_id)
    identity = publish_identity(writer_user)
    others = {
        pk: None
        for pk in room.memberships.exclude(user=writer_user).values_list("user_id", flat=True)
    }
    key, envelopes, genesis = first_key(writer_user, identity, str(room.uid), others)
    actions.do_encrypt_room(writer_user, room, entries=[genesis], envelopes=envelopes)
    return Writer(writer_user.pk, identity, str(room.uid), key)


def bulk_encrypted_messages(room: Any, writer: Writer, texts: list[str]) -> None:
    """Store ``texts`` encrypted by ``writer`` in one bulk insert (seq and rev in order)."""
    from chat.models import Message, Room

    start = Room.objects.get(pk=room.pk).last_seq
    rows = []
    for offset, text in enumerate(texts, start=1):
        client_id = uuid.uuid4()
        rows.append(
            Message(
                room_id=room.pk,
                sender_id=writer.user_id,
                kind="text",
                body="",
                payload=writer.payload(str(client_id), text),
                client_id=client_id,
                seq=start + offset,
                rev=start + offset,
            )
        )
    Message.objects.bulk_create(rows, batch_size=500)
    Room.objects.filter(pk=room.pk).update(last_seq=start + len(texts))


def bulk_plain_messages(room: Any, user_id: int, texts: list[str]) -> None:
    """Store plaintext ``texts`` in one bulk insert (the baseline room)."""
    from chat.models import Message, Room

    start = Room.objects.get(pk=room.pk).last_seq
    Message.objects.bulk_create(
        [
            Message(
                room_id=room.pk,
                sender_id=user_id,
                kind="text",
                body=text,
                client_id=uuid.uuid4(),
                seq=start + offset,
                rev=start + offset,
            )
            for offset, text in enumerate(texts, start=1)
        ],
        batch_size=500,
    )
    Room.objects.filter(pk=room.pk).update(last_seq=start + len(texts))


class EncryptedRoomClient(RoomClient):
    """``RoomClient`` sending ``e2e.message.send`` frames with a ciphertext ``writer`` made for
    the same text (``fanout.py --encrypted``). A naive server gets the ciphertext's JSON as the
    body of a plain ``message.send``, so both carry the same bytes."""

    def __init__(self, *, writer: Writer, encrypted_protocol: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.writer = writer
        self.encrypted_protocol = encrypted_protocol

    async def send(self, sender: int, body: str) -> Track:
        client_id = str(uuid.uuid4())
        payload = self.writer.payload(client_id, body)  # made before the clock starts
        command = {"type": "e2e.message.send", "payload": payload}
        if not self.encrypted_protocol:
            command = {"type": "message.send", "body": json.dumps(payload)}
        frame = json.dumps(
            {**command, "ref": client_id, "room_id": self.room_id, "client_id": client_id}
        )
        track = Track(expected=len(self.members))
        self.tracks[client_id.encode()] = track
        track.sent = perf_counter()
        await self.senders[sender].send(frame)
        return track


def encrypted_fanout_room(room_id: int, sender: Person) -> Writer:
    """Switch E2E on and encrypt ``fanout.py``'s room, with ``sender`` holding the key."""
    from accounts.models import User

    enable_e2e()
    writer = encrypt_existing_group(room_id, User.objects.get(pk=sender.user_id))
    print(
        "Encrypted room: the sender's messages are ciphertext made in Python for the same texts "
        "(e2e.message.send); the naive server relays the same JSON as a plain body.",
        flush=True,
    )
    return writer


def room_client(options: Any, kind: str, **kwargs: Any) -> RoomClient:
    """Return ``fanout.py``'s client: an ``EncryptedRoomClient`` with ``--encrypted``."""
    writer = getattr(options, "writer", None)
    if writer is None:
        return RoomClient(**kwargs)
    return EncryptedRoomClient(writer=writer, encrypted_protocol=kind == "keyroom", **kwargs)
