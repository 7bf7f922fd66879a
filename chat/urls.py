from django.urls import path

from chat import api, views

app_name = "chat"
urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/<int:room_id>/", views.room, name="room"),
    path("search/", views.search, name="search"),
    path("channels/", views.browse, name="browse"),
    path("accounts/account/notifications/", views.notifications, name="notifications"),
    path("api/rooms/", api.rooms, name="api_rooms"),
    path("api/channels/", api.channels, name="api_channels"),
    path("api/dms/", api.dms, name="api_dms"),
    path("api/people/", api.people, name="api_people"),
    path("api/rooms/<int:room_id>/", api.room, name="api_room"),
    path("api/rooms/<int:room_id>/join/", api.join, name="api_join"),
    path("api/rooms/<int:room_id>/members/", api.members, name="api_members"),
    path("api/rooms/<int:room_id>/members/<int:user_id>/", api.member, name="api_member"),
    path("api/rooms/<int:room_id>/owner/", api.owner, name="api_owner"),
    path("api/rooms/<int:room_id>/messages/", api.messages, name="api_messages"),
    path("api/rooms/<int:room_id>/read/", api.read, name="api_read"),
    path("api/rooms/<int:room_id>/notifications/", api.notifications, name="api_notifications"),
    path("api/messages/<int:message_id>/", api.message, name="api_message"),
]
