import logging

from celery import shared_task
from celery.signals import worker_ready

from .task_runs import task_leases_release, task_run

logger = logging.getLogger(__name__)


@shared_task(name="fulfilment.tasks.run_system_task")
def run_system_task(task_id: int):
    """Run one automated data-system task. Failures are recorded on the task and retried by
    the sweep (with a cap), so a crashed worker or a dead broker loses nothing. A delivery of
    this task again (its worker died) resumes the run at once (core.leases)."""
    return task_run(task_id=task_id)


@worker_ready.connect
def resume_tasks_the_previous_boot_held(sender=None, **kwargs):
    """A worker that starts again under its name frees the tasks its previous boot was running;
    the sweep core.tasks sends right after runs them (core.leases)."""
    from django.db import connection

    worker_name = getattr(sender, "hostname", "") or ""
    if not worker_name:
        return
    try:
        released = task_leases_release(worker_name=worker_name)
        if released:
            logger.warning("Worker %s restarted: resuming %s tasks", worker_name, released)
    finally:
        connection.close()
