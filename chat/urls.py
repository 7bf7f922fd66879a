from django.urls import path

from chat import views

app_name = "chat"
urlpatterns = [
    path("", views.home, name="home"),
    path("rooms/<int:room_id>/", views.room, name="room"),
    path("search/", views.search, name="search"),
    path("channels/", views.browse, name="browse"),
    path("accounts/account/notifications/", views.notifications, name="notifications"),
]
