"""The sweep's heartbeat, beat's schedule, and what /healthz reports."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core import sweep as sweep_module
from core.models import SweepState
from core.schedule import sync_sweep_schedule
from core.sweep import sweep_run

pytestmark = pytest.mark.django_db


def test_healthz_is_ok_after_a_recent_sweep(client):
    sweep_run()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is True
    assert body["sweep"]["ok"] is True
    assert body["sweep"]["last_run"]


def test_healthz_is_unavailable_before_any_sweep(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["sweep"] == {
        "ok": False,
        "last_run": None,
        "error": "the sweep has never run",
    }


def test_healthz_turns_unavailable_when_the_sweep_is_older_than_three_intervals(client, settings):
    settings.SWEEP_INTERVAL_SECONDS = 300
    sweep_run()

    with time_machine.travel(timezone.now() + timedelta(seconds=3 * 300 - 5)):
        assert client.get("/healthz").status_code == 200
    with time_machine.travel(timezone.now() + timedelta(seconds=3 * 300 + 5)):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["sweep"]["ok"] is False


@pytest.mark.usefixtures("broker_unreachable")
def test_healthz_reports_a_broker_that_cannot_be_reached(client):
    sweep_run()

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["database"]["ok"] is True


def test_healthz_is_never_cached(client):
    sweep_run()
    assert "no-cache" in client.get("/healthz")["Cache-Control"]


def test_sweep_records_when_it_ran_and_counts_runs():
    with time_machine.travel("2026-11-25 10:00:00Z", tick=False):
        sweep_run()
        sweep_run()

    state = SweepState.objects.get(name="sweep")
    assert state.run_count == 2
    assert state.last_finished_at == timezone.now().replace(
        year=2026, month=11, day=25, hour=10, minute=0, second=0, microsecond=0
    )


def test_a_failing_sweep_step_does_not_stop_the_others(monkeypatch):
    calls = []

    def broken(*, now):
        raise RuntimeError("partner API down")

    def working(*, now):
        calls.append(now)

    monkeypatch.setattr(sweep_module, "_steps", {"broken": broken, "working": working})

    failed = sweep_run()

    assert failed == ["broken"]
    assert len(calls) == 1
    assert SweepState.objects.get(name="sweep").last_failed_steps == ["broken"]


def test_a_step_failing_in_the_database_stops_neither_the_others_nor_the_heartbeat(monkeypatch):
    """Inside a transaction, as every test's sweep runs, a step's database error aborts the
    whole transaction on PostgreSQL unless the step had a savepoint: the later steps, the
    heartbeat and /healthz's own query then fail with it (what made
    test_healthz_reports_a_broker_that_cannot_be_reached fail once on PostgreSQL)."""
    from django.db import IntegrityError

    calls = []

    def broken_in_the_database(*, now):
        SweepState.objects.create(name="twice")
        try:
            SweepState.objects.create(name="twice")  # unique violation: the database refuses
        except IntegrityError as refused:
            raise RuntimeError("a step's write was refused") from refused

    def working(*, now):
        calls.append(SweepState.objects.count())

    monkeypatch.setattr(
        sweep_module, "_steps", {"broken": broken_in_the_database, "working": working}
    )

    assert sweep_run() == ["broken"]
    assert len(calls) == 1
    assert SweepState.objects.get(name="sweep").last_failed_steps == ["broken"]
    assert not SweepState.objects.filter(name="twice").exists()  # the step's own writes undone


def test_two_steps_with_the_same_name_are_refused(monkeypatch):
    monkeypatch.setattr(sweep_module, "_steps", {})
    sweep_module.sweep_step("twice")(lambda *, now: None)

    with pytest.raises(ValueError, match="twice"):
        sweep_module.sweep_step("twice")(lambda *, now: None)


def test_migrate_puts_the_sweep_on_beats_schedule_every_interval():
    # pytest-django's test database was built by `migrate`, whose post_migrate hook ran.
    task = PeriodicTask.objects.get(name="sweep")

    assert task.task == "core.tasks.sweep"
    assert task.enabled
    assert task.interval.every == 300
    assert task.interval.period == "seconds"


def test_changing_the_interval_setting_updates_the_schedule(settings):
    settings.SWEEP_INTERVAL_SECONDS = 60

    sync_sweep_schedule()
    sync_sweep_schedule()

    assert PeriodicTask.objects.filter(name="sweep").count() == 1
    assert PeriodicTask.objects.get(name="sweep").interval.every == 60


def test_beat_sends_a_sweep_as_soon_as_it_starts():
    from privacy_portal.celery import sweep_when_beat_starts

    sent = []

    class FakeApp:
        def send_task(self, name, *args, **kwargs):
            sent.append(name)

    class FakeBeatService:
        app = FakeApp()

    sweep_when_beat_starts(sender=FakeBeatService())

    assert sent == ["core.tasks.sweep"]


def test_the_sweep_command_runs_the_sweep(capsys):
    from django.core.management import call_command

    call_command("sweep")

    assert "Sweep finished." in capsys.readouterr().out
    assert SweepState.objects.get(name="sweep").run_count == 1


def test_celery_is_configured_so_a_crashed_worker_loses_no_task(settings):
    from privacy_portal.celery import app

    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_soft_time_limit < app.conf.task_time_limit
    # Redis re-delivers an unacknowledged task after the visibility timeout: it must outlast
    # the longest task, or a slow task would run twice.
    assert settings.REDIS_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > app.conf.task_time_limit


def test_every_timed_job_is_a_registered_sweep_step():
    from core.sweep import registered_steps

    assert {
        "outbox",
        "request acknowledgments",
        "deadline reminders",
        "overdue escalations",
        "close unconfirmed requests",
        "purge answered requests",
        "purge verification artefacts",
        "retention purge",
    } <= set(registered_steps())
