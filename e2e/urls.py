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
]
