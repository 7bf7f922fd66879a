"""The signed room-state chain on the server (docs/PROTOCOL.md §15): it is stored in order,
checked under the room's lock, and the server's own rules follow it; it never writes an entry."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Membership
from e2e import crypto
from e2e.models import E2ESettings, EncryptedRoom, RoomKey, RoomStateEntry
from tests.e2e.member import Member, now_ms
from tests.e2e.test_membership import rotate
from tests.e2e.test_rooms import caller, make_group, plain_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db, make_user):
    """ann (owner), bob and cat with identities."""
    E2ESettings.objects.create(pk=1, enabled=True)
    result = {}
    for name in ("ann", "bob", "cat"):
        user = make_user(name)
        member = Member(user.pk, caller(user)[1])
        member.publish()
        result[name] = member
    return result


def test_genesis_is_stored_and_served_to_members(people):
    """Starting encryption stores the genesis, which members fetch and verify."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    bob.fetch_keys(room_id)
    state = bob.chain(room_id)
    assert (state.length, state.starter, state.current_key_id) == (1, str(ann.user_id), key_id)
    assert set(state.members) == {str(ann.user_id), str(bob.user_id)}


def test_outsider_cannot_read_the_chain(people):
    """Someone outside the room gets 404 for its chain, as for anything else of the room."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, _ = make_group(ann, [bob.user_id])
    assert cat.call("GET", f"/api/e2e/rooms/{room_id}/state/", None)[0] == 404


def test_state_can_be_read_from_an_index(people):
    """``?from=N`` returns the entries from index N on (a page that verified the rest)."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    _, body = bob.call("GET", f"/api/e2e/rooms/{room_id}/state/?from=1", None)
    assert [e["index"] for e in body["entries"]] == [1]


def test_entry_behind_the_head_is_a_conflict(people):
    """An entry built on an old head is refused with 409, so the writer reads and retries."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    stale = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": stale})
    assert (status, body["error"]["code"]) == (409, "state_conflict")


def test_entry_signed_by_someone_else_is_refused(people):
    """A member cannot submit an entry another member signed (only their own)."""
    ann, bob = people["ann"], people["bob"]
    room_id, _ = make_group(ann, [bob.user_id])
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    status, body = bob.call("POST", f"/api/e2e/rooms/{room_id}/state/", {"entries": entries})
    assert (status, body["error"]["code"]) == (400, "bad_state")


def test_forged_entry_is_refused(people):
    """An entry whose signature does not verify is refused and nothing is stored."""
    ann, bob = people["ann"], people["bob"]
    room_id, _ = make_group(ann, [bob.user_id])
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    entries[0]["body"]["share_history"] = True  # changed after signing
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})
    assert (status, body["error"]["code"]) == (400, "bad_state")
    assert RoomStateEntry.objects.filter(room_id=room_id).count() == 1


@pytest.mark.parametrize(("ahead_s", "status"), [(11 * 60, 400), (9 * 60, 200)])
def test_entry_dated_more_than_ten_minutes_ahead_is_refused(people, ahead_s, status):
    """An entry whose signed ts is over ten minutes ahead of the server's clock is bad_state and
    nothing is stored; within ten minutes (a drifting clock) it is accepted."""
    ann, bob = people["ann"], people["bob"]
    room_id, _ = make_group(ann, [bob.user_id])
    ts = now_ms() + ahead_s * 1000
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})], ts=ts)
    code, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})
    assert code == status, body
    if status == 400:
        assert body["error"]["code"] == "bad_state"
        assert "clock" in body["error"]["message"]
    assert RoomStateEntry.objects.filter(room_id=room_id).count() == (1 if status == 400 else 2)


def test_genesis_dated_in_the_future_is_refused(people):
    """Turning encryption on with a genesis dated an hour ahead is refused; the room stays plain."""
    ann, bob = people["ann"], people["bob"]
    room_id = plain_group(ann, [bob.user_id])
    fields = ann.first_key(
        ann.room_uid(room_id), crypto.generate_room_key(), [bob.user_id], ts=now_ms() + 3600 * 1000
    )
    code, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/encrypt/", fields)
    assert (code, body["error"]["code"]) == (400, "bad_state")
    assert not RoomStateEntry.objects.filter(room_id=room_id).exists()


def test_policy_entry_sets_the_servers_policy(people):
    """The server's history rule follows the signed policy entry."""
    ann, bob = people["ann"], people["bob"]
    room_id, _ = make_group(ann, [bob.user_id])
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})
    assert (status, body) == (200, {"share_history": False})
    assert EncryptedRoom.objects.get(room_id=room_id).share_history is False


