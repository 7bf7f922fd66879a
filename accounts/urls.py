from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="accounts/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", views.log_out, name="logout"),
    path("account/", views.profile, name="profile"),
    path(
        "account/password/",
        views.PasswordChange.as_view(success_url=reverse_lazy("accounts:password_done")),
        name="password",
    ),
    path("account/password/done/", views.password_done, name="password_done"),
    path("account/sessions/", views.sessions, name="sessions"),
    path("account/sessions/<int:record_id>/end/", views.end_session, name="end_session"),
    path("account/sessions/end-others/", views.end_other_sessions, name="end_other_sessions"),
]
