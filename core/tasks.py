import logging

from celery import shared_task
from celery.signals import worker_init, worker_ready

from . import leases
from .outbox import email_send, outbox_claims_release
from .sweep import sweep_run

logger = logging.getLogger(__name__)


@shared_task(name="core.tasks.sweep")
def sweep():
    """Beat's periodic entry point. Thin on purpose: the work is in core.sweep."""
    return sweep_run()


@shared_task(name="core.tasks.send_email")
def send_email(email_id: int):
    """Send one queued email. Failures are recorded on the row and retried by the sweep with
    backoff, so the task itself does not retry."""
    return email_send(email_id=email_id)


@worker_init.connect
def _new_boot_before_the_pool_forks(sender=None, **kwargs):
    """One boot id per worker start, shared by its pool processes (core.leases)."""
    leases.new_boot()


@worker_ready.connect
def resume_what_the_previous_boot_held(sender=None, **kwargs):
    """A worker that starts again under its name proves its previous boot dead: free the
    emails that boot was sending (fulfilment.tasks frees its tasks), and sweep at once, so they
    go out now rather than when their claims expire (a SIGKILLed worker's tasks come back from
    Redis only after the visibility timeout, an hour)."""
    from django.db import connection

    worker_name = getattr(sender, "hostname", "") or ""
    if not worker_name:
        return
    try:
        emails = outbox_claims_release(worker_name=worker_name)
        if emails:
            logger.warning("Worker %s restarted: resuming %s emails", worker_name, emails)
    finally:
        # The pool's processes have their own connections; the main process keeps none open.
        connection.close()
    try:
        sweep.apply_async(retry=False)
    except Exception:
        logger.warning("Broker unavailable; the sweep will run when beat sends it")
