"""A Python E2E member for tests: the same protocol as the browser, through e2e.crypto.

It talks to the server through a ``call(method, path, body) -> (status, json)`` function, so
the same member works with Django's test client and against the live server in browser tests.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from e2e import crypto

Call = Callable[[str, str, dict | None], tuple[int, Any]]
PASSWORD = "correct horse battery staple"
_BACKUPS: dict[str, dict] = {}


def now_ms() -> int:
    """Return this machine's clock in milliseconds since the epoch (an entry's ``ts``)."""
    return int(time.time() * 1000)


def shared_backup(user_id: str) -> dict:
    """Return a well-formed backup (600,000 iterations make it slow: made once per user id)."""
    if user_id not in _BACKUPS:
        _BACKUPS[user_id] = crypto.create_backup(
            crypto.generate_identity(user_id).secret, PASSWORD, user_id
        )
    return _BACKUPS[user_id]


@dataclass
class Member:
    user_id: int
    call: Call
    identity: crypto.GeneratedIdentity = field(init=False)
    pins: dict[int, crypto.VerifiedIdentity] = field(default_factory=dict)
    room_keys: dict[str, bytes] = field(default_factory=dict)
    room_uids: dict[int, str] = field(default_factory=dict)
    # user id -> the public identity object as fetched (chain entries record it)
    publics: dict[int, dict] = field(default_factory=dict)
    chains: dict[int, list[dict]] = field(default_factory=dict)
    counters: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.identity = crypto.generate_identity(str(self.user_id))

    def publish(self) -> None:
        """Publish this member's identity (with a placeholder-password backup)."""
        status, body = self.call(
            "POST",
            "/api/e2e/identity/",
            {
                "identity": self.identity.public_identity,
                "backup": shared_backup(str(self.user_id)),
            },
        )
        assert status == 201, body

    def pin(self, user_ids: list[int]) -> None:
        """Fetch and pin identities (trust on first use; a change is an error here)."""
        ids = ",".join(str(i) for i in user_ids)
        status, body = self.call("GET", f"/api/e2e/identities/?ids={ids}", None)
        assert status == 200, body
        for item in body["identities"]:
            verified = crypto.verify_public_identity(item["identity"], str(item["user_id"]))
            self.publics.setdefault(item["user_id"], item["identity"])
            known = self.pins.setdefault(item["user_id"], verified)
            if known != verified:
                raise AssertionError(f"identity of {item['user_id']} changed")

    def room_uid(self, room_id: int) -> str:
        """Return the uid a room's keys and messages are bound to."""
        if room_id not in self.room_uids:
            status, body = self.call("GET", f"/api/rooms/{room_id}/", None)
            assert status == 200, body
            self.room_uids[room_id] = body["room"]["uid"]
        return self.room_uids[room_id]

    def envelopes(self, room_uid: str, key: crypto.RoomKey, user_ids: list[int]) -> list[dict]:
        """Seal ``key`` for the room ``room_uid`` to each pinned user in ``user_ids``."""
        self.pins[self.user_id] = crypto.verify_public_identity(
            self.identity.public_identity, str(self.user_id)
        )
        self.room_keys[key.key_id] = key.key
        return [
            {
                "recipient_id": uid,
                "envelope": crypto.seal_envelope(
                    key.key,
                    room_id=room_uid,
                    key_id=key.key_id,
                    sender_id=str(self.user_id),
                    recipient_id=str(uid),
                    recipient_dh_public_key=self.pins[uid].dh_public_key,
                    signing_key=self.identity.signing_key,
                ),
            }
            for uid in user_ids
        ]

    def _ident(self, user_id: int) -> dict[str, str]:
        if user_id == self.user_id:
            return crypto.member_ident(self.identity.public_identity)
        return crypto.member_ident(self.publics.get(user_id))

    def genesis(
        self,
        room_uid: str,
        key: crypto.RoomKey,
        member_ids: list[int],
        *,
        share_history: bool = True,
        idents: dict[int, dict] | None = None,
        ts: int | None = None,
    ) -> dict:
        """Sign the genesis of a room with this member and ``member_ids`` (pinned identities, or
        ``idents`` to record other ones) and ``key`` as its first key, at ``ts`` (default now)."""
        self.pin(member_ids)
        chosen = idents or {}
        members = [
            {"user": str(uid), **(chosen.get(uid) or self._ident(uid))}
            for uid in sorted({self.user_id, *member_ids}, key=lambda u: str(u).encode())
        ]
        body = {
            "key_id": key.key_id,
            "commit": crypto.b64u_encode(
                crypto.key_commitment(room_id=room_uid, key_id=key.key_id, key=key.key)
            ),
            "share_history": share_history,
            "members": members,
        }
        return crypto.sign_entry(
            room_id=room_uid,
            index=0,
            prev=None,
            type="genesis",
            author=str(self.user_id),
            ts=now_ms() if ts is None else ts,
            body=body,
            signing_key=self.identity.signing_key,
        )

    def first_key(
        self, room_uid: str, key: crypto.RoomKey, others: list[int], *, ts: int | None = None
    ) -> dict:
        """Return the request fields that start a room's encryption: its genesis (this member
        and the ``others``, signed at ``ts``, default now) and the key sealed to self and to the
        ``others`` with identities."""
        self.pin(others)
        return {
            "entries": [self.genesis(room_uid, key, others, ts=ts)],
            "envelopes": self.envelopes(
                room_uid, key, [self.user_id, *[o for o in others if o in self.pins]]
            ),
        }

    def chain(self, room_id: int) -> crypto.ChainState:
        """Fetch and verify the room's state chain (proofs checked with the keys held)."""
        status, body = self.call("GET", f"/api/e2e/rooms/{room_id}/state/", None)
        assert status == 200, body
        self.chains[room_id] = body["entries"]
        return crypto.verify_chain(
            body["entries"], room_id=self.room_uid(room_id), keys=self.room_keys
        )

    def sign_entries(
        self, room_id: int, items: list[tuple[str, dict]], *, ts: int | None = None
    ) -> list[dict]:
        """Sign ``(type, body)`` entries that continue the room's chain as the server has it,
        at ``ts`` (default now, but never before the entry they follow, as the browser does)."""
        state = self.chain(room_id)
        uid = self.room_uid(room_id)
        prev, index, out = state.head, state.length, []
        if ts is None:
            ts = max(now_ms(), state.head_ts)
        for kind, body in items:
            entry = crypto.sign_entry(
                room_id=uid,
                index=index,
                prev=prev,
                type=kind,
                author=str(self.user_id),
                ts=ts,
                body=body,
                signing_key=self.identity.signing_key,
            )
            out.append(entry)
            prev, index = crypto.entry_hash(uid, entry), index + 1
        return out

    def member_added(self, user_id: int) -> tuple[str, dict]:
        self.pin([user_id])
        return "member_added", {"user": str(user_id), **self._ident(user_id)}

    def key_body(self, room_id: int, key: crypto.RoomKey) -> dict:
        """Return the body of the ``key`` entry making ``key`` the room's next epoch."""
        state = self.chain(room_id)
        uid = self.room_uid(room_id)
        commit = crypto.key_commitment(room_id=uid, key_id=key.key_id, key=key.key)
        proof = crypto.key_proof(
            room_id=uid,
            epoch=state.epoch + 1,
            previous_key_id=state.current_key_id,
            # A member without the key can only make up a proof (tests of refusals do).
            previous_key=self.room_keys.get(state.current_key_id, bytes(32)),
            key_id=key.key_id,
            commit=commit,
            author=str(self.user_id),
        )
        return {
            "epoch": state.epoch + 1,
            "key_id": key.key_id,
            "commit": crypto.b64u_encode(commit),
            "proof": crypto.b64u_encode(proof),
        }

    def fetch_keys(self, room_id: int) -> dict:
        """Open every envelope sealed to this member in the room (signatures checked)."""
        status, body = self.call("GET", f"/api/e2e/rooms/{room_id}/keys/", None)
        assert status == 200, body
        for item in body["envelopes"]:
            self.pin([item["sender_id"]])
            opened = crypto.open_envelope(
                item["envelope"],
                room_id=self.room_uid(room_id),
                sender_id=str(item["sender_id"]),
                recipient_id=str(self.user_id),
                sender_sign_public_key=self.pins[item["sender_id"]].sign_public_key,
                recipient_agreement_key=self.identity.agreement_key,
                recipient_dh_public_key=crypto.b64u_decode(self.identity.public_identity["x25519"]),
            )
            self.room_keys[opened.key_id] = opened.key
        return body

    def encrypt(
        self, room_id: int, key_id: str, text: str, client_id: str | None = None
    ) -> tuple[str, dict]:
        client_id = client_id or str(uuid.uuid4())
        payload = crypto.encrypt_message(
            {"text": text},
            room_id=self.room_uid(room_id),
            key_id=key_id,
            room_key=self.room_keys[key_id],
            sender_id=str(self.user_id),
            message_id=client_id,
            signing_key=self.identity.signing_key,
        )
        return client_id, payload

    def send(self, room_id: int, key_id: str, text: str) -> dict:
        client_id, payload = self.encrypt(room_id, key_id, text)
        status, body = self.call(
            "POST",
            f"/api/e2e/rooms/{room_id}/messages/",
            {"client_id": client_id, "payload": payload},
        )
        assert status in (200, 201), body
        return body["message"]

    def decrypt(self, message: dict) -> str:
        """Verify and decrypt a message as the server gave it; raise the typed crypto errors."""
        sender = message["sender"]["id"]
        self.pin([sender])
        payload = crypto.decrypt_message(
            message["payload"],
            room_id=self.room_uid(message["room_id"]),
            sender_id=str(sender),
            message_id=message["client_id"],
            sender_sign_public_key=self.pins[sender].sign_public_key,
            keys=lambda kid: self.room_keys.get(kid),
        )
        return payload["text"]

    # Transcript fields (docs/PROTOCOL.md §9.1) ------------------------------------------------

    def seal(self, room_id: int, key_id: str, content: dict, client_id: str) -> dict:
        """Encrypt and sign any payload object ``content`` as message ``client_id``."""
        return crypto.encrypt_message(
            content,
            room_id=self.room_uid(room_id),
            key_id=key_id,
            room_key=self.room_keys[key_id],
            sender_id=str(self.user_id),
            message_id=client_id,
            signing_key=self.identity.signing_key,
        )

    def next_ctr(self, room_id: int) -> int:
        """Return this member's next per-room counter value (1, 2, 3 …)."""
        self.counters[room_id] = self.counters.get(room_id, 0) + 1
        return self.counters[room_id]

    def open(self, message: dict) -> dict:
        """Verify and decrypt a message as the server gave it; return the whole payload."""
        sender = message["sender"]["id"]
        self.pin([sender])
        return crypto.decrypt_message(
            message["payload"],
            room_id=self.room_uid(message["room_id"]),
            sender_id=str(sender),
            message_id=message["client_id"],
            sender_sign_public_key=self.pins[sender].sign_public_key,
            keys=lambda kid: self.room_keys.get(kid),
        )
