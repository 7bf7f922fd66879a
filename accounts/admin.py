from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from accounts.actions import do_save_account_settings
from accounts.models import AccountSettings, User
from accounts.selectors import get_account_settings


@admin.register(User)
class KeyroomUserAdmin(UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Keyroom", {"fields": ("display_name",)}))
    list_display = ("username", "display_name", "email", "is_staff", "is_active")


@admin.register(AccountSettings)
class AccountSettingsAdmin(admin.ModelAdmin):
    """A single settings row: the list page goes straight to it; no adding or deleting."""

    fields = ("admins_need_two_factor",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        found = get_account_settings()
        if found._state.adding:
            found = do_save_account_settings(found)
        return HttpResponseRedirect(
            reverse("admin:accounts_accountsettings_change", args=[found.pk])
        )

    def save_model(self, request: HttpRequest, obj: AccountSettings, form, change: bool) -> None:
        do_save_account_settings(obj)
