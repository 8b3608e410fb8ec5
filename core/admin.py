from django.contrib import admin

from .models import SweepState


@admin.register(SweepState)
class SweepStateAdmin(admin.ModelAdmin):
    list_display = ("name", "last_started_at", "last_finished_at", "last_duration_ms", "run_count")
    readonly_fields = [f.name for f in SweepState._meta.fields]

    def has_add_permission(self, request):
        return False
