"""Fulfilment's timed work."""

from core.sweep import sweep_step

from . import services


@sweep_step("fulfilment retries")
def retry_tasks(*, now):
    return services.failed_tasks_retry(now=now)


@sweep_step("overdue data-system tasks")
def escalate_tasks(*, now):
    return services.overdue_manual_tasks_escalate(now=now)


@sweep_step("expired answer files")
def remove_expired_files(*, now):
    return services.expired_exports_remove(now=now)
