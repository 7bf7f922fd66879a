"""Presence over the socket: online, away, offline, aggregated over a person's tabs, announced
once per change to the people who share a room with them, offline only after a grace period,
and hidden by "appear offline" (docs/ARCHITECTURE.md "Presence")."""

import asyncio
import json
import time

import pytest
from asgiref.sync import sync_to_async
from django.apps import apps
from django.core.cache import cache

from accounts.actions import do_update_profile
from chat import presence
from chat.models import RoomKind
from tests.sockets import open_socket, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Presence lives in Django's cache (locmem here): every test starts with none."""
    cache.clear()
    yield
    cache.clear()


def presence_frame(state: str, **fields) -> str:
    return json.dumps({"type": "presence", "state": state, **fields})


async def join(user, state: str = "active"):
    """Open a socket for ``user`` that takes part in presence (as the browser does on every
    open) and return it with the snapshot it was answered with."""
    socket = await open_socket(user)
    await socket.send_to(text_data=presence_frame(state))
    return socket, await receive_type(socket, "presence.snapshot")


async def heard(socket, *, within: float = 0.6) -> list[dict]:
    """Return the presence events ``socket`` receives in the next ``within`` seconds."""
    events = []
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        # receive_nothing, not a receive that times out: that would cancel the consumer.
        if await socket.receive_nothing(timeout=0.05, interval=0.01):
            continue
        event = await socket.receive_json_from()
        if event["type"] == "presence":
            events.append(event)
    return events


async def next_presence(socket, *, within: float = 5.0) -> dict:
    """Return the next presence event, waiting up to ``within`` seconds (skipping digests)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await socket.receive_nothing(timeout=0.05, interval=0.01):
            continue
        event = await socket.receive_json_from()
        if event["type"] == "presence":
            return event
    raise AssertionError("no presence event")


@sync_to_async
def row_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


async def test_a_person_coming_online_is_announced_to_co_members_only(people, group):
    """Ann's first tab makes her online for Bob, who shares a room with her, not for Cat, who
    does not; nothing is stored."""
    ann, bob, cat = people
    bob_socket, _ = await join(bob)
    cat_socket, _ = await join(cat)
    ann_socket = await open_socket(ann)
    before = await row_counts()
    await ann_socket.send_to(text_data=presence_frame("active"))
    assert await next_presence(bob_socket) == {
        "type": "presence",
        "user_id": ann.pk,
        "state": "online",
    }
    assert await heard(cat_socket) == []
    assert await row_counts() == before
    for socket in (ann_socket, bob_socket, cat_socket):
        await socket.disconnect()


async def test_the_snapshot_holds_co_members_and_the_person_themself(people, group):
    """A socket joining presence gets what it may see: Ann (online) and nobody outside its
    rooms (Cat, online too), plus its own person's real state."""
    ann, bob, cat = people
    ann_socket, _ = await join(ann)
    cat_socket, _ = await join(cat)
    bob_socket, snapshot = await join(bob)
    assert snapshot["users"] == {str(ann.pk): "online"}
    assert snapshot["self"] == {"user_id": bob.pk, "state": "online", "appear_offline": False}
    for socket in (ann_socket, bob_socket, cat_socket):
        await socket.disconnect()


async def test_a_person_is_online_while_any_tab_is_active_and_away_when_all_are_idle(people, group):
    """Two tabs of Ann: one going idle changes nothing for Bob; both idle is "away", once;
    one active again is "online", once."""
    ann, bob, _ = people
    bob_socket, _ = await join(bob)
    tab1, _ = await join(ann)
    tab2, _ = await join(ann)
    assert [e["state"] for e in await heard(bob_socket)] == ["online"]  # two tabs, one event
    await tab1.send_to(text_data=presence_frame("idle"))
    assert await heard(bob_socket) == []
    await tab2.send_to(text_data=presence_frame("idle"))
    assert [e["state"] for e in await heard(bob_socket)] == ["away"]
    await tab1.send_to(text_data=presence_frame("active"))
    assert [e["state"] for e in await heard(bob_socket)] == ["online"]
    for socket in (tab1, tab2, bob_socket):
        await socket.disconnect()


async def test_offline_comes_after_the_grace_period_and_a_reload_does_not_flicker(
    people, group, settings
):
    """Ann reloading (her only tab closed, a new one opened at once) says nothing to Bob; her
    last tab closing says "offline", once the grace period is over, not before."""
    ann, bob, _ = people
    settings.KEYROOM_PRESENCE_GRACE_SECONDS = 1.0
    bob_socket, _ = await join(bob)
    ann_socket, _ = await join(ann)
    assert (await next_presence(bob_socket))["state"] == "online"
    await ann_socket.disconnect()
    ann_socket, _ = await join(ann)  # the reload
    assert await heard(bob_socket, within=2.0) == []
    await ann_socket.disconnect()
    closed = time.monotonic()
    event = await next_presence(bob_socket)
    assert (event["user_id"], event["state"]) == (ann.pk, "offline")
    assert time.monotonic() - closed >= 0.9
    assert await heard(bob_socket) == []
    await bob_socket.disconnect()


async def test_a_socket_that_sends_no_presence_neither_counts_nor_hears_it(people, group):
    """A socket that never sends ``presence`` (a script) does not make its person online and
    gets no presence events."""
    ann, bob, _ = people
    plain_bob = await open_socket(bob)
    bob_socket, _ = await join(bob)
    ann_socket = await open_socket(ann)
    assert await heard(bob_socket) == []
    await ann_socket.send_to(text_data=presence_frame("active"))
    assert (await next_presence(bob_socket))["state"] == "online"
    assert await heard(plain_bob, within=0.3) == []
    for socket in (ann_socket, bob_socket, plain_bob):
        await socket.disconnect()


