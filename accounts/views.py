"""Sign-up and the My Account pages (a navigation of sub-pages: profile, password, ...)."""

import math

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.access import access_session_by_id
from accounts.actions import do_end_other_sessions, do_end_session, do_sign_up, do_update_profile
from accounts.checks import check_sign_up_rate, get_lockout_end
from accounts.forms import ProfileForm, SignUpForm
from accounts.selectors import list_sessions_for_user


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and (wait := check_sign_up_rate(request)):
        minutes = max(1, math.ceil(wait / 60))
        form.add_error(
            None, f"Too many new accounts from this network. Try again in {minutes} minutes."
        )
        response = render(request, "accounts/signup.html", {"form": form}, status=429)
        response["Retry-After"] = str(math.ceil(wait))
        return response
    if request.method == "POST" and form.is_valid():
        user = do_sign_up(
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
        )
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        if user.is_superuser:
            messages.info(request, "You are the first account here, so you are the administrator.")
        return redirect("chat:home")
    return render(request, "accounts/signup.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        do_update_profile(request.user, display_name=form.cleaned_data["display_name"])
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "section": "profile"})


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "accounts/password.html"
    extra_context = {"section": "password"}


@login_required
def password_done(request: HttpRequest) -> HttpResponse:
    messages.success(request, "Your login password was changed.")
    return redirect("accounts:profile")


def locked_out(
    request: HttpRequest, response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' lockout answer: the login page again (429) saying when to try again."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    until = get_lockout_end(username)
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    form = AuthenticationForm(request, data=request.POST or None)
    form.is_bound = False  # show the form without field errors; the reason is below
    message = (
        "Too many failed logins for this account. For your safety it is locked: try again in "
        f"{minutes} minute{'s' if minutes != 1 else ''}, at {until:%H:%M} UTC."
    )
    response = render(
        request,
        "accounts/login.html",
        {"form": form, "lockout": message, "next": request.POST.get("next", "")},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


@require_http_methods(["POST"])
def log_out(request: HttpRequest) -> HttpResponse:
    """Log out here, and close this session's open sockets in other tabs at once."""
    session_key = request.session.session_key
    user = request.user
    logout(request)
    if user.is_authenticated and session_key:
        do_end_session(user, session_key=session_key)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@require_http_methods(["GET"])
def sessions(request: HttpRequest) -> HttpResponse:
    found = list_sessions_for_user(request.user, current_key=request.session.session_key)
    return render(request, "accounts/sessions.html", {"sessions": found, "section": "sessions"})


@login_required
@require_http_methods(["POST"])
def end_session(request: HttpRequest, record_id: int) -> HttpResponse:
    record = access_session_by_id(request.user, record_id)
    if record.session_key == request.session.session_key:
        return log_out(request)
    do_end_session(request.user, session_key=record.session_key)
    messages.success(request, "That session is logged out.")
    return redirect("accounts:sessions")


@login_required
@require_http_methods(["POST"])
def end_other_sessions(request: HttpRequest) -> HttpResponse:
    ended = do_end_other_sessions(request.user, keep_session_key=request.session.session_key)
    messages.success(
        request, f"Logged out everywhere else ({ended} session{'s' if ended != 1 else ''})."
    )
    return redirect("accounts:sessions")
