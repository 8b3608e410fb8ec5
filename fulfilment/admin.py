from django.contrib import admin

from .models import SystemTask


@admin.register(SystemTask)
class SystemTaskAdmin(admin.ModelAdmin):
    """Read-only: tasks are worked from the staff request page."""

    list_display = ("request", "data_system", "action", "state", "due_at", "done_at", "done_by")
    list_filter = ("state", "action", "data_system")
    search_fields = ("request__reference",)
    readonly_fields = [f.name for f in SystemTask._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
