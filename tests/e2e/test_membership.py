"""Members come and go in encrypted rooms: additions signed into the room-state chain, queued
newcomers, rotation on departure, history sharing, key resets (server side; browsers verify the
chain again on the device)."""

import uuid

import pytest

from chat.models import Membership
from e2e import crypto
from e2e.models import E2ESettings, KeyEnvelope, UserIdentity
from tests.e2e.member import Member
from tests.e2e.test_rooms import caller, make_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db, make_user):
    """ann (owner), bob and cat with identities; dan without keys yet."""
    E2ESettings.objects.create(pk=1, enabled=True)
    result = {}
    for name in ("ann", "bob", "cat", "dan"):
        user = make_user(name)
        member = Member(user.pk, caller(user)[1])
        if name != "dan":
            member.publish()
        result[name] = member
    return result


def add(owner: Member, room_id: int, key_id: str, newcomers: list[int], *, keys=None):
    """Add newcomers through the E2E path: a signed member_added entry for each, the given keys
    (default: the current key) sealed to those with identities."""
    uid = owner.room_uid(room_id)
    owner.pin(newcomers)
    with_identity = [n for n in newcomers if n in owner.pins]
    shares = []
    for kid in keys or [key_id]:
        key = crypto.RoomKey(kid, owner.room_keys[kid])
        if with_identity:
            shares.append({"key_id": kid, "envelopes": owner.envelopes(uid, key, with_identity)})
    return owner.call(
        "POST",
        f"/api/e2e/rooms/{room_id}/members/",
        {
            "user_ids": newcomers,
            "entries": owner.sign_entries(room_id, [owner.member_added(n) for n in newcomers]),
            "shares": shares,
        },
    )


def share_body(
    holder: Member, room_id: int, key_id: str, recipients: list[int], *, vouch: int | None = None
) -> dict:
    """The /share/ body by which ``holder`` seals ``key_id`` to ``recipients``, first vouching
    (an ``identity`` entry) for the identity it pinned for ``vouch``, if given."""
    holder.pin(recipients)
    key = crypto.RoomKey(key_id, holder.room_keys[key_id])
    body: dict = {
        "shares": [
            {
                "key_id": key_id,
                "envelopes": holder.envelopes(holder.room_uid(room_id), key, recipients),
            }
        ]
    }
    if vouch is not None:
        item = ("identity", {"user": str(vouch), **holder._ident(vouch)})
        body["entries"] = holder.sign_entries(room_id, [item])
    return body


def share(holder: Member, room_id: int, body: dict) -> tuple[int, dict]:
    return holder.call("POST", f"/api/e2e/rooms/{room_id}/share/", body)


def rotate(
    holder: Member,
    room_id: int,
    old_key_id: str,
    recipients: list[int],
    *,
    removed: tuple[int, ...] = (),
):
    """Rotate the room key: record ``removed`` as gone, then a key entry; seal to recipients."""
    key = crypto.generate_room_key()
    holder.pin(recipients)
    items = [("member_removed", {"user": str(r)}) for r in removed]
    items.append(("key", holder.key_body(room_id, key)))
    status, body = holder.call(
        "POST",
        f"/api/e2e/rooms/{room_id}/rotate/",
        {
            "replaces_key_id": old_key_id,
            "entries": holder.sign_entries(room_id, items),
            "envelopes": holder.envelopes(holder.room_uid(room_id), key, recipients),
        },
    )
    return status, body, key.key_id


def test_added_member_reads_at_once(people):
    """Someone added by a key holder gets the key with the addition and reads immediately."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, key_id = make_group(ann, [bob.user_id])
    status, body = add(ann, room_id, key_id, [cat.user_id])
    assert status == 200, body
    sent = ann.send(room_id, key_id, "welcome cat")
    cat.fetch_keys(room_id)
    assert cat.decrypt(sent) == "welcome cat"


def test_plain_add_to_encrypted_room_is_refused(people):
    """The plain chat endpoint cannot add people to an encrypted room (no signed entry)."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, _ = make_group(ann, [bob.user_id])
    status, body = ann.call("POST", f"/api/rooms/{room_id}/members/", {"user_ids": [cat.user_id]})
    assert (status, body["error"]["code"]) == (400, "state_entry_required")
    assert not Membership.objects.filter(room_id=room_id, user_id=cat.user_id).exists()


def test_addition_without_signed_entry_is_refused(people):
    """An addition must carry a member_added entry for every newcomer."""
    ann, bob, cat, dan = people["ann"], people["bob"], people["cat"], people["dan"]
    room_id, _key_id = make_group(ann, [bob.user_id])
    status, body = ann.call(
        "POST",
        f"/api/e2e/rooms/{room_id}/members/",
        {
            "user_ids": [cat.user_id],
            "entries": ann.sign_entries(room_id, [ann.member_added(dan.user_id)]),
            "shares": [],
        },
    )
    assert (status, body["error"]["code"]) == (400, "bad_state_members")
    assert not Membership.objects.filter(room_id=room_id, user_id=cat.user_id).exists()