async def test_appear_offline_shows_others_offline_and_the_person_their_real_state(people, group):
    """Ann turning "appear offline" on: Bob hears "offline" and his snapshots say so while
    she stays connected; her own tabs hear her real state marked appearing offline. Off
    again: Bob hears "online"."""
    ann, bob, _ = people
    bob_socket, _ = await join(bob)
    ann_socket, _ = await join(ann)
    assert (await next_presence(bob_socket))["state"] == "online"
    await sync_to_async(do_update_profile)(ann, display_name="", appear_offline=True)
    assert (await next_presence(bob_socket))["state"] == "offline"
    mine = await receive_type(ann_socket, "presence.self")
    if not mine["appear_offline"]:  # the one from her own tab opening
        mine = await receive_type(ann_socket, "presence.self")
    assert mine == {
        "type": "presence.self",
        "user_id": ann.pk,
        "state": "online",
        "appear_offline": True,
    }
    other_bob, snapshot = await join(bob)
    assert snapshot["users"] == {str(ann.pk): "offline"}
    await sync_to_async(do_update_profile)(ann, display_name="", appear_offline=False)
    assert (await next_presence(bob_socket))["state"] == "online"
    for socket in (ann_socket, bob_socket, other_bob):
        await socket.disconnect()


async def test_a_person_appearing_offline_is_never_announced(people, group):
    """Ann, appearing offline, opening and closing a tab: Bob hears nothing at all."""
    ann, bob, _ = people
    await sync_to_async(do_update_profile)(ann, display_name="", appear_offline=True)
    bob_socket, _ = await join(bob)
    ann_socket, snapshot = await join(ann)
    assert snapshot["self"]["appear_offline"] is True
    await ann_socket.send_to(text_data=presence_frame("idle"))
    await ann_socket.disconnect()
    assert await heard(bob_socket, within=2.0) == []
    await bob_socket.disconnect()


async def test_a_new_room_member_and_the_room_learn_each_others_presence(people, group, make_room):
    """Cat added to a room with Ann: her socket gets a snapshot with Ann in it, and Ann hears
    that Cat is online."""
    ann, _, cat = people
    ann_socket, _ = await join(ann)
    cat_socket, snapshot = await join(cat)
    assert snapshot["users"] == {}
    await sync_to_async(make_room)(ann, kind=RoomKind.GROUP, members=(cat,))
    snapshot = await receive_type(cat_socket, "presence.snapshot")
    assert snapshot["users"] == {str(ann.pk): "online"}
    event = await next_presence(ann_socket)
    assert (event["user_id"], event["state"]) == (cat.pk, "online")
    await ann_socket.disconnect()
    await cat_socket.disconnect()


@pytest.mark.parametrize("frame", [{"state": "away"}, {"state": 1}, {}])
async def test_a_bad_presence_frame_is_refused(people, frame):
    ann, _, _ = people
    socket = await open_socket(ann)
    await socket.send_to(text_data=json.dumps({"type": "presence", "ref": "p", **frame}))
    error = await receive_type(socket, "error")
    assert (error["ref"], error["code"]) == ("p", "invalid")
    await socket.disconnect()


async def test_a_socket_entry_not_refreshed_stops_counting(people, monkeypatch):
    """A socket whose process died (no refresh, no disconnect) counts until its entry's TTL,
    then no more: its person is away if an idle tab is left (and the dead entry is dropped
    from their record), offline when none is."""
    ann, bob, _ = people
    clock = [time.time()]
    monkeypatch.setattr(presence.time, "time", lambda: clock[0])
    ttl = presence.entry_ttl()
    assert await presence.set_socket_state(ann.pk, "dead.channel", "active") == "online"
    await presence.set_socket_state(bob.pk, "dead.channel2", "active")
    clock[0] += ttl / 2
    assert await presence.set_socket_state(ann.pk, "live.channel", "idle") == "online"
    assert await presence.get_states([(ann.pk, False)]) == {ann.pk: "online"}
    clock[0] += ttl / 2 + 1  # the dead socket's entry expired, the live one's not yet
    assert await presence.set_socket_state(ann.pk, "live.channel", "idle") == "away"
    assert await presence.get_states([(ann.pk, False), (bob.pk, False)]) == {
        ann.pk: "away",
        bob.pk: "offline",
    }
    assert set(await cache.aget(f"presence:{ann.pk}")) == {"live.channel"}


def test_an_expired_entry_does_not_count_in_the_aggregate():
    """Of a person's entries only those not yet expired make their state."""
    entries = {"dead": ["active", 100.0], "live": ["idle", 200.0]}
    assert presence.aggregate(entries, 150.0) == "away"
    assert presence.aggregate(entries, 50.0) == "online"
    assert presence.aggregate(entries, 250.0) == "offline"


async def test_a_socket_refreshes_its_entry(people, group, settings):
    """The digest loop rewrites a socket's entry: it stays counted past its first TTL."""
    ann, _, _ = people
    ann_socket, _ = await join(ann)
    first = (await sync_to_async(cache.get)(f"presence:{ann.pk}")).copy()
    for _ in range(50):  # digests every 2 s in the tests
        await asyncio.sleep(0.1)
        now = await sync_to_async(cache.get)(f"presence:{ann.pk}")
        if now != first:
            break
    [(state, expires)] = now.values()
    [(_, first_expires)] = first.values()
    assert state == "active" and expires > first_expires
    await ann_socket.disconnect()
