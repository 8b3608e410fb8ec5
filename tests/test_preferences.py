"""/preferences/: marketing email, postal marketing and text messages, for a signed-in consumer
or through an emailed one-time link. A change takes effect within 5 business days (the notice,
"Email address"), tracked as a deadline the sweep checks."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from consent.models import (
    ConsentEvent,
    ConsentSource,
    MarketingPreference,
    PreferenceChange,
    PreferencesLink,
)
from consent.services import preferences_change
from consent.sweeps import escalate_overdue_preference_changes
from core import legal_clock
from core.sweep import sweep_run
from tests import factories
from tests.consent_factories import privacy_officer_with_email, sign_in_with_second_factor

pytestmark = pytest.mark.django_db

URL = "/preferences/"
MONDAY_MORNING = "2026-03-02 10:00 -0800"


def choices(**overrides):
    """The form as posted: a checkbox sends "on" when ticked and nothing when not."""
    wanted = {"email": True, "postal": True, "sms": False} | overrides
    return {channel: "on" for channel, ticked in wanted.items() if ticked}


@pytest.fixture
def dana(client):
    person = factories.consumer_with_account(email="dana@example.com")
    client.force_login(person.user)
    return person


def link_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/preferences/link/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


# --- Signed in ------------------------------------------------------------------------------------


def test_a_signed_in_consumer_sees_the_three_channels_with_their_defaults(client, dana):
    response = client.get(URL)

    assert response.status_code == 200
    form = response.context["form"]
    assert [field.label for field in form] == [
        "Offers and news by email",
        "Catalogs and offers by post",
        "Offers by text message",
    ]
    assert form.initial == {"email": True, "postal": True, "sms": False}
    assert "Preferences for <strong>dana@example.com</strong>" in response.text
    assert 'type="password"' not in response.text


def test_a_change_is_tracked_with_a_five_business_day_deadline(client, dana):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        response = client.post(URL, choices(email=False))

    assert response.status_code == 302
    change = PreferenceChange.objects.get()
    assert (change.channel, change.allowed) == ("email", False)
    assert change.source == ConsentSource.PREFERENCES_ACCOUNT
    assert change.data_system.slug == "email-marketing"
    assert change.state == PreferenceChange.State.PENDING
    # Monday 2 March + 5 business days = Monday 9 March, end of day in California.
    assert legal_clock.local_date(change.effective_by).isoformat() == "2026-03-09"
    assert change.effective_by == legal_clock.marketing_preference_effective_by(change.received_at)
    assert MarketingPreference.objects.get(consumer=dana).allowed is False
    event = ConsentEvent.objects.get(consumer=dana)
    assert (event.kind, event.detail) == ("pref_changed", "Marketing email: no")


def test_the_page_says_when_the_change_takes_effect(client, dana):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        client.post(URL, choices(postal=False))
        page = client.get(URL, follow=True)

    assert "Saved. Your changes take effect in all our systems by Monday 9 March 2026" in (
        page.text
    )
    assert "is being applied in all our systems: by Monday 9 March 2026 at the latest" in page.text
    assert page.context["form"].initial["postal"] is False


def test_the_consumer_gets_one_email_listing_the_changes(
    client, dana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, choices(email=False, sms=True))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Your marketing preferences have changed"
    assert "- Marketing email: no" in mail.outbox[0].body
    assert "- Marketing text messages: yes" in mail.outbox[0].body


def test_saving_the_same_choices_changes_nothing(client, dana):
    response = client.post(URL, choices(), follow=True)

    assert "Nothing changed: these were already your choices." in response.text
    assert not PreferenceChange.objects.exists()


def test_a_later_change_supersedes_one_still_pending(client, dana):
    client.post(URL, choices(email=False))
    client.post(URL, choices(email=True))

    states = list(PreferenceChange.objects.order_by("pk").values_list("allowed", "state"))
    assert states == [(False, "superseded"), (True, "pending")]


def test_a_change_to_a_system_the_portal_runs_itself_applies_at_once(client, dana, settings):
    settings.PREFERENCE_CHANNEL_SYSTEMS = {"email": "shop-database"}

    client.post(URL, choices(email=False))

    change = PreferenceChange.objects.get()
    assert change.state == PreferenceChange.State.APPLIED
    assert change.applied_at is not None


def test_unknown_channels_are_refused_by_the_service(dana):
    with pytest.raises(ValueError, match="unknown marketing channels"):
        preferences_change(consumer=dana, choices={"fax": True}, source=ConsentSource.STAFF)


# --- Deadlines ------------------------------------------------------------------------------------


def test_a_change_not_applied_in_time_is_escalated_once(client, dana):
    privacy_officer_with_email()
    with time_machine.travel(MONDAY_MORNING, tick=False):
        client.post(URL, choices(email=False))
    change = PreferenceChange.objects.get()

    with time_machine.travel(change.effective_by - timedelta(minutes=1)):
        assert escalate_overdue_preference_changes(now=timezone.now()) == 0
    with time_machine.travel(change.effective_by + timedelta(minutes=1)):
        sweep_run()
        sweep_run()

    escalations = [m for m in mail.outbox if m.subject.startswith("Overdue")]
    assert len(escalations) == 1
    assert escalations[0].subject == (
        "Overdue: a marketing preference has not been applied in Email marketing service"
    )
    assert "by 9 March 2026" in escalations[0].body
    assert "dana@example.com" not in escalations[0].body
    change.refresh_from_db()
    assert change.escalated_at is not None


def test_staff_mark_a_change_applied_and_it_is_never_escalated(client, dana):
    with time_machine.travel(MONDAY_MORNING, tick=False):
        client.post(URL, choices(email=False))
    change = PreferenceChange.objects.get()
    officer = privacy_officer_with_email()
    client.logout()
    sign_in_with_second_factor(client, officer)

    response = client.post(
        reverse("admin:consent_preferencechange_changelist"),
        {"action": "mark_applied", "_selected_action": [change.pk]},
    )
    with time_machine.travel(change.effective_by + timedelta(days=3)):
        sweep_run()

    assert response.status_code == 302
    change.refresh_from_db()
    assert change.state == PreferenceChange.State.APPLIED
    assert change.applied_by == officer
    assert not [m for m in mail.outbox if m.subject.startswith("Overdue")]
    assert ConsentEvent.objects.filter(kind="pref_applied", actor=officer).count() == 1


def test_staff_see_the_changes_to_apply_with_the_consumers_email(client, dana):
    client.post(URL, choices(email=False))
    client.logout()
    sign_in_with_second_factor(client, privacy_officer_with_email())

    response = client.get(
        reverse("admin:consent_preferencechange_changelist"), {"deadline": "open"}
    )

    assert response.status_code == 200
    assert "dana@example.com" in response.text


# --- Without an account: the emailed link ----------------------------------------------------


def test_a_visitor_is_offered_to_sign_in_or_get_a_link(client):
    response = client.get(URL)

    assert response.status_code == 200
    assert "Get a link by email" in response.text
    assert 'href="/account/sign-in/?next=/preferences/"' in response.text


def test_asking_for_a_link_answers_the_same_whether_or_not_the_address_is_known(
    client, django_capture_on_commit_callbacks
):
    factories.consumer(email="dana@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/preferences/link/", {"email": "Dana@example.com"}, follow=True)
        unknown = client.post("/preferences/link/", {"email": "nobody@example.com"}, follow=True)

    assert known.redirect_chain == unknown.redirect_chain == [("/preferences/link/sent/", 302)]
    assert known.text == unknown.text
    assert [m.to for m in mail.outbox] == [["dana@example.com"]]


def test_the_link_opens_the_preferences_once(client, django_capture_on_commit_callbacks):
    dana = factories.consumer(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/preferences/link/", {"email": "dana@example.com"})
    path = link_path(mail.outbox[0])

    opened = client.get(path)  # opening it (or a mail scanner fetching it) spends nothing
    assert "Open my preferences" in opened.text
    response = client.post(path)
    assert response["Location"] == URL
    page = client.get(URL)
    assert "Preferences for <strong>dana@example.com</strong>" in page.text
    assert "(opened with the link we emailed you)" in page.text
    client.post(URL, choices(sms=True))

    assert PreferenceChange.objects.get().source == ConsentSource.PREFERENCES_LINK
    assert PreferenceChange.objects.get().consumer == dana
    other_browser = client.__class__()
    assert other_browser.post(path).status_code == 404
    assert "This link no longer works" in other_browser.get(path).text


def test_the_link_stores_only_a_hash_of_its_token(client, django_capture_on_commit_callbacks):
    factories.consumer(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/preferences/link/", {"email": "dana@example.com"})
    token = link_path(mail.outbox[0]).split("/")[-2]

    assert not PreferencesLink.objects.filter(token_hash__contains=token).exists()
    assert PreferencesLink.objects.get().token_hash != token


def test_the_link_expires_after_a_day(client, django_capture_on_commit_callbacks):
    factories.consumer(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/preferences/link/", {"email": "dana@example.com"})
    path = link_path(mail.outbox[0])

    with time_machine.travel(timezone.now() + timedelta(hours=25)):
        assert client.post(path).status_code == 404


def test_the_session_a_link_opens_ends_after_half_an_hour(
    client, django_capture_on_commit_callbacks
):
    factories.consumer(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/preferences/link/", {"email": "dana@example.com"})
    client.post(link_path(mail.outbox[0]))

    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = client.get(URL)

    assert "Get a link by email" in response.text


def test_asking_again_within_ten_minutes_sends_no_second_email(
    client, django_capture_on_commit_callbacks
):
    factories.consumer(email="dana@example.com")

    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            client.post("/preferences/link/", {"email": "dana@example.com"})

    assert len(mail.outbox) == 1
    assert PreferencesLink.objects.count() == 1


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your email address."),
        ("dana@", "Enter a complete email address, like name@example.com."),
        ("<b>dana</b>@example.com", "Enter a complete email address, like name@example.com."),
        ("a" * 250 + "@example.com", "That is too long for an email address"),
    ],
)
def test_bad_input_for_a_link_gets_a_clear_message_never_a_500(client, typed, message):
    response = client.post("/preferences/link/", {"email": typed})

    assert response.status_code == 200
    beside_the_field = response.text[response.text.index('id="id_email_error"') :][:300]
    assert message in beside_the_field
    assert "<b>dana</b>" not in response.text


def test_garbage_in_the_preferences_form_is_harmless(client, dana):
    response = client.post(URL, {"email": "<script>", "postal": "x" * 5000, "fax": "on"})

    assert response.status_code == 302
    # A checkbox is ticked or not; anything sent counts as ticked, unknown fields are ignored.
    assert list(PreferenceChange.objects.values_list("channel", "allowed")) == []


def test_a_bad_link_token_is_a_friendly_404(client):
    for path in ("/preferences/link/nonsense/", "/preferences/link/%3Cscript%3E/"):
        response = client.get(path)
        assert response.status_code == 404
        assert "This link no longer works" in response.text


def test_the_sweep_deletes_links_a_day_after_they_expire(
    client, django_capture_on_commit_callbacks
):
    from consent.sweeps import purge_expired_preferences_links

    factories.consumer(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/preferences/link/", {"email": "dana@example.com"})

    with time_machine.travel(timezone.now() + timedelta(hours=47)):
        assert purge_expired_preferences_links(now=timezone.now()) == 0
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        assert purge_expired_preferences_links(now=timezone.now()) == 1
        assert purge_expired_preferences_links(now=timezone.now()) == 0
    assert not PreferencesLink.objects.exists()
