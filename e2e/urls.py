from django.urls import path

from e2e import views

app_name = "e2e"
urlpatterns = [
    path("accounts/account/encryption/", views.encryption, name="encryption"),
]
