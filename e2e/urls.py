from django.urls import path

from e2e import api, views

app_name = "e2e"
urlpatterns = [
    path("accounts/account/encryption/", views.encryption, name="encryption"),
    path("api/e2e/", api.state, name="api_state"),
    path("api/e2e/identity/", api.identity, name="api_identity"),
    path("api/e2e/backup/", api.backup, name="api_backup"),
    path("api/e2e/password-saved/", api.password_saved, name="api_password_saved"),
    path("api/e2e/reset/", api.reset, name="api_reset"),
    path("api/e2e/identities/", api.identities, name="api_identities"),
    path("api/e2e/rooms/", api.rooms, name="api_rooms"),
    path("api/e2e/dms/", api.dms, name="api_dms"),
    path("api/e2e/rooms/<int:room_id>/encrypt/", api.encrypt_room, name="api_encrypt_room"),
    path("api/e2e/rooms/<int:room_id>/keys/", api.room_keys, name="api_room_keys"),
    path("api/e2e/rooms/<int:room_id>/messages/", api.room_messages, name="api_room_messages"),
    path("api/e2e/messages/<int:message_id>/", api.message, name="api_message"),
]
