from django.urls import path, reverse_lazy

from accounts import views

app_name = "accounts"
urlpatterns = [
    path("signup/", views.sign_up, name="signup"),
    path("login/", views.LogIn.as_view(), name="login"),
    path("login/code/", views.log_in_code, name="login_code"),
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
    path("account/tokens/", views.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", views.revoke_token, name="revoke_token"),
    path("account/two-factor/", views.two_factor, name="two_factor"),
    path("account/two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("account/two-factor/qr.svg", views.two_factor_qr, name="two_factor_qr"),
    path("account/two-factor/recovery/", views.two_factor_recovery, name="two_factor_recovery"),
    path("account/two-factor/off/", views.two_factor_off, name="two_factor_off"),
]
