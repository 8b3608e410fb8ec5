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


@sweep_step("orphaned answer files")
def remove_orphaned_files(*, now):
    """Answer files left by an export killed mid-run: personal data nothing points to."""
    from .storage import orphan_files_remove

    return orphan_files_remove(now=now)
