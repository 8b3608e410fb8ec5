"""The request workflow's timed work, run by the periodic sweep (core.sweep)."""

from core.sweep import sweep_step

from . import ratelimit
from .services import deadlines


@sweep_step("request acknowledgments")
def acknowledge(*, now):
    return deadlines.acknowledgments_send(now=now)


@sweep_step("deadline reminders")
def remind(*, now):
    return deadlines.reminders_send(now=now)


@sweep_step("overdue escalations")
def escalate(*, now):
    return deadlines.escalations_send(now=now)


@sweep_step("close unconfirmed requests")
def close_unconfirmed(*, now):
    return deadlines.unconfirmed_requests_close(now=now)


@sweep_step("purge answered requests")
def purge_answered(*, now):
    return deadlines.answered_requests_purge(now=now)


@sweep_step("purge verification artefacts")
def purge_artefacts(*, now):
    return deadlines.verification_artefacts_purge(now=now) + ratelimit.purge_old_attempts(now=now)


@sweep_step("purge old history")
def purge_history(*, now):
    """The history is kept 24 months, then purged (11 CCR 7101)."""
    from core import legal_clock

    from .models import RequestEvent

    return RequestEvent.objects.purge_older_than(legal_clock.request_records_purge_before(now))
