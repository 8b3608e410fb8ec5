"""Keeps beat's database schedule in step with the settings.

django-celery-beat reads its schedule from the database. After every `migrate` (which
`make run` and the container's start both do) the sweep's entry is created or updated to run
every SWEEP_INTERVAL_SECONDS, so changing the setting and restarting is all it takes.
"""

from django.conf import settings

SWEEP_TASK_NAME = "sweep"
SWEEP_TASK_PATH = "core.tasks.sweep"


def sync_sweep_schedule():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    interval, _ = IntervalSchedule.objects.get_or_create(
        every=settings.SWEEP_INTERVAL_SECONDS, period=IntervalSchedule.SECONDS
    )
    task, created = PeriodicTask.objects.get_or_create(
        name=SWEEP_TASK_NAME,
        defaults={"task": SWEEP_TASK_PATH, "interval": interval, "enabled": True},
    )
    if not created and (task.interval_id != interval.pk or task.task != SWEEP_TASK_PATH):
        task.interval = interval
        task.task = SWEEP_TASK_PATH
        task.enabled = True
        task.save()
    return task


def sync_after_migrate(sender, using="default", **kwargs):
    if using == "default":
        sync_sweep_schedule()
