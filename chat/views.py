"""HTML pages: the app shell (sidebar + room) and server search. The room itself is drawn by
``static/js/chat/`` from the JSON API and the socket; pages pass config via ``json_script``."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from chat.access import access_room_by_id
from chat.actions import do_update_notification_settings
from chat.checks import check_search_filters
from chat.errors import InvalidInput
from chat.forms import NotificationSettingsForm
from chat.selectors import (
    get_membership,
    get_notification_settings,
    list_members_for_room,
    list_people_in_rooms_of,
    list_rooms_for_user,
    search_messages_for_user,
)
from chat.serializers import serialize_room, serialize_user


def _sidebar(user: User) -> list[dict]:
    return [
        serialize_room(room, viewer=user, members=members or None, membership=membership)
        for room, membership, members in list_rooms_for_user(user)
    ]


def _shell(
    request: HttpRequest,
    template: str,
    *,
    sidebar: list[dict] | None = None,
    status: int = 200,
    **context: object,
) -> HttpResponse:
    user = request.user
    sidebar = _sidebar(user) if sidebar is None else sidebar
    config = {
        "user": serialize_user(user),
        "is_admin": user.is_superuser,
        "csrf_token": get_token(request),
        "socket_url": "/ws/",
        "message_max_chars": settings.KEYROOM_MESSAGE_MAX_CHARS,
        "room": context.get("room_data"),
        "rooms": sidebar,
        "notifications": {"sound": get_notification_settings(user).sound},
        # docs/ARCHITECTURE.md "Presence": how long a tab without input waits to say "idle".
        "presence": {"idle_ms": int(settings.KEYROOM_PRESENCE_IDLE_SECONDS * 1000)},
    }
    return render(
        request, template, {"config": config, "sidebar": sidebar, **context}, status=status
    )


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return _shell(request, "chat/home.html")


@login_required
@require_GET
def room(request: HttpRequest, room_id: int) -> HttpResponse:
    found = access_room_by_id(request.user, room_id)
    membership = get_membership(request.user, found)
    data = serialize_room(
        found,
        viewer=request.user,
        members=list_members_for_room(found),
        is_member=membership is not None,
        membership=membership,
    )
    # Where the "New messages" divider goes when the room opens (null: not a member).
    data["last_read_seq"] = membership.last_read_seq if membership else None
    return _shell(request, "chat/room.html", room=found, room_data=data)


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Server search of plaintext rooms, with the room / person / date filters; the page's JS
    adds this device's results for encrypted rooms (static/js/chat/search_ui.js)."""
    query = request.GET.get("q", "").strip()[:200]
    sidebar = _sidebar(request.user)
    people = list_people_in_rooms_of(request.user)
    context: dict[str, object] = {"query": query, "people": people, "results": []}
    try:
        filters = check_search_filters(
            request.GET,
            room_ids={room["id"] for room in sidebar},
            person_ids={person.pk for person in people},
        )
    except InvalidInput as error:
        context["filter_error"] = error.message
        return _shell(request, "chat/search.html", sidebar=sidebar, status=400, **context)
    context["filters"] = filters
    if query:
        context["results"] = search_messages_for_user(
            request.user,
            query=query,
            room_id=filters.room_id,
            sender_id=filters.sender_id,
            since=filters.since,
            until=filters.until,
        )
    return _shell(request, "chat/search.html", sidebar=sidebar, **context)


@login_required
@require_GET
def browse(request: HttpRequest) -> HttpResponse:
    return _shell(request, "chat/browse.html")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """My Account -> Notifications: the defaults for new rooms and the sound; the browser's
    permission for desktop notifications is asked from this page's button."""
    form = NotificationSettingsForm(
        request.POST or None, instance=get_notification_settings(request.user)
    )
    if request.method == "POST" and form.is_valid():
        do_update_notification_settings(request.user, **form.cleaned_data)
        messages.success(request, "Notification settings saved.")
        return redirect("chat:notifications")
    return render(request, "chat/notifications.html", {"form": form, "section": "notifications"})
