"""The legal clock at work: extensions, and the sweep's reminders, escalations, closings and
purges, each sent exactly once (issue: the legal clock)."""

import threading
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection

from core import legal_clock
from core.sweep import sweep_run
from inventory.models import Category
from registry.models import PersonalRecord
from requests_app.models import (
    AgentDocument,
    DeadlineNotice,
    EmailChallenge,
    PrivacyRequest,
    RequestEvent,
    Status,
)
from requests_app.services.deadlines import (
    ExtensionRefused,
    escalations_send,
    reminders_send,
    request_extend,
)
from tests import factories
from tests.request_helpers import deliver_emails, emails_to

LA = ZoneInfo("America/Los_Angeles")
THANKSGIVING_EVE = datetime(2026, 11, 25, 10, tzinfo=LA)  # due 25 December, latest 23 February


def received(when=THANKSGIVING_EVE, **fields):
    return factories.PrivacyRequestFactory(
        received_at=when,
        acknowledge_by=legal_clock.acknowledge_by(when),
        due_at=legal_clock.respond_by(when),
        status=fields.pop("status", Status.VERIFIED),
        requester_email=fields.pop("requester_email", "dana@example.com"),
        **fields,
    )


def at(year, month, day, hour=9):
    return datetime(year, month, day, hour, tzinfo=LA)


def sweep_at(instant):
    with time_machine.travel(instant, tick=False):
        sweep_run()
    return deliver_emails()


# --- Extension ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_officer_extends_once_with_a_reason_the_consumer_is_told():
    request = received()
    officer = factories.privacy_officer()

    with time_machine.travel(at(2026, 12, 10)):
        request_extend(
            privacy_request=request,
            actor=officer,
            new_due_date=date(2027, 2, 23),
            reason="Your records are held in several systems.",
        )

    request.refresh_from_db()
    assert request.extended_due_at == legal_clock.end_of_day(date(2027, 2, 23))
    (told,) = emails_to("dana@example.com")
    assert "Your records are held in several systems." in told.body
    assert "23 February 2027" in told.body
    event = request.events.get(kind=RequestEvent.Kind.EXTENDED)
    assert event.actor == officer
    assert event.visible_to_consumer


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("when", "new_date", "reason", "message"),
    [
        (at(2026, 12, 10), date(2027, 2, 24), "Busy", "at most 90 days from receipt: 23 February"),
        (at(2026, 12, 10), date(2026, 12, 20), "Busy", "must be after 25 December 2026"),
        (at(2026, 12, 10), date(2027, 1, 20), "   ", "Give the reason for the extension"),
        (at(2026, 12, 26), date(2027, 1, 20), "Busy", "The first due date has passed"),
    ],
)
def test_an_extension_that_breaks_a_rule_is_refused_with_a_clear_message(
    when, new_date, reason, message
):
    request = received()

    with time_machine.travel(when), pytest.raises(ExtensionRefused, match=message):
        request_extend(privacy_request=request, actor=None, new_due_date=new_date, reason=reason)

    request.refresh_from_db()
    assert request.extended_due_at is None


@pytest.mark.django_db
def test_a_request_is_extended_only_once():
    request = received()
    with time_machine.travel(at(2026, 12, 10)):
        request_extend(
            privacy_request=request, actor=None, new_due_date=date(2027, 1, 20), reason="Busy"
        )
        with pytest.raises(ExtensionRefused, match="already extended once"):
            request_extend(
                privacy_request=request, actor=None, new_due_date=date(2027, 2, 1), reason="More"
            )


@pytest.mark.django_db
def test_an_answered_request_cannot_be_extended():
    request = received(status=Status.FULFILLED)

    with time_machine.travel(at(2026, 12, 10)), pytest.raises(ExtensionRefused, match="open"):
        request_extend(
            privacy_request=request, actor=None, new_due_date=date(2027, 1, 20), reason="Busy"
        )


@pytest.mark.django_db
def test_the_database_refuses_an_extension_past_ninety_days():
    from django.db import IntegrityError

    request = received()
    request.extended_due_at = request.received_at + timedelta(days=120)
    request.extension_reason = "Too long"

    with pytest.raises(IntegrityError):
        request.save()


