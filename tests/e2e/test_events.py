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
