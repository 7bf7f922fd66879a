"""Sign-up and the My Account pages (a navigation of sub-pages: profile, password, ...)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts.actions import do_sign_up, do_update_profile
from accounts.forms import ProfileForm, SignUpForm


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("chat:home")
    form = SignUpForm(request.POST or None)
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
