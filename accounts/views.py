"""Sign-up, log-in and the My Account pages (a navigation of sub-pages: profile, password, ...)."""

import base64
import math
import time
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django_otp.qr import write_qrcode_image

from accounts.access import access_session_by_id, access_token_by_id
from accounts.actions import (
    WRONG_CODE,
    do_confirm_two_factor,
    do_count_failed_login,
    do_create_token,
    do_end_other_sessions,
    do_end_session,
    do_end_sessions_after_password_change,
    do_regenerate_recovery_codes,
    do_revoke_token,
    do_sign_up,
    do_start_two_factor_setup,
    do_turn_off_two_factor,
    do_update_profile,
)
from accounts.checks import check_sign_up_rate, check_two_factor_code, get_lockout_end
from accounts.forms import (
    ProfileForm,
    SignUpForm,
    TokenForm,
    TwoFactorCodeForm,
    TwoFactorOffForm,
    TwoFactorSetupForm,
)
from accounts.models import User
from accounts.selectors import (
    count_recovery_codes_for_user,
    get_account_settings,
    get_pending_totp_for_user,
    has_two_factor,
    list_sessions_for_user,
    list_tokens_for_user,
)


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
        do_update_profile(
            request.user,
            display_name=form.cleaned_data["display_name"],
            appear_offline=form.cleaned_data["appear_offline"],
        )
        messages.success(request, "Profile saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form, "section": "profile"})


# In the (still anonymous) session between a login's right password and its code.
_PENDING = "_keyroom_two_factor_login"


class LogIn(auth_views.LoginView):
    """The password; for a person with two-factor login on, then the code (``log_in_code``).

    Nobody is logged in on the password alone: the session only remembers, for a few minutes,
    whose password was right and where to go next.
    """

    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if not has_two_factor(user):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[_PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "auth_hash": user.get_session_auth_hash(),
            "next": self.get_success_url(),
            "until": time.time() + settings.KEYROOM_TWO_FACTOR_STEP_SECONDS,
        }
        return redirect("accounts:login_code")


def _pending_login(request: HttpRequest) -> tuple[User, dict] | None:
    """Return the person whose password was just right in this session and the login's data,
    if that was recent and their password has not changed since."""
    pending = request.session.get(_PENDING)
    if not isinstance(pending, dict) or pending.get("until", 0) < time.time():
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or user.get_session_auth_hash() != pending["auth_hash"]:
        return None
    return user, pending


@never_cache
@require_http_methods(["GET", "POST"])
def log_in_code(request: HttpRequest) -> HttpResponse:
    """The second step of a login: a code from the app, or a recovery code (used up)."""
    found = _pending_login(request)
    if found is None:
        request.session.pop(_PENDING, None)
        messages.info(request, "Log in again: the login took too long or was not started.")
        return redirect("accounts:login")
    user, pending = found
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        request.session.pop(_PENDING, None)
        return locked_out(request, credentials=credentials)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if check_two_factor_code(user, code=form.cleaned_data["code"]):
            request.session.pop(_PENDING, None)
            login(request, user, backend=pending["backend"])
            if count_recovery_codes_for_user(user) <= 2:
                messages.warning(
                    request,
                    "You have few recovery codes left: make new ones in My Account → Two-factor.",
                )
            return redirect(pending["next"])
        do_count_failed_login(request, username=user.get_username())
        form.add_error("code", WRONG_CODE)
    return render(request, "accounts/login_code.html", {"form": form})


class PasswordChange(auth_views.PasswordChangeView):
    """Change the login password; every other session of the person is logged out at once."""

    template_name = "accounts/password.html"
    extra_context = {"section": "password"}

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key or ""
        response = super().form_valid(form)  # saves; keeps this session (with a new key)
        ended = do_end_sessions_after_password_change(
            self.request.user,
            old_session_key=old_key,
            new_session_key=self.request.session.session_key or "",
        )
        if ended:
            messages.info(
                self.request,
                f"{ended} other session{'s were' if ended > 1 else ' was'} logged out.",
            )
        return response


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


def _two_factor_page(request: HttpRequest, **context: object) -> HttpResponse:
    user = request.user
    return render(
        request,
        "accounts/two_factor.html",
        {
            "section": "two_factor",
            "enabled": has_two_factor(user),
            "left": count_recovery_codes_for_user(user),
            "required": user.is_staff and get_account_settings().admins_need_two_factor,
            **context,
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """My Account -> Two-factor: whether it is on, and the ways to set it up or turn it off."""
    return _two_factor_page(
        request, code_form=TwoFactorCodeForm(), off_form=TwoFactorOffForm(auto_id="off_%s")
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """A new secret (POST makes it), shown as a QR code and as text; a code confirms it."""
    user = request.user
    if request.method == "POST" and "code" not in request.POST:
        try:
            do_start_two_factor_setup(user)
        except ValidationError as error:
            messages.error(request, error.messages[0])
            return redirect("accounts:two_factor")
        return redirect("accounts:two_factor_setup")
    pending = get_pending_totp_for_user(user)
    if pending is None:
        return redirect("accounts:two_factor")
    form = TwoFactorSetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = do_confirm_two_factor(
                user, code=form.cleaned_data["code"], keep_session_key=request.session.session_key
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(
                request, "Two-factor login is on. Your other sessions were logged out."
            )
            return _two_factor_page(request, new_codes=codes)
    secret = base64.b32encode(pending.bin_key).decode()
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "section": "two_factor",
            "form": form,
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        },
    )


@login_required
@never_cache
@require_http_methods(["GET"])
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The secret being set up as a QR code (SVG) for the authenticator app to scan."""
    pending = get_pending_totp_for_user(request.user)
    if pending is None:
        raise Http404("No secret is being set up.")
    response = HttpResponse(content_type="image/svg+xml")
    write_qrcode_image(pending.config_url, response)
    return response


@login_required
@never_cache
@require_http_methods(["POST"])
def two_factor_recovery(request: HttpRequest) -> HttpResponse:
    """New recovery codes for a current code; the old ones stop working."""
    form = TwoFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            codes = do_regenerate_recovery_codes(request.user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
        else:
            messages.success(request, "New recovery codes made: the old ones no longer work.")
            return _two_factor_page(request, new_codes=codes)
    return _two_factor_page(request, code_form=form, off_form=TwoFactorOffForm(auto_id="off_%s"))


@login_required
@never_cache
@require_http_methods(["POST"])
def two_factor_off(request: HttpRequest) -> HttpResponse:
    """Turn two-factor login off: needs the login password and a code. Wrong ones count as
    failed logins (a stolen session must not be a way to guess the password)."""
    form = TwoFactorOffForm(request.POST, auto_id="off_%s")
    if form.is_valid():
        try:
            do_turn_off_two_factor(
                request.user,
                password=form.cleaned_data["password"],
                code=form.cleaned_data["code"],
            )
        except ValidationError as error:
            if error.code in ("wrong_password", "wrong_code"):
                do_count_failed_login(request, username=request.user.get_username())
            form.add_error(None, error)
        else:
            messages.success(request, "Two-factor login is off.")
            return redirect("accounts:two_factor")
    return _two_factor_page(request, code_form=TwoFactorCodeForm(), off_form=form)


def _tokens_page(request: HttpRequest, form: TokenForm, **context: object) -> HttpResponse:
    return render(
        request,
        "accounts/tokens.html",
        {
            "section": "tokens",
            "form": form,
            "tokens": list_tokens_for_user(request.user),
            "now": timezone.now(),
            **context,
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """My Account -> Tokens: the person's tokens; POST makes one and shows its secret once."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = do_create_token(
                request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
            )
        except ValidationError as error:
            form.add_error("name", error)
        else:
            return _tokens_page(request, TokenForm(), new_token=token, new_secret=secret)
    return _tokens_page(request, form)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def revoke_token(request: HttpRequest, token_id: int) -> HttpResponse:
    """GET asks to confirm; POST revokes the token (it stops working at once)."""
    token = access_token_by_id(request.user, token_id)
    if request.method == "POST":
        do_revoke_token(token)
        messages.success(request, f"The token “{token.name}” is revoked.")
        return redirect("accounts:tokens")
    return render(request, "accounts/token_revoke.html", {"section": "tokens", "token": token})
