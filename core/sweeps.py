"""The core app's timed work."""

from .idempotency import form_submissions_purge
from .outbox import outbox_send_due
from .sweep import sweep_step


@sweep_step("outbox")
def send_pending_emails(*, now):
    """Emails the broker never delivered to a worker, or whose sending failed, go out here."""
    return outbox_send_due(now=now)


@sweep_step("purge form tokens")
def purge_form_tokens(*, now):
    """Claimed form tokens older than a week (core.idempotency): no one resends a form so late."""
    return form_submissions_purge(now=now)
