from django import forms
from django.contrib.auth.forms import BaseUserCreationForm

from accounts.models import User


class SignUpForm(BaseUserCreationForm):
    """Username, optional display name and a password typed twice."""

    class Meta:
        model = User
        fields = ("username", "display_name")
        help_texts = {"display_name": "Optional. What other people see instead of your username."}


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("display_name", "appear_offline")


def _code_field(label: str = "Code") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=32,
        help_text="The 6 digits your authenticator app shows now, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


class TwoFactorCodeForm(forms.Form):
    """The second step of a login, or a code that proves the person has their app."""

    code = _code_field()


class TwoFactorSetupForm(forms.Form):
    code = forms.CharField(
        label="Code from your app",
        max_length=16,
        help_text="The 6 digits your authenticator app shows for Keyroom now.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class TwoFactorOffForm(forms.Form):
    password = forms.CharField(
        label="Login password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = _code_field()


class TokenForm(forms.Form):
    """A new personal access token: a name and how long it lasts."""

    name = forms.CharField(
        label="Name",
        max_length=80,
        help_text="What will use it, so you can tell your tokens apart (e.g. “Deploy script”).",
    )
    days = forms.TypedChoiceField(
        label="Expires after",
        choices=[(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "365 days")],
        coerce=int,
        initial=30,
    )
