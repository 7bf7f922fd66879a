"""Factory fixtures shared by the whole suite."""

import itertools
import uuid
from collections.abc import Callable

import pytest
from django.core.cache import cache

from accounts.models import User
from chat import actions
from chat.models import Message, Room, RoomKind

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Start every test with an empty cache (user ids are reused after a rollback, so a count
    of wrong login passwords would otherwise carry over)."""
    cache.clear()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    """Return a factory of users; ``make_user("ann")`` has the password ``pw-<name>``."""

    def make(name: str | None = None, **extra: object) -> User:
        name = name or f"user{next(_numbers)}"
        return User.objects.create_user(username=name, password=f"pw-{name}", **extra)

    return make


@pytest.fixture
def make_room(db: None, make_user: Callable[..., User]) -> Callable[..., Room]:
    """Return a factory of rooms made through the real action (owner plus members)."""

    def make(
        owner: User | None = None,
        *,
        kind: str = RoomKind.GROUP,
        members: tuple[User, ...] = (),
        name: str | None = None,
        topic: str = "",
    ) -> Room:
        owner = owner or make_user()
        return actions.do_create_room(
            owner,
            kind=kind,
            name=name or f"room-{next(_numbers)}",
            topic=topic,
            invitees=members,
        )

    return make


@pytest.fixture
def send(db: None) -> Callable[..., Message]:
    """Return a helper that posts a plaintext message through the real action."""

    def post(user: User, room: Room, body: str = "hello") -> Message:
        message, _ = actions.do_send_message(user, room, client_id=uuid.uuid4(), body=body)
        return message

    return post