@pytest.mark.django_db
# The marker travels before any fixture, so the officer signs in on 1 December too: a session
# from another day would have expired (the staff idle timeout).
@pytest.mark.time_machine(at(2026, 12, 1))
def test_the_officer_extends_in_the_admin_behind_the_second_factor(officer_client):
    request = received()

    page = officer_client.get(f"/admin/requests_app/privacyrequest/{request.pk}/extend/")
    refused = officer_client.post(
        f"/admin/requests_app/privacyrequest/{request.pk}/extend/",
        {"new_due_date": "2027-03-30", "reason": "Busy"},
    )
    done = officer_client.post(
        f"/admin/requests_app/privacyrequest/{request.pk}/extend/",
        {"new_due_date": "2027-01-20", "reason": "Busy"},
    )

    assert page.status_code == 200
    assert "at most 90 days from receipt" in refused.text
    assert done.status_code == 302
    request.refresh_from_db()
    assert request.extension_reason == "Busy"


# --- Reminders and escalations ------------------------------------------------------------------


@pytest.fixture
def officer(db):
    user = factories.privacy_officer()
    user.email = "officer@example.com"
    user.save()
    return user


def reminders_to(address):
    return [m for m in emails_to(address) if "left: privacy request" in m.subject]


@pytest.mark.django_db
def test_officers_are_reminded_at_ten_five_and_one_days_left(officer):
    request = received()

    sweep_at(at(2026, 12, 14))  # 11 days left: nothing yet
    assert reminders_to("officer@example.com") == []
    for day in (15, 20, 24):  # 10, 5 and 1 days left
        sweep_at(at(2026, 12, day))
        sweep_at(at(2026, 12, day, 15))  # the same day again: nothing new

    subjects = [m.subject for m in reminders_to("officer@example.com")]
    assert subjects == [
        f"10 days left: privacy request {request.reference} is due 25 Dec 2026",
        f"5 days left: privacy request {request.reference} is due 25 Dec 2026",
        f"1 day left: privacy request {request.reference} is due 25 Dec 2026",
    ]


@pytest.mark.django_db
def test_the_ten_day_reminder_goes_out_just_after_midnight_before_the_clocks_go_back(officer):
    # Due 11 November. At 00:30 on 1 November, daylight time, its end is 11 days and half an
    # hour away: the clocks go back an hour in between. Ten local days are left all the same.
    request = received(when=datetime(2026, 10, 12, 10, tzinfo=LA))

    sweep_at(datetime(2026, 11, 1, 0, 30, tzinfo=LA))

    assert [m.subject for m in reminders_to("officer@example.com")] == [
        f"10 days left: privacy request {request.reference} is due 11 Nov 2026"
    ]


@pytest.mark.django_db
def test_the_reminder_goes_to_the_assigned_officer_only(officer):
    other = factories.privacy_officer("other-officer")
    other.email = "other@example.com"
    other.save()
    received(assigned_to=officer)

    sweep_at(at(2026, 12, 15))

    assert len(reminders_to("officer@example.com")) == 1
    assert reminders_to("other@example.com") == []


@pytest.mark.django_db
def test_an_extended_request_is_reminded_against_its_new_date(officer):
    """Due 25 December, extended to 23 February: the first date's thresholds pass unnoticed,
    and nothing is overdue on 26 December; the new date's 10, 5 and 1 days left remind."""
    request = received()
    with time_machine.travel(at(2026, 12, 1)):
        request_extend(
            privacy_request=request, actor=None, new_due_date=date(2027, 2, 23), reason="Busy"
        )

    for day in (15, 20, 24, 26):  # 10, 5 and 1 days before the first date, and after it
        sweep_at(at(2026, 12, day))
    assert reminders_to("officer@example.com") == []
    assert not [m for m in emails_to("officer@example.com") if m.subject.startswith("OVERDUE")]

    sweep_at(at(2027, 2, 12))  # 11 days before the new date: nothing yet
    assert reminders_to("officer@example.com") == []
    for day in (13, 18, 22):  # 10, 5 and 1 days left
        sweep_at(at(2027, 2, day))
        sweep_at(at(2027, 2, day, 15))  # the same day again: nothing new

    subjects = [m.subject for m in reminders_to("officer@example.com")]
    assert subjects == [
        f"10 days left: privacy request {request.reference} is due 23 Feb 2027",
        f"5 days left: privacy request {request.reference} is due 23 Feb 2027",
        f"1 day left: privacy request {request.reference} is due 23 Feb 2027",
    ]
    notices = request.notices.exclude(kind=DeadlineNotice.Kind.ACKNOWLEDGMENT)
    assert list(notices.order_by("sent_at").values_list("kind", "superseded")) == [
        (DeadlineNotice.Kind.REMINDER_10, False),
        (DeadlineNotice.Kind.REMINDER_5, False),
        (DeadlineNotice.Kind.REMINDER_1, False),
    ]


