"""The Celery app. Worker and beat both start from here; beat reads its schedule from the
database (django-celery-beat), where core.schedule keeps the sweep's entry in step with settings."""

import os

from celery import Celery
from celery.signals import beat_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacy_portal.settings")

app = Celery("privacy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@beat_init.connect
def sweep_when_beat_starts(sender, **kwargs):
    """Run one sweep as soon as beat starts instead of waiting a whole interval.

    django-celery-beat counts a new interval entry from now, so without this a freshly started
    portal would report no sweep (and /healthz 503) for the first five minutes, and a portal
    restarted after an outage would wait that long before catching up.
    """
    sender.app.send_task("core.tasks.sweep")
