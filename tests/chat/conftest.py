"""Fixtures shared by the chat socket tests: three people and a group of the first two."""

import pytest

from chat.models import RoomKind


@pytest.fixture
def people(make_user):
    """Ann, Bob and Cat."""
    return make_user("ann"), make_user("bob"), make_user("cat")


@pytest.fixture
def group(people, make_room):
    """A group Ann owns with Bob in it (Cat is not)."""
    ann, bob, _ = people
    return make_room(ann, kind=RoomKind.GROUP, members=(bob,))
