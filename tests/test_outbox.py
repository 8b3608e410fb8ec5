"""The outbox: emails are stored with the change that causes them and sent exactly once, even
when the broker is down or two senders race."""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from core.mail import MAX_ATTEMPTS, email_queue, email_send, outbox_send_due
from core.models import OutboundEmail
from core.sweep import sweep_run

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_templates")]


def queue_example(**overrides):
    arguments: dict = {
        "to": "dana@example.com",
        "template": "example",
        "context": {"name": "Dana", "reference": "PR-2026-000001"},
        "kind": "request.received",
        "dedupe_key": "request:1:received",
    }
    arguments.update(overrides)
    return email_queue(**arguments)


def test_a_queued_email_is_sent_once_the_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue_example()
        assert mail.outbox == []  # nothing leaves before commit

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["dana@example.com"]
    assert message.subject == "Your request PR-2026-000001"
    assert "Hello Dana," in message.body
    assert message.alternatives[0][1] == "text/html"  # type: ignore[attr-defined]
    assert OutboundEmail.objects.get().state == OutboundEmail.State.SENT


def test_an_email_of_a_rolled_back_change_is_never_sent(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue_example()
        raise RuntimeError("the change failed")

    assert mail.outbox == []
    assert not OutboundEmail.objects.exists()


def test_the_same_notice_is_queued_only_once():
    first = queue_example()
    second = queue_example()

    assert first is not None
    assert second is None
    assert OutboundEmail.objects.count() == 1


@pytest.mark.usefixtures("broker_unreachable")
def test_with_the_broker_down_the_email_waits_and_the_sweep_sends_it(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_example()  # must not raise: the page that queued it still renders

    assert mail.outbox == []
    assert OutboundEmail.objects.get().state == OutboundEmail.State.PENDING

    sweep_run()

    assert len(mail.outbox) == 1
    assert OutboundEmail.objects.get().state == OutboundEmail.State.SENT


def test_sending_twice_sends_once():
    email = queue_example()

    assert email_send(email_id=email.pk) is True
    assert email_send(email_id=email.pk) is False
    outbox_send_due(now=timezone.now())

    assert len(mail.outbox) == 1


def test_an_email_claimed_by_another_sender_is_left_alone():
    email = queue_example()
    OutboundEmail.objects.filter(pk=email.pk).update(
        claimed_until=timezone.now() + timedelta(minutes=5)
    )

    assert email_send(email_id=email.pk) is False
    assert mail.outbox == []


def test_a_claim_left_by_a_crashed_sender_expires_and_the_email_goes_out():
    email = queue_example()
    OutboundEmail.objects.filter(pk=email.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )

    assert email_send(email_id=email.pk) is True


def test_a_failed_send_is_retried_with_backoff_and_recorded(monkeypatch):
    email = queue_example()

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    assert email_send(email_id=email.pk) is False
    email.refresh_from_db()
    assert email.attempts == 1
    assert "SMTP server down" in email.last_error
    assert email.next_attempt_at > timezone.now()

    # Not due yet: the sweep leaves it.
    assert outbox_send_due(now=timezone.now()) == 0

    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert outbox_send_due(now=timezone.now()) == 1
    assert len(mail.outbox) == 1


def test_an_email_that_keeps_failing_is_marked_failed_for_staff(monkeypatch):
    email = queue_example()
    OutboundEmail.objects.filter(pk=email.pk).update(attempts=MAX_ATTEMPTS - 1)

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    email_send(email_id=email.pk)

    assert OutboundEmail.objects.get(pk=email.pk).state == OutboundEmail.State.FAILED


def test_a_sweep_after_days_of_downtime_sends_each_pending_email_once():
    for number in range(3):
        queue_example(dedupe_key=f"request:{number}:received")

    with time_machine.travel(timezone.now() + timedelta(days=3)):
        sweep_run()
        sweep_run()

    assert len(mail.outbox) == 3
