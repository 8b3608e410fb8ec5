"""Beat stopped for three days (simulated with time-machine), on PostgreSQL: the catch-up sweep
sends each due notice once, a second sweep sends nothing, and two sweeps at once send each
notice once. Received by a real SMTP server on loopback and counted by Message-ID (issue 10,
proof suite 1c)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from core.models import OutboundEmail
from core.sweep import sweep_run
from requests_app.models import DeadlineNotice, Status
from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.fault_harness import SmtpSink
from tests.staff_helpers import staff_in_role

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("broker_unreachable"),  # no worker: only the sweeps send
]

OUTAGE = timedelta(days=3)


@pytest.fixture
def sink(settings):
    with SmtpSink() as server:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield server


def requests_with_notices_falling_due_during_the_outage(start):
    """One request for each kind of timed notice, each due during the three days beat is
    down: an acknowledgment, the 1-day reminder, an escalation, a closing."""
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    officer.email = "olga@example.com"
    officer.save(update_fields=["email"])

    def request(received_days_ago, **fields):
        return factories.PrivacyRequestFactory.create(
            received_at=start - timedelta(days=received_days_ago),
            acknowledged_at=fields.pop("acknowledged_at", start),
            **fields,
        )

    return {
        "acknowledgment": request(0, status=Status.VERIFYING, acknowledged_at=None),
        "reminder": request(26, status=Status.VERIFYING),  # 1 day left on day 3 (due day 30)
        "escalation": request(29.5, status=Status.VERIFYING),  # overdue by day 3
        "closing": request(5, status=Status.EMAIL_UNCONFIRMED),  # 7 days unconfirmed on day 3
    }


def notices_sent():
    return Counter(DeadlineNotice.objects.filter(superseded=False).values_list("kind", flat=True))


def test_after_three_days_without_beat_each_due_notice_goes_out_once(sink):
    start = timezone.now()
    requests_with_notices_falling_due_during_the_outage(start)

    with time_machine.travel(start + OUTAGE, tick=False):
        sweep_run()  # queues the notices (the worker would send them at once; it is down too)
        sweep_run()  # and its outbox step sends them
        first = sink.count_by_message_id()
        sweep_run()
    second = sink.count_by_message_id()

    assert notices_sent() == {
        DeadlineNotice.Kind.ACKNOWLEDGMENT: 1,
        DeadlineNotice.Kind.REMINDER_1: 1,
        DeadlineNotice.Kind.OVERDUE: 1,
        DeadlineNotice.Kind.CLOSED_UNCONFIRMED: 1,
    }
    kinds = Counter(OutboundEmail.objects.values_list("kind", flat=True))
    assert kinds == {
        "request.received": 1,
        "staff.reminder": 1,
        "staff.overdue": 1,
        "request.closed_unconfirmed": 1,
    }
    assert len(first) == 4 and set(first.values()) == {1}
    assert second == first  # the second sweep sent nothing


def test_two_sweeps_at_once_after_the_outage_send_each_notice_once(sink):
    start = timezone.now()
    requests_with_notices_falling_due_during_the_outage(start)
    both_ready = threading.Barrier(2)
    failures: list[list[str]] = []

    def sweep():
        try:
            both_ready.wait(timeout=10)
            failures.append(sweep_run())
        finally:
            connection.close()

    with time_machine.travel(start + OUTAGE, tick=False):
        for _ in range(2):  # two at once queue the notices, two at once send them
            sweepers = [threading.Thread(target=sweep) for _ in range(2)]
            for sweeper in sweepers:
                sweeper.start()
            for sweeper in sweepers:
                sweeper.join(timeout=120)

    assert failures == [[], [], [], []]
    received = sink.count_by_message_id()
    assert len(received) == 4 and set(received.values()) == {1}
    assert OutboundEmail.objects.filter(state=OutboundEmail.State.SENT).count() == 4
    assert sum(notices_sent().values()) == 4
