from celery import shared_task

from .mail import email_send
from .sweep import sweep_run


@shared_task(name="core.tasks.sweep")
def sweep():
    """Beat's periodic entry point. Thin on purpose: the work is in core.sweep."""
    return sweep_run()


@shared_task(name="core.tasks.send_email")
def send_email(email_id: int):
    """Send one queued email. Failures are recorded on the row and retried by the sweep with
    backoff, so the task itself does not retry."""
    return email_send(email_id=email_id)
