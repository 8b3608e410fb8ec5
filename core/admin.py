from django.contrib import admin

from .models import OutboundEmail, SweepState


@admin.register(SweepState)
class SweepStateAdmin(admin.ModelAdmin):
    list_display = ("name", "last_started_at", "last_finished_at", "last_duration_ms", "run_count")
    readonly_fields = [f.name for f in SweepState._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Staff see what was sent and, above all, what failed (state "failed")."""

    list_display = ("created_at", "kind", "to", "subject", "state", "attempts", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("to", "subject", "dedupe_key")
    readonly_fields = [f.name for f in OutboundEmail._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
