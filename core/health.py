"""The checks behind /healthz: database, broker, and how long ago the sweep last ran."""

from datetime import timedelta

from celery import current_app as celery_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import SweepState
from .sweep import SWEEP_NAME

BROKER_TIMEOUT_SECONDS = 3


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict:
    # The project's Celery app (privacy_portal/celery.py) is the current one once Django has
    # started: core, the bottom layer, reads it from Celery rather than importing the project.
    transport = celery_app.conf.broker_url.split(":", 1)[0]
    try:
        with celery_app.connection_for_write() as conn:
            # One attempt, no retry loop: a health check must answer quickly.
            conn.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:
        return {"ok": False, "transport": transport, "error": type(exc).__name__}
    return {"ok": True, "transport": transport}


def check_sweep(*, now=None) -> dict:
    now = now or timezone.now()
    stale_after = timedelta(
        seconds=settings.SWEEP_INTERVAL_SECONDS * settings.SWEEP_STALE_AFTER_INTERVALS
    )
    try:
        state = SweepState.objects.filter(name=SWEEP_NAME).first()
    except Exception as exc:
        return {"ok": False, "last_run": None, "error": type(exc).__name__}
    last = state.last_finished_at if state else None
    if last is None:
        return {"ok": False, "last_run": None, "error": "the sweep has never run"}
    age = (now - last).total_seconds()
    result = {
        "ok": age <= stale_after.total_seconds(),
        "last_run": last.isoformat(),
        "seconds_ago": int(age),
        "failed_steps": state.last_failed_steps if state else [],
    }
    if not result["ok"]:
        result["error"] = f"no sweep for more than {int(stale_after.total_seconds())} seconds"
    return result


def health_report() -> tuple[bool, dict]:
    checks = {"database": check_database(), "broker": check_broker(), "sweep": check_sweep()}
    healthy = all(check["ok"] for check in checks.values())
    return healthy, {"status": "ok" if healthy else "unhealthy", **checks}