def test_rotation_makes_the_chains_key_current(people):
    """After a rotation the server's current key is the one the chain's key entry names."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    status, body, new_key_id = rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    assert status == 200, body
    assert EncryptedRoom.objects.get(room_id=room_id).current_key.key_id == new_key_id
    assert bob.chain(room_id).current_key_id == new_key_id


def test_genesis_with_another_identity_than_the_servers_is_refused(people):
    """A genesis that records an identity the member no longer has here is a conflict."""
    ann, bob = people["ann"], people["bob"]
    status, body = ann.call("POST", "/api/rooms/", {"name": "g", "invite": [bob.user_id]})
    room_id = body["room"]["id"]
    other = crypto.generate_identity(str(bob.user_id)).public_identity
    key = crypto.generate_room_key()
    uid = ann.room_uid(room_id)
    genesis = ann.genesis(uid, key, [bob.user_id], idents={bob.user_id: crypto.member_ident(other)})
    fields = {"entries": [genesis], "envelopes": ann.envelopes(uid, key, [ann.user_id])}
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/encrypt/", fields)
    assert (status, body["error"]["code"]) == (409, "identity_changed")


def test_removal_entry_only_for_people_who_left(people):
    """``member_removed`` can be recorded on its own only for someone no longer in the room."""
    ann, bob, cat = people["ann"], people["bob"], people["cat"]
    room_id, _ = make_group(ann, [bob.user_id, cat.user_id])
    entries = ann.sign_entries(room_id, [("member_removed", {"user": str(cat.user_id)})])
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/state/", {"entries": entries})
    assert (status, body["error"]["code"]) == (400, "bad_state_members")
    Membership.objects.filter(room_id=room_id, user_id=cat.user_id).delete()
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/state/", {"entries": entries})
    assert (status, body) == (200, {"length": 2})


def test_stored_chain_edited_behind_the_servers_back_is_not_built_upon(people):
    """If a stored entry is changed in the database, the next append is refused: the server
    verifies the stored chain before extending it."""
    ann, bob = people["ann"], people["bob"]
    room_id, _ = make_group(ann, [bob.user_id])
    entries = ann.sign_entries(room_id, [("policy", {"share_history": False})])
    row = RoomStateEntry.objects.get(room_id=room_id, index=0)
    row.entry["body"]["share_history"] = False
    row.save(update_fields=["entry"])
    status, body = ann.call("POST", f"/api/e2e/rooms/{room_id}/policy/", {"entries": entries})
    assert (status, body["error"]["code"]) == (409, "state_damaged")


def _send(member: Member, room_id: int, key_id: str) -> tuple[int, dict]:
    client_id, payload = member.encrypt(room_id, key_id, "hello")
    return member.call(
        "POST", f"/api/e2e/rooms/{room_id}/messages/", {"client_id": client_id, "payload": payload}
    )


def test_key_older_than_the_schedule_must_rotate(people):
    """A key older than the admin's "days" setting is refused with rotation_due; after a
    holder rotates, sends go through again (bounded exposure)."""
    ann, bob = people["ann"], people["bob"]
    room_id, key_id = make_group(ann, [bob.user_id])
    assert _send(ann, room_id, key_id)[0] == 201
    RoomKey.objects.filter(key_id=key_id).update(created_at=timezone.now() - timedelta(days=8))
    status, body = _send(ann, room_id, key_id)
    assert (status, body["error"]["code"]) == (400, "rotation_due")
    _, _, new_key_id = rotate(ann, room_id, key_id, [ann.user_id, bob.user_id])
    assert _send(ann, room_id, new_key_id)[0] == 201


def test_key_used_for_more_events_than_the_schedule_must_rotate(people):
    """After the admin's number of room events under one key, the next send is refused with
    rotation_due."""
    ann, bob = people["ann"], people["bob"]
    E2ESettings.objects.filter(pk=1).update(rotate_after_events=10)
    room_id, key_id = make_group(ann, [bob.user_id])
    for _ in range(9):  # the 10th event is the "turned on encryption" line
        assert _send(ann, room_id, key_id)[0] == 201
    status, body = _send(ann, room_id, key_id)
    assert (status, body["error"]["code"]) == (400, "rotation_due")
    assert bob.call("GET", f"/api/e2e/rooms/{room_id}/keys/", None)[1]["rotation_due"] is True
