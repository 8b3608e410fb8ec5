"""The core app's timed work."""

from .mail import outbox_send_due
from .sweep import sweep_step


@sweep_step("outbox")
def send_pending_emails(*, now):
    """Emails the broker never delivered to a worker, or whose sending failed, go out here."""
    return outbox_send_due(now=now)
