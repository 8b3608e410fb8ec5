"""The marketing partners personal information is sold to: each opt-out must reach them within
15 business days (11 CCR 7026(f)); the portal records which partner was told when, gives the
officer their suppression list, and the sweep escalates a notice past its deadline."""

import csv
import hashlib
import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consent.models import ConsentEvent, ConsentSource, PartnerNotice, SaleStatus
from consent.services import preferences_change, sale_opt_in, sale_opt_out
from consent.sweeps import escalate_overdue_partner_notices
from core import legal_clock
from core.sweep import registered_steps, sweep_run
from registry.models import DataSystem
from tests import factories
from tests.consent_factories import (
    adult,
    minor,
    opted_out,
    privacy_officer_with_email,
    sign_in_with_second_factor,
    staff_without_second_factor,
)

pytestmark = pytest.mark.django_db

MONDAY_MORNING = "2026-03-02 10:00 -0800"


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


@pytest.fixture
def officer_client(client):
    return sign_in_with_second_factor(client, privacy_officer_with_email())


def test_an_opt_out_gets_a_notice_to_each_sale_partner_due_in_15_business_days():
    with time_machine.travel(MONDAY_MORNING, tick=False):
        dana = opted_out()

    notice = PartnerNotice.objects.get(consumer=dana)
    assert notice.partner.slug == "marketing-partners"
    assert notice.state == PartnerNotice.State.PENDING
    # Monday 2 March + 15 business days (the day of receipt not counted) = Monday 23 March.
    assert legal_clock.local_date(notice.due_at).isoformat() == "2026-03-23"
    assert notice.due_at == legal_clock.opt_out_effective_by(notice.received_at)


def test_every_configured_sale_partner_gets_its_own_notice(settings):
    DataSystem.objects.create(
        slug="data-coop",
        name="Data co-op",
        kind=DataSystem.Kind.THIRD_PARTY,
        connector=DataSystem.Connector.MANUAL,
    )
    settings.SALE_PARTNER_SYSTEMS = ["marketing-partners", "data-coop"]

    dana = opted_out()

    assert sorted(
        PartnerNotice.objects.filter(consumer=dana).values_list("partner__slug", flat=True)
    ) == [
        "data-coop",
        "marketing-partners",
    ]


def test_a_repeated_opt_out_adds_no_notice():
    dana = opted_out()
    sale_opt_out(consumer=dana, source=ConsentSource.GPC)

    assert PartnerNotice.objects.filter(consumer=dana).count() == 1


def test_the_officer_marks_a_partner_told_and_the_portal_records_who_and_when(officer_client):
    dana = opted_out()
    notice = PartnerNotice.objects.get(consumer=dana)

    with time_machine.travel(MONDAY_MORNING, tick=False):
        response = officer_client.post(
            reverse("admin:consent_partnernotice_changelist"),
            {"action": "mark_told", "_selected_action": [notice.pk]},
        )

    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.state == PartnerNotice.State.TOLD
    assert notice.done_by.username == "officer"
    assert notice.done_at.isoformat() == "2026-03-02T18:00:00+00:00"
    event = ConsentEvent.objects.get(consumer=dana, kind=ConsentEvent.Kind.PARTNER_TOLD)
    assert event.actor == notice.done_by
    assert event.detail == "Marketing partners, opt-out #1"


def test_the_officer_sees_pending_and_overdue_notices(officer_client):
    with time_machine.travel(timezone.now() - timedelta(days=40)):
        opted_out()
    opted_out()
    url = reverse("admin:consent_partnernotice_changelist")

    overdue = officer_client.get(url, {"deadline": "overdue"})
    open_ = officer_client.get(url, {"deadline": "open"})

    assert overdue.status_code == open_.status_code == 200
    assert overdue.context["cl"].result_count == 1
    assert open_.context["cl"].result_count == 1
    assert "Download the do-not-sell suppression list (CSV)" in overdue.text


def test_an_overdue_notice_is_escalated_once_to_every_officer(settings):
    settings.ESCALATION_EMAIL = "privacy-team@example.com"
    privacy_officer_with_email("officer", "officer@example.com")
    factories.care_representative()  # staff, not an officer: not told
    with time_machine.travel(MONDAY_MORNING, tick=False):
        dana = opted_out()
    notice = PartnerNotice.objects.get(consumer=dana)

    with time_machine.travel(notice.due_at - timedelta(minutes=1)):
        assert escalate_overdue_partner_notices(now=timezone.now()) == 0
    with time_machine.travel(notice.due_at + timedelta(minutes=1)):
        sweep_run()
        sweep_run()

    escalations = [m for m in mail.outbox if m.subject.startswith("Overdue")]
    assert sorted(m.to[0] for m in escalations) == [
        "officer@example.com",
        "privacy-team@example.com",
    ]
    message = escalations[0]
    assert message.subject == "Overdue: an opt-out of sale has not reached Marketing partners"
    assert "by 23 March 2026" in message.body
    assert dana.email not in message.body and dana.full_name not in message.body
    notice.refresh_from_db()
    assert notice.escalated_at is not None
    assert notice.state == PartnerNotice.State.PENDING  # still to do: escalation is not doing it
    assert ConsentEvent.objects.filter(kind="partner_escalated").count() == 1


