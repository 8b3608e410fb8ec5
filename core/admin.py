from django.contrib import admin

from .models import OutboundEmail, SweepState


@admin.register(SweepState)
class SweepStateAdmin(admin.ModelAdmin):
    list_display = ("name", "last_started_at", "last_finished_at", "last_duration_ms", "run_count")
    readonly_fields = [f.name for f in SweepState._meta.fields]

    def has_add_permission(self, request):
        return False


# Never shown to anyone: the encrypted codes and tokens, and who holds the send.
HIDDEN_FIELDS = ("secrets_sealed", "claimed_by")
# What an email said: only a holder of core.read_email_body (the privacy officer's role) reads
# it. Even then the codes and link tokens are markers (core.mail): nobody reads a live secret.
BODY_FIELDS = ("body_text", "body_html")
BODY_PERMISSION = "core.read_email_body"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Staff see what was sent and, above all, what failed (state "failed")."""

    list_display = ("created_at", "kind", "to", "subject", "state", "attempts", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("to", "subject", "dedupe_key", "message_id")

    def get_fields(self, request, obj=None):
        hidden = HIDDEN_FIELDS if self.can_read_bodies(request) else HIDDEN_FIELDS + BODY_FIELDS
        return [f.name for f in OutboundEmail._meta.fields if f.name not in hidden]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @staticmethod
    def can_read_bodies(request) -> bool:
        return request.user.has_perm(BODY_PERMISSION)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
