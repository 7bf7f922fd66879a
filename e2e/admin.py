from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from e2e.actions import do_save_e2e_settings
from e2e.models import E2ESettings, UserIdentity
from e2e.selectors import get_e2e_settings


@admin.register(E2ESettings)
class E2ESettingsAdmin(admin.ModelAdmin):
    """A single settings row: the list page goes straight to it; no adding or deleting."""

    fields = (
        "enabled",
        "encrypt_dms_by_default",
        "encrypt_groups_by_default",
        "rotate_after_days",
        "rotate_after_events",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        found = get_e2e_settings()
        if found._state.adding:
            found = do_save_e2e_settings(found)
        return HttpResponseRedirect(reverse("admin:e2e_e2esettings_change", args=[found.pk]))

    def save_model(self, request: HttpRequest, obj: E2ESettings, form, change: bool) -> None:
        do_save_e2e_settings(obj)


@admin.register(UserIdentity)
class UserIdentityAdmin(admin.ModelAdmin):
    """Read-only view of who has set up keys. Backups are ciphertext and are not shown."""

    list_display = ("user", "generation", "password_saved", "fingerprint", "updated_at")
    fields = ("user", "generation", "password_saved", "fingerprint", "created_at", "updated_at")
    readonly_fields = fields
    search_fields = ("user__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