@pytest.mark.django_db
def test_answered_requests_get_no_reminders(officer):
    received(status=Status.FULFILLED)

    sweep_at(at(2026, 12, 24))

    assert reminders_to("officer@example.com") == []


@pytest.mark.django_db
def test_overdue_requests_are_escalated_once_to_officers_and_the_escalation_address(
    officer, settings
):
    settings.ESCALATION_EMAIL = "legal@example.com"
    request = received()

    sweep_at(at(2026, 12, 26))
    sweep_at(at(2026, 12, 27))

    for address in ("officer@example.com", "legal@example.com"):
        overdue = [m for m in emails_to(address) if m.subject.startswith("OVERDUE")]
        assert [m.subject for m in overdue] == [
            f"OVERDUE: privacy request {request.reference} was due 25 Dec 2026"
        ]
    assert request.events.filter(kind=RequestEvent.Kind.ESCALATED).count() == 1


@pytest.mark.django_db
def test_after_three_days_of_downtime_the_sweep_catches_up_once(officer):
    request = received()

    # The last sweep ran with 11 days left; the next, three days later, with 8 left.
    sweep_at(at(2026, 12, 14))
    sweep_at(at(2026, 12, 17))
    sweep_at(
        at(
            2026,
            12,
            17,
            9,
        )
        + timedelta(minutes=5)
    )

    assert len(reminders_to("officer@example.com")) == 1
    assert DeadlineNotice.objects.get(request=request, kind="reminder_10")


@pytest.mark.django_db
def test_a_sweep_after_a_long_outage_sends_only_the_most_urgent_reminder(officer):
    request = received()

    sweep_at(at(2026, 12, 23))  # 2 days left: the 10- and 5-day reminders were missed

    (reminder,) = reminders_to("officer@example.com")
    assert reminder.subject.startswith("2 days left")
    superseded = DeadlineNotice.objects.filter(request=request, superseded=True)
    assert sorted(superseded.values_list("kind", flat=True)) == ["reminder_10"]


def sweep_in_thread(step, instant, barrier, errors):
    try:
        barrier.wait(timeout=30)
        with time_machine.travel(instant, tick=False):
            step(now=instant)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("step", [reminders_send, escalations_send])
