from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from accounts.actions import do_make_bot, do_revoke_token, do_save_account_settings
from accounts.models import AccessToken, AccountSettings, User
from accounts.selectors import get_account_settings


@admin.register(User)
class KeyroomUserAdmin(UserAdmin):
    """People and bots. Ticking "bot" takes the account's password away (``do_make_bot``)."""

    fieldsets = (*UserAdmin.fieldsets, ("Keyroom", {"fields": ("display_name", "is_bot")}))
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Keyroom", {"fields": ("display_name", "is_bot")}),
    )
    list_display = ("username", "display_name", "email", "is_bot", "is_staff", "is_active")
    list_filter = ("is_bot", *UserAdmin.list_filter)

    def save_model(self, request: HttpRequest, obj: User, form, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.is_bot and obj.has_usable_password():
            do_make_bot(obj)


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    """Personal access tokens (bots' and people's): list and revoke. Nothing here shows a
    secret (only its digest is stored); a bot's token is made with ``manage.py createbot``."""

    list_display = ("name", "user", "prefix", "created", "expires", "last_used", "revoked")
    list_filter = ("user__is_bot", "revoked")
    search_fields = ("name", "prefix", "user__username")
    fields = ("user", "name", "prefix", "created", "expires", "last_used", "revoked")
    readonly_fields = fields
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("accounts.change_accesstoken")

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[AccessToken]) -> None:
        tokens = list(queryset.filter(revoked__isnull=True))
        for token in tokens:
            do_revoke_token(token)
        self.message_user(request, f"{len(tokens)} token(s) revoked.", messages.SUCCESS)


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
