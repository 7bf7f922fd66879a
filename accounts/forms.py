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
        fields = ("display_name",)