def test_two_sweeps_at_once_send_each_notice_once(step):
    officer = factories.privacy_officer()
    officer.email = "officer@example.com"
    officer.save()
    requests = [received(requester_email=f"c{n}@example.com") for n in range(5)]
    instant = at(2026, 12, 15) if step is reminders_send else at(2026, 12, 27)
    barrier = threading.Barrier(2)
    errors: list[str] = []
    threads = [
        threading.Thread(target=sweep_in_thread, args=(step, instant, barrier, errors))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert DeadlineNotice.objects.count() == len(requests)
    with time_machine.travel(instant, tick=False):
        sent = deliver_emails()
    assert len(sent) == len(requests)


# --- Closing and purging -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_request_whose_email_was_never_confirmed_is_closed_after_seven_days():
    request = received(status=Status.EMAIL_UNCONFIRMED)

    sweep_at(at(2026, 12, 2, 9))  # 6 days and 23 hours
    request.refresh_from_db()
    assert request.status == Status.EMAIL_UNCONFIRMED

    sweep_at(at(2026, 12, 2, 11))
    sweep_at(at(2026, 12, 3, 11))
    request.refresh_from_db()
    assert request.status == Status.CLOSED_UNCONFIRMED
    closed = [m for m in emails_to("dana@example.com") if "was closed" in m.subject]
    assert len(closed) == 1


@pytest.mark.django_db
def test_requests_logged_without_acknowledgment_are_acknowledged_once():
    request = received(status=Status.VERIFYING)
    assert request.acknowledged_at is None

    sweep_at(at(2026, 11, 25, 12))
    sweep_at(at(2026, 11, 25, 13))

    request.refresh_from_db()
    assert request.acknowledged_at is not None
    receipts = [m for m in emails_to("dana@example.com") if "We received" in m.subject]
    assert len(receipts) == 1


@pytest.mark.django_db
def test_personal_data_of_requests_answered_24_months_ago_is_erased_keeping_the_record(
    django_capture_on_commit_callbacks,
):
    consumer = factories.consumer()
    request = received(
        status=Status.DENIED,
        denial_reason="not_verified",
        consumer=consumer,
        requester_name="Dana Shopper",
        subject_name="Someone Else",
    )
    PrivacyRequest.objects.filter(pk=request.pk).update(responded_at=at(2026, 12, 1))
    folder = Path(settings.PRIVATE_FILES_ROOT) / "agent-documents"
    folder.mkdir(parents=True)
    (folder / "permission.pdf").write_bytes(b"%PDF-1.4")
    AgentDocument.objects.create(
        request=request,
        stored_name="permission.pdf",
        content_type="application/pdf",
        size=8,
        uploaded_at=at(2026, 11, 25),
    )

    sweep_at(at(2028, 12, 1, 12))  # 24 months to the day: still kept
    request.refresh_from_db()
    assert request.requester_email == "dana@example.com"

    with django_capture_on_commit_callbacks(execute=True):
        sweep_at(at(2028, 12, 2, 12))
        sweep_at(at(2028, 12, 3, 12))

    request.refresh_from_db()
    assert (request.requester_name, request.requester_email, request.subject_name) == ("", "", "")
    assert request.consumer is None
    assert request.personal_data_purged_at is not None
    # The minimal record of 11 CCR 7101 remains.
    assert (request.request_type, request.channel, request.denial_reason) == (
        "know_categories",
        "web",
        "not_verified",
    )
    assert request.received_at and request.responded_at
    assert not (folder / "permission.pdf").exists()
    assert request.events.filter(kind="personal_data_purged").count() == 1


@pytest.mark.django_db
def test_saved_payment_cards_are_purged_after_one_year():
    consumer = factories.consumer()
    card = factories.CategoryFactory.create(slug="credit-card-details", name="Credit cards")
    Category.objects.filter(pk=card.pk).update(retention_days=365)
    old = factories.PersonalRecordFactory.create(
        consumer=consumer, category=card, value="Visa ending 4242", collected_at=at(2025, 11, 24)
    )
    recent = factories.PersonalRecordFactory.create(
        consumer=consumer, category=card, value="Visa ending 1881", collected_at=at(2025, 11, 26)
    )
    name = factories.PersonalRecordFactory.create(consumer=consumer, collected_at=at(2020, 1, 1))

    sweep_at(at(2026, 11, 26, 12))

    remaining = set(PersonalRecord.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {recent.pk, name.pk} <= remaining


@pytest.mark.django_db
def test_expired_codes_are_purged():
    request = received(status=Status.EMAIL_UNCONFIRMED)
    EmailChallenge.objects.create(
        request=request,
        purpose="confirm_email",
        code_hash="x",
        created_at=at(2026, 11, 25),
        expires_at=at(2026, 11, 25, 11),
    )

    sweep_at(at(2026, 11, 27, 12))

    assert not EmailChallenge.objects.exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_reminder_once_through_redis():
    from celery.contrib.testing.worker import start_worker

    from privacy_portal.celery import app
    from tests.test_worker import wait_for

    officer = factories.privacy_officer()
    officer.email = "officer@example.com"
    officer.save()
    received(when=datetime.now(tz=LA) - timedelta(days=20))

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        app.send_task("core.tasks.sweep")
        app.send_task("core.tasks.sweep")
        delivered = wait_for(lambda: any("left: privacy request" in m.subject for m in mail.outbox))
        # Let the second sweep finish before counting.
        wait_for(lambda: False, timeout=2)

    assert delivered
    assert len([m for m in mail.outbox if "left: privacy request" in m.subject]) == 1


@pytest.mark.django_db
def test_a_request_without_an_email_address_stays_pending_acknowledgment_for_staff():
    request = received(status=Status.VERIFYING, requester_email="")

    sweep_at(at(2026, 11, 25, 12))

    request.refresh_from_db()
    assert request.acknowledged_at is None
    assert not DeadlineNotice.objects.filter(request=request).exists()
