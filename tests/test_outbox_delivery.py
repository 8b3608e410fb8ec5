"""How the outbox delivers: one Message-ID per email whatever the attempts, a mail server that
stalls fails the send within EMAIL_TIMEOUT (and the sweep retries it), and a send whose database
connection died before it was recorded is recorded on a fresh connection, not sent again."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from core.mail import email_queue, email_send, outbox_send_due
from core.models import OutboundEmail
from tests.fault_harness import ROOT, SmtpSink, wait_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("email_templates")]


def queue_example(number=1):
    return email_queue(
        to="dana@example.com",
        template="example",
        context={"name": "Dana", "reference": f"PR-2026-00000{number}"},
        kind="request.received",
        dedupe_key=f"request:{number}:received",
    )


def use_smtp(settings, sink):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


def test_every_attempt_of_an_email_carries_the_same_message_id(monkeypatch):
    first, second = queue_example(1), queue_example(2)
    seen = []

    def refuse(self, *args, **kwargs):
        seen.append(self.message()["Message-ID"])
        raise ConnectionRefusedError("SMTP server down")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    email_send(email_id=first.pk)
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        outbox_send_due(now=timezone.now())

    sent = {m.to[0] + m.extra_headers["Message-ID"] for m in mail.outbox}
    assert len(mail.outbox) == 2 and len(sent) == 2
    first.refresh_from_db()
    assert seen == [first.message_id]
    assert [m.extra_headers["Message-ID"] for m in mail.outbox] == [
        first.message_id,
        second.message_id,
    ]
    assert first.message_id != second.message_id
    assert first.message_id.startswith("<") and first.message_id.endswith("@example.com>")


def test_email_timeout_is_a_setting_of_20_seconds_read_from_the_environment():
    script = "import django; django.setup(); from django.conf import settings; "
    script += "print(settings.EMAIL_TIMEOUT)"
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_TIMEOUT"}
    env["DJANGO_SETTINGS_MODULE"] = "privacy_portal.settings"

    def read(**extra):
        done = subprocess.run(  # noqa: S603  (our own interpreter, fixed arguments)
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=env | extra,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout.strip()

    assert read() == "20"
    assert read(EMAIL_TIMEOUT="3") == "3"


def test_a_stalled_mail_server_fails_the_send_within_the_timeout_and_it_is_retried(settings):
    email = queue_example()
    settings.EMAIL_TIMEOUT = 1
    with SmtpSink() as stalled:
        stalled.stalled = True  # accepts the connection, never says a word
        use_smtp(settings, stalled)
        started = time.monotonic()
        sent = email_send(email_id=email.pk)
        elapsed = time.monotonic() - started

    assert sent is False
    assert elapsed < 5, f"the send waited {elapsed:.0f} s on a silent mail server"
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.PENDING
    assert email.attempts == 1
    assert "timed out" in email.last_error
    assert email.next_attempt_at > timezone.now()

    with SmtpSink() as working:
        use_smtp(settings, working)
        assert outbox_send_due(now=timezone.now() + timedelta(minutes=2)) == 1
        assert list(working.count_by_message_id().values()) == [1]


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_send_whose_database_connection_died_is_recorded_on_a_fresh_one_and_not_resent(
    settings,
):
    """The mail server has accepted the message, and the connection that would record it is
    terminated at that moment: the send is recorded anyway, and no later sweep sends it again."""
    email = queue_example()
    assert email is not None
    connection.ensure_connection()
    sender_backend = connection.connection.info.backend_pid

    def terminate_the_senders_connection(message):
        from tests.fault_harness import terminate_backends

        terminate_backends([sender_backend])  # from the sink's thread: its own connection
        connection.close()

    with SmtpSink() as sink:
        use_smtp(settings, sink)
        sink.before_accept = terminate_the_senders_connection
        assert email_send(email_id=email.pk) is True
        sink.before_accept = None
        # Five minutes later the claim would have expired: the sweep must find nothing to do.
        for later in (timedelta(minutes=6), timedelta(days=1)):  # every claim has expired
            with time_machine.travel(timezone.now() + later):
                outbox_send_due(now=timezone.now())
        delivered = wait_for(sink.count_by_message_id, timeout=5)

    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT
    assert delivered == {email.message_id: 1}


# --- Claims whose holder is proven dead (core.leases) --------------------------------------------


def claimed_by(email, claimant, *, minutes=5):
    OutboundEmail.objects.filter(pk=email.pk).update(
        claimed_by=claimant, claimed_until=timezone.now() + timedelta(minutes=minutes)
    )


def test_a_claim_left_by_an_earlier_delivery_of_the_same_task_is_taken_over_at_once(monkeypatch):
    from core import leases

    email = queue_example()
    claimed_by(email, "faults@host/boot1/task-7")

    monkeypatch.setattr(leases, "current_task_id", lambda: "task-8")
    assert email_send(email_id=email.pk) is False  # another task's claim: a send in flight
    monkeypatch.setattr(leases, "current_task_id", lambda: "task-7")
    assert email_send(email_id=email.pk) is True  # the same task back: its first run died

    assert len(mail.outbox) == 1


def test_a_restarted_worker_frees_what_its_previous_boot_held_and_nothing_else():
    from core import leases
    from core.mail import outbox_claims_release

    previous_boot, other_worker, this_boot = queue_example(1), queue_example(2), queue_example(3)
    claimed_by(previous_boot, "faults@host/0ldb00t00000/task-1")
    claimed_by(other_worker, "other@host/0ldb00t00000/task-2")
    claimed_by(this_boot, f"faults@host/{leases.BOOT_ID}/task-3")

    assert outbox_claims_release(worker_name="faults@host") == 1
    assert outbox_send_due(now=timezone.now()) == 1

    assert [m.to for m in mail.outbox] == [["dana@example.com"]]
    previous_boot.refresh_from_db()
    assert previous_boot.state == OutboundEmail.State.SENT
