"""E2E events reach open sockets live (no restart, no reload)."""

import pytest
from asgiref.sync import sync_to_async

from e2e.actions import do_save_e2e_settings
from e2e.selectors import get_e2e_settings
from tests.sockets import open_socket, receive_type

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def switch_e2e(enabled: bool) -> None:
    settings = get_e2e_settings()
    settings.enabled = enabled
    do_save_e2e_settings(settings)


async def test_admin_switch_reaches_open_sockets(make_user):
    """Turning E2E on in the admin is pushed at once to every connected browser."""
    socket = await open_socket(await sync_to_async(make_user)())
    await switch_e2e(True)
    event = await receive_type(socket, "e2e.settings")
    assert event["settings"]["enabled"] is True
    await socket.disconnect()


async def test_encrypted_send_over_socket(make_user):
    """``e2e.message.send`` over the socket stores ciphertext and pushes it to the members."""
    import json

    from django.test import Client

    from e2e import crypto
    from e2e.models import E2ESettings
    from tests.e2e.member import Member

    def setup():
        E2ESettings.objects.update_or_create(pk=1, defaults={"enabled": True})
        ann, bob = make_user("ann"), make_user("bob")
        members = []
        for user in (ann, bob):
            client = Client()
            client.force_login(user)

            def call(method, path, body, client=client):
                response = client.generic(
                    method, path, json.dumps(body) if body else "", content_type="application/json"
                )
                return response.status_code, response.json()

            member = Member(user.pk, call)
            member.publish()
            members.append(member)
        a, b = members
        _, body = a.call("POST", "/api/rooms/", {"name": "sock", "invite": [bob.pk]})
        room_id = body["room"]["id"]
        key = crypto.generate_room_key()
        status, body = a.call(
            "POST",
            f"/api/e2e/rooms/{room_id}/encrypt/",
            a.first_key(a.room_uid(room_id), key, [bob.pk]),
        )
        assert status == 200, body
        return ann, bob, a, b, room_id, key.key_id

    ann, bob, a, b, room_id, key_id = await sync_to_async(setup)()
    ann_socket, bob_socket = await open_socket(ann), await open_socket(bob)
    client_id, payload = await sync_to_async(a.encrypt)(room_id, key_id, "over the socket")
    await ann_socket.send_json_to(
        {
            "type": "e2e.message.send",
            "ref": "e1",
            "room_id": room_id,
            "client_id": client_id,
            "payload": payload,
        }
    )
    assert (await receive_type(ann_socket, "ack"))["ref"] == "e1"
    pushed = await receive_type(bob_socket, "message.new")
    await sync_to_async(b.fetch_keys)(room_id)
    assert await sync_to_async(b.decrypt)(pushed["message"]) == "over the socket"
    await ann_socket.disconnect()
    await bob_socket.disconnect()
