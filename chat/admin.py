from django.contrib import admin

from chat.models import Membership, Room


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "owner", "encrypted", "created_at")
    list_filter = ("kind", "encrypted")
    search_fields = ("name", "topic")
    raw_id_fields = ("owner",)
    readonly_fields = ("uid", "encrypted", "last_seq", "left_seq", "dm_key")
    inlines = [MembershipInline]
    # Message contents are deliberately not exposed in the admin.
