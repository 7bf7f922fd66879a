"""Forms of the chat app's pages (My Account -> Notifications)."""

from django import forms

from chat.models import NotificationSettings


class NotificationSettingsForm(forms.ModelForm):
    class Meta:
        model = NotificationSettings
        fields = ["channel_level", "group_level", "dm_level", "sound"]
        labels = {
            "channel_level": "New public channels",
            "group_level": "New private groups",
            "dm_level": "New direct messages",
            "sound": "Play a sound with each notification",
        }
