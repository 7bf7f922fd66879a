"""Site-wide protections: Content-Security-Policy, escaping, headers."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_ann(make_user):
    client = Client()
    client.force_login(make_user("ann"))
    return client


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/search/?q=x", "/channels/"])
def test_pages_send_strict_csp(client, client_ann, path):
    """Every page forbids inline and foreign script through the Content-Security-Policy."""
    response = (client if "login" in path else client_ann).get(path)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "object-src 'none'" in policy


def test_pages_have_no_inline_script(client_ann, make_room, make_user):
    """The app shell carries data only in a JSON script element, never in executable script."""
    content = client_ann.get("/").content.decode()
    for tag in content.split("<script")[1:]:
        head = tag.split(">", 1)[0]
        assert "src=" in head or 'type="application/json"' in head, head


def test_message_text_is_escaped_in_search(make_user, make_room, send):
    """Message text is rendered as text: markup in it is escaped, never interpreted."""
    ann = make_user("ann")
    room = make_room(ann)
    send(ann, room, "<img src=x onerror=alert(1)> findme")
    client = Client()
    client.force_login(ann)
    content = client.get("/search/?q=findme").content.decode()
    assert "<img src=x" not in content
    assert "&lt;img src=x onerror=alert(1)&gt; findme" in content


def test_search_leaves_out_encrypted_rooms(make_user, make_room, send):
    """Server search never returns messages of encrypted rooms."""
    from chat.models import Room

    ann = make_user("ann")
    plain, secret = make_room(ann), make_room(ann)
    send(ann, plain, "needle plain")
    send(ann, secret, "needle secret")
    Room.objects.filter(pk=secret.pk).update(encrypted=True)
    client = Client()
    client.force_login(ann)
    content = client.get("/search/?q=needle").content.decode()
    assert "needle plain" in content and "needle secret" not in content


def test_search_only_covers_own_rooms(make_user, make_room, send):
    """Search does not reach into rooms the user does not belong to."""
    ann, bob = make_user("ann"), make_user("bob")
    send(bob, make_room(bob), "needle hidden")
    client = Client()
    client.force_login(ann)
    assert "needle hidden" not in client.get("/search/?q=needle").content.decode()
