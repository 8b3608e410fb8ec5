"""The sweep sent through the real broker and run by a real Celery worker (not eager mode,
which would hide the broker). Marked `services`: needs REDIS_URL and PostgreSQL; CI runs it."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from core.models import SweepState
from core.sweep import SWEEP_NAME
from privacy_portal.celery import app


def wait_for(condition, *, timeout=30.0):
    """Poll until the worker has done its part; a deadline, not a fixed sleep."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_sweep_sent_through_redis():
    assert app.conf.broker_url.startswith("redis://")

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        app.send_task("core.tasks.sweep")
        ran = wait_for(
            lambda: SweepState.objects.filter(name=SWEEP_NAME, run_count__gte=1).exists()
        )

    assert ran, "the worker did not run the sweep within 30 seconds"
    assert SweepState.objects.get(name=SWEEP_NAME).last_finished_at is not None


@pytest.mark.services
@pytest.mark.django_db
def test_healthz_reports_redis_and_postgresql(client):
    from core.sweep import sweep_run

    sweep_run()
    body = client.get("/healthz").json()

    assert body["database"] == {"ok": True, "vendor": "postgresql"}
    assert body["broker"] == {"ok": True, "transport": "redis"}
