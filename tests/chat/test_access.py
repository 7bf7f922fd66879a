"""Table tests of every branch of chat.access."""

import pytest

from chat.access import (
    access_message_by_id,
    access_owned_room_by_id,
    access_room_by_id,
    access_user_by_id,
)
from chat.errors import NotAllowed, NotFound
from chat.models import RoomKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user, make_room, send):
    owner, member, outsider = make_user("owner"), make_user("member"), make_user("outsider")
    admin = make_user("admin", is_superuser=True, is_staff=True)
    group = make_room(owner, kind=RoomKind.GROUP, members=(member,))
    channel = make_room(owner, kind=RoomKind.CHANNEL, members=(member,))
    return {
        "owner": owner,
        "member": member,
        "outsider": outsider,
        "admin": admin,
        "group": group,
        "channel": channel,
        "group_msg": send(member, group, "in group"),
        "channel_msg": send(member, channel, "in channel"),
    }


@pytest.mark.parametrize(
    ("who", "room", "for_write", "allowed"),
    [
        ("owner", "group", False, True),
        ("member", "group", False, True),
        ("member", "group", True, True),
        ("outsider", "group", False, False),
        ("admin", "group", False, False),
        ("outsider", "channel", False, True),
        ("outsider", "channel", True, False),
        ("member", "channel", True, True),
    ],
)
def test_access_room_by_id(world, who, room, for_write, allowed):
    """Members read and write their rooms; anyone reads a public channel; nobody else sees one."""
    user, target = world[who], world[room]
    if allowed:
        assert access_room_by_id(user, target.pk, for_write=for_write) == target
    else:
        with pytest.raises(NotFound):
            access_room_by_id(user, target.pk, for_write=for_write)


@pytest.mark.parametrize("bad_id", [0, -1, "x", None, 10**20, "999999"])
def test_access_room_by_id_missing_is_not_found(world, bad_id):
    """A malformed or unknown id gets the same NotFound as a room one may not see."""
    with pytest.raises(NotFound):
        access_room_by_id(world["member"], bad_id)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", "ok"), ("member", NotAllowed), ("outsider", NotFound), ("admin", NotFound)],
)
def test_access_owned_room_by_id(world, who, expected):
    """Only the owner (or an admin who is a member) may manage a room."""
    if expected == "ok":
        assert access_owned_room_by_id(world[who], world["group"].pk) == world["group"]
    else:
        with pytest.raises(expected):
            access_owned_room_by_id(world[who], world["group"].pk)


def test_admin_member_may_manage_room(world):
    """An instance admin who belongs to a room may manage it."""
    from chat.actions import do_add_members

    do_add_members(world["owner"], world["group"], people=[world["admin"]])
    assert access_owned_room_by_id(world["admin"], world["group"].pk) == world["group"]


@pytest.mark.parametrize(
    ("who", "msg", "own", "allowed"),
    [
        ("member", "group_msg", True, True),
        ("owner", "group_msg", False, True),
        ("owner", "group_msg", True, False),
        ("outsider", "group_msg", False, False),
        ("outsider", "channel_msg", False, True),
        ("outsider", "channel_msg", True, False),
    ],
)
def test_access_message_by_id(world, who, msg, own, allowed):
    """Messages are visible with their room; ``own`` also requires being the sender."""
    if allowed:
        assert access_message_by_id(world[who], world[msg].pk, own=own) == world[msg]
    else:
        with pytest.raises(NotFound):
            access_message_by_id(world[who], world[msg].pk, own=own)


def test_access_message_by_id_own_refuses_deleted(world):
    """A deleted message can no longer be edited or deleted by its sender."""
    from chat.actions import do_delete_message

    do_delete_message(world["member"], world["group_msg"])
    with pytest.raises(NotFound):
        access_message_by_id(world["member"], world["group_msg"].pk, own=True)


@pytest.mark.parametrize(
    ("who", "target", "allowed"),
    [("member", "owner", True), ("member", "member", False), ("member", 999999, False)],
)
def test_access_user_by_id(world, who, target, allowed):
    """People are reachable by id, except oneself and unknown ids."""
    target_id = world[target].pk if isinstance(target, str) else target
    if allowed:
        assert access_user_by_id(world[who], target_id).pk == target_id
    else:
        with pytest.raises(NotFound):
            access_user_by_id(world[who], target_id)


def test_access_user_by_id_refuses_inactive(world):
    """Deactivated accounts cannot be invited or messaged."""
    world["owner"].is_active = False
    world["owner"].save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        access_user_by_id(world["member"], world["owner"].pk)
