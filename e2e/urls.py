from django.urls import path

from e2e import views
from e2e.api import identities, rooms

app_name = "e2e"
urlpatterns = [
    path("accounts/account/encryption/", views.encryption, name="encryption"),
    path("api/e2e/", identities.state, name="api_state"),
    path("api/e2e/identity/", identities.identity, name="api_identity"),
    path("api/e2e/backup/", identities.backup, name="api_backup"),
    path("api/e2e/password-saved/", identities.password_saved, name="api_password_saved"),
    path("api/e2e/reset/", identities.reset, name="api_reset"),
    path("api/e2e/identities/", identities.identities, name="api_identities"),
    path("api/e2e/trust/", identities.trust, name="api_trust"),
    path("api/e2e/rooms/", rooms.rooms, name="api_rooms"),
    path("api/e2e/dms/", rooms.dms, name="api_dms"),
    path("api/e2e/rooms/<int:room_id>/encrypt/", rooms.encrypt_room, name="api_encrypt_room"),
    path("api/e2e/rooms/<int:room_id>/keys/", rooms.room_keys, name="api_room_keys"),
    path("api/e2e/rooms/<int:room_id>/state/", rooms.room_state, name="api_room_state"),
    path("api/e2e/rooms/<int:room_id>/access/", rooms.room_access, name="api_room_access"),
    path("api/e2e/rooms/<int:room_id>/share/", rooms.share_keys, name="api_share_keys"),
    path("api/e2e/rooms/<int:room_id>/members/", rooms.add_members, name="api_add_members"),
    path("api/e2e/rooms/<int:room_id>/rotate/", rooms.rotate, name="api_rotate"),
    path("api/e2e/rooms/<int:room_id>/policy/", rooms.policy, name="api_policy"),
    path("api/e2e/rooms/<int:room_id>/messages/", rooms.room_messages, name="api_room_messages"),
    path("api/e2e/messages/<int:message_id>/", rooms.message, name="api_message"),
]
