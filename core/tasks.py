from celery import shared_task

from .sweep import sweep_run


@shared_task(name="core.tasks.sweep")
def sweep():
    """Beat's periodic entry point. Thin on purpose: the work is in core.sweep."""
    return sweep_run()