def test_queued_newcomer_gets_key_after_setting_up(people):
    """A newcomer without keys is in the chain with no identity; once they publish one, a key
    holder vouches for it (an identity entry) and seals them the key in the same request."""
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room_id, key_id = make_group(ann, [bob.user_id])
    status, body = add(ann, room_id, key_id, [dan.user_id])
    assert status == 200, body
    assert not KeyEnvelope.objects.filter(recipient_id=dan.user_id).exists()
    assert bob.chain(room_id).members[str(dan.user_id)] is None
    dan.publish()
    _, access = bob.call("GET", f"/api/e2e/rooms/{room_id}/access/", None)
    need = next(n for n in access["needs"] if n["user_id"] == dan.user_id)
    bob.fetch_keys(room_id)
    status, body = share(
        bob, room_id, share_body(bob, room_id, need["key_ids"][0], [dan.user_id], vouch=dan.user_id)
    )
    assert status == 200, body
    dan.fetch_keys(room_id)
    assert dan.decrypt(ann.send(room_id, key_id, "hi dan")) == "hi dan"


def test_newcomer_without_vouched_identity_cannot_be_sealed_to(people):
    """Until a holder records a newcomer's first identity in the chain, keys cannot go to them."""
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room_id, key_id = make_group(ann, [bob.user_id])
    add(ann, room_id, key_id, [dan.user_id])
    dan.publish()
    status, body = share(ann, room_id, share_body(ann, room_id, key_id, [dan.user_id]))
    assert (status, body["error"]["code"]) == (400, "bad_recipient")


def test_member_inserted_in_database_cannot_be_sealed_to(people):
    """A member the server added without a chain entry is refused a key by the server too."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, key_id = make_group(ann, [bob.user_id])
    Membership.objects.create(room_id=room_id, user_id=cat.user_id)
    status, body = share(ann, room_id, share_body(ann, room_id, key_id, [cat.user_id]))
    assert (status, body["error"]["code"]) == (400, "bad_recipient")


def test_only_key_holders_share(people):
    """Someone without the key cannot hand out envelopes for it."""
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room_id, key_id = make_group(ann, [bob.user_id, dan.user_id])
    dan.publish()
    fake = crypto.RoomKey(key_id, b"\0" * 32)
    dan.pin([bob.user_id])
    status, body = dan.call(
        "POST",
        f"/api/e2e/rooms/{room_id}/share/",
        {
            "shares": [
                {
                    "key_id": key_id,
                    "envelopes": dan.envelopes(dan.room_uid(room_id), fake, [bob.user_id]),
                }
            ]
        },
    )
    assert (status, body["error"]["code"]) == (403, "not_key_holder")


def test_departure_forces_rotation_and_locks_out_the_leaver(people):
    """After a removal the old key is refused until a holder rotates; the removed member gets
    no new key and cannot read what follows."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, key_id = make_group(ann, [bob.user_id, cat.user_id])
    cat.fetch_keys(room_id)
    assert ann.call("DELETE", f"/api/rooms/{room_id}/members/{cat.user_id}/", None)[0] == 200
    client_id, payload = ann.encrypt(room_id, key_id, "after removal")
    _, body = ann.call(
        "POST", f"/api/e2e/rooms/{room_id}/messages/", {"client_id": client_id, "payload": payload}
    )
    assert body["error"]["code"] == "rotation_due"
    status, body, _ = rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    assert (status, body["error"]["code"]) == (400, "bad_state_members")  # cat not recorded
    status, body, _ = rotate(
        ann, room_id, key_id, [ann.user_id, cat.user_id], removed=(cat.user_id,)
    )
    assert (status, body["error"]["code"]) == (400, "bad_recipient")
    status, body, new_key_id = rotate(
        ann, room_id, key_id, [ann.user_id, bob.user_id], removed=(cat.user_id,)
    )
    assert status == 200, body
    sent = ann.send(room_id, new_key_id, "cat cannot read this")
    bob.fetch_keys(room_id)
    assert bob.decrypt(sent) == "cat cannot read this"
    assert not KeyEnvelope.objects.filter(key__key_id=new_key_id, recipient_id=cat.user_id)
    assert cat.call("GET", f"/api/e2e/rooms/{room_id}/keys/", None)[0] == 404
    with pytest.raises(crypto.NoKeyError):
        cat.decrypt(sent)