def test_a_notice_told_in_time_is_never_escalated():
    privacy_officer_with_email()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        dana = opted_out()
    notice = PartnerNotice.objects.get(consumer=dana)
    from consent.services import partner_notices_mark_told

    partner_notices_mark_told(notice_ids=[notice.pk], actor=None)

    with time_machine.travel(notice.due_at + timedelta(days=30)):
        sweep_run()

    assert not [m for m in mail.outbox if m.subject.startswith("Overdue")]


def test_allowing_sale_again_withdraws_notices_not_yet_sent():
    dana = opted_out()

    sale_opt_in(
        consumer=dana, authorized_by=SaleStatus.Authorizer.CONSUMER, source=ConsentSource.ACCOUNT
    )

    notice = PartnerNotice.objects.get(consumer=dana)
    assert notice.state == PartnerNotice.State.WITHDRAWN
    with time_machine.travel(notice.due_at + timedelta(days=1)):
        assert escalate_overdue_partner_notices(now=timezone.now()) == 0


def test_the_sweep_has_the_partner_step():
    assert "consent-partner-notices" in registered_steps()


# --- Suppression lists ---------------------------------------------------------------------------


def test_the_suppression_list_holds_only_email_hashes_of_those_who_may_not_be_sold(
    officer_client,
):
    stays = adult(email="sold@example.com")
    left = opted_out(email="Left@Example.com")
    child = minor(14, email="teen@example.com")

    response = officer_client.get(reverse("admin:consent_sale_suppression_list"))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="do-not-sell-')
    rows = read_csv(response)
    assert rows[0] == ["email_sha256"]
    assert sorted(rows[1:]) == sorted([[sha256("left@example.com")], [sha256("teen@example.com")]])
    body = response.content.decode()
    for personal in (stays.email, left.email.lower(), child.email, left.full_name, child.phone):
        assert personal not in body


def test_a_consumer_who_allows_sale_again_leaves_the_suppression_list(officer_client):
    dana = opted_out(email="dana@example.com")
    sale_opt_in(
        consumer=dana, authorized_by=SaleStatus.Authorizer.CONSUMER, source=ConsentSource.ACCOUNT
    )

    rows = read_csv(officer_client.get(reverse("admin:consent_sale_suppression_list")))

    assert rows == [["email_sha256"]]


def test_the_postal_suppression_list_has_the_name_and_address_of_who_said_no_to_post(
    officer_client,
):
    dana = factories.consumer(full_name="Dana Demo", zip_code="94110")
    bob = factories.consumer(full_name="=HYPERLINK(evil)")
    factories.consumer(full_name="Still Mailed")
    for person in (dana, bob):
        preferences_change(
            consumer=person, choices={"postal": False}, source=ConsentSource.PREFERENCES_ACCOUNT
        )

    rows = read_csv(officer_client.get(reverse("admin:consent_postal_suppression_list")))

    assert rows[0] == ["full_name", "address_line1", "address_line2", "city", "state", "zip_code"]
    assert ["Dana Demo", "742 Sample Lane", "", "San Francisco", "CA", "94110"] in rows
    # A spreadsheet must not run a name as a formula.
    assert ["'=HYPERLINK(evil)", "742 Sample Lane", "", "San Francisco", "CA", "94110"] in rows
    assert all(row[0] != "Still Mailed" for row in rows)


@pytest.mark.parametrize(
    "url_name", ["admin:consent_sale_suppression_list", "admin:consent_postal_suppression_list"]
)
def test_the_suppression_lists_need_staff_with_a_verified_second_factor(client, url_name):
    url = reverse(url_name)

    anonymous = client.get(url)
    client.force_login(staff_without_second_factor())
    no_second_factor = client.get(url)
    client.logout()
    client.force_login(factories.outsider())
    not_staff = client.get(url)

    for response in (anonymous, no_second_factor, not_staff):
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_record_an_opt_out_taken_by_phone(officer_client):
    dana = adult()

    officer_client.post(
        reverse("admin:consent_salestatus_changelist"),
        {"action": "record_opt_out", "_selected_action": [dana.sale_status.pk]},
    )

    status = SaleStatus.objects.get(consumer=dana)
    assert status.state == SaleStatus.State.OPTED_OUT
    assert status.source == ConsentSource.STAFF
    event = ConsentEvent.objects.get(consumer=dana, kind="opted_out")
    assert event.actor.username == "officer"


def test_the_officer_sees_who_may_be_sold(officer_client):
    adult(full_name="Sold Sam")
    opted_out(full_name="Opted Olga")

    response = officer_client.get(reverse("admin:consent_salestatus_changelist"))

    assert response.status_code == 200
    assert "Sold Sam" in response.text and "Opted Olga" in response.text
    assert 'alt="True"' in response.text and 'alt="False"' in response.text


def test_the_consent_history_cannot_be_edited_or_deleted():
    opted_out()
    event = ConsentEvent.objects.get()

    event.detail = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
