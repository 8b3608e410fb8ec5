from celery import shared_task

from .services import task_run


@shared_task(name="fulfilment.tasks.run_system_task")
def run_system_task(task_id: int):
    """Run one automated data-system task. Failures are recorded on the task and retried by
    the sweep (with a cap), so a crashed worker or a dead broker loses nothing."""
    return task_run(task_id=task_id)