def test_rotation_needs_current_key_and_holder(people):
    """Only a holder of the current key rotates, and only from the key it saw as current."""
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room_id, key_id = make_group(ann, [bob.user_id, dan.user_id])
    dan.publish()
    status, body, _ = rotate(dan, room_id, key_id, [dan.user_id])
    assert (status, body["error"]["code"]) == (403, "not_key_holder")
    status, _, _ = rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    assert status == 200
    status, body, _ = rotate(ann, room_id, key_id, [ann.user_id])
    assert (status, body["error"]["code"]) == (409, "already_rotated")


def test_history_sharing_off_keeps_earlier_keys_from_newcomers(people):
    """With history sharing off, a newcomer can be given only keys from their epoch on."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, first_key = make_group(ann, [bob.user_id])
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    assert ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})[0] == 200
    _, _, second_key = rotate(ann, room_id, first_key, [ann.user_id, bob.user_id])
    status, body = add(ann, room_id, second_key, [cat.user_id], keys=[first_key, second_key])
    assert (status, body["error"]["code"]) == (400, "history_not_shared")
    status, body = add(ann, room_id, second_key, [cat.user_id], keys=[second_key])
    assert status == 200, body


def test_history_sharing_on_gives_earlier_keys(people):
    """With history sharing on (the default), a newcomer can be given every earlier key."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, first_key = make_group(ann, [bob.user_id])
    old = ann.send(room_id, first_key, "before cat")
    _, _, second_key = rotate(ann, room_id, first_key, [ann.user_id, bob.user_id])
    status, body = add(ann, room_id, second_key, [cat.user_id], keys=[first_key, second_key])
    assert status == 200, body
    cat.fetch_keys(room_id)
    assert cat.decrypt(old) == "before cat"


def test_key_reset_makes_old_envelopes_stale(people):
    """After a member resets keys, their envelopes no longer count and holders see the need."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    new = Member(bob.user_id, bob.call)
    status, _ = bob.call(
        "POST",
        "/api/e2e/reset/",
        {
            "identity": new.identity.public_identity,
            "backup": UserIdentity.objects.get(user_id=bob.user_id).backup,
            "login_password": "pw-bob",
        },
    )
    assert status == 200
    _, access = ann.call("GET", f"/api/e2e/rooms/{room_id}/access/", None)
    assert {"user_id": bob.user_id, "generation": 2, "key_ids": [key_id]} in access["needs"]
    ann.pins.pop(bob.user_id)  # ann confirms the new identity (the browser asks first)
    ann.publics.pop(bob.user_id)
    status, body = share(
        ann, room_id, share_body(ann, room_id, key_id, [bob.user_id], vouch=bob.user_id)
    )
    assert status == 200, body
    new.fetch_keys(room_id)
    assert new.decrypt(ann.send(room_id, key_id, "re-shared")) == "re-shared"


def test_sender_can_retry_with_same_client_id_after_rotation(people):
    """A send refused for rotation can be retried under the new key with the same id."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    client_id = str(uuid.uuid4())
    _, _, new_key = rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    _, payload = ann.encrypt(room_id, new_key, "retry", client_id=client_id)
    status, _ = ann.call(
        "POST", f"/api/e2e/rooms/{room_id}/messages/", {"client_id": client_id, "payload": payload}
    )
    assert status == 201


def test_second_holder_vouching_for_the_same_first_identity_is_not_a_conflict(people):
    """Two key holders serve the same newcomer at once: the one who comes second finds the
    identity already vouched for, its entry is dropped, and its envelopes are stored."""
    ann, bob, dan = people["ann"], people["bob"], people["dan"]
    room_id, key_id = make_group(ann, [bob.user_id])
    add(ann, room_id, key_id, [dan.user_id])
    dan.publish()
    bob.fetch_keys(room_id)

    # Both bodies are built on the same head, before either is sent.
    first = share_body(ann, room_id, key_id, [dan.user_id], vouch=dan.user_id)
    second = share_body(bob, room_id, key_id, [dan.user_id], vouch=dan.user_id)
    assert share(ann, room_id, first)[0] == 200
    assert share(bob, room_id, second) == (200, {"shared": True})
    assert KeyEnvelope.objects.get(recipient_id=dan.user_id).sender_id == bob.user_id


def test_a_stale_identity_entry_for_another_identity_is_still_a_conflict(people):
    """Only an entry restating what the chain records is dropped; one built on an old head
    that says something else is refused with state_conflict."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, _ = make_group(ann, [bob.user_id, cat.user_id])
    other = crypto.generate_identity(str(cat.user_id)).public_identity
    stale = ann.sign_entries(
        room_id, [("identity", {"user": str(cat.user_id), **crypto.member_ident(other)})]
    )
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    assert ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})[0] == 200
    status, body = ann.call(
        "POST", f"/api/e2e/rooms/{room_id}/share/", {"entries": stale, "shares": []}
    )
    assert (status, body["error"]["code"]) == (409, "state_conflict")
