from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    """What the other apps share: the periodic sweep, its heartbeat, /healthz and the base pages."""

    name = "core"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        from . import schedule

        # Each app declares its timed work in a `sweeps` module; importing registers the steps.
        autodiscover_modules("sweeps")
        post_migrate.connect(schedule.sync_after_migrate, sender=self)
        _make_filesystem_broker_folders()


def _make_filesystem_broker_folders():
    """kombu's filesystem transport (the development broker) needs its folders to exist."""
    from pathlib import Path

    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            Path(str(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key])).mkdir(
                parents=True, exist_ok=True
            )
