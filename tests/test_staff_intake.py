"""Customer care logs requests received by phone, mail or email (issue: staff workspace, item 5).

The representative follows the script on /staff/intake/, types what the caller says, and reads
out the reference. Scenarios walk the page with the test client, as the representative would.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import legal_clock
from core.models import OutboundEmail
from requests_app import ratelimit
from requests_app.models import (
    Attempt,
    Channel,
    DenialReason,
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    RequestType,
    Status,
    VerificationCheck,
    VerificationMethod,
    VerificationTier,
)
from requests_app.services.intake import IntakeRefused, request_log
from tests import factories
from tests.request_helpers import deliver_emails, emails_to
from tests.test_forms_never_ask import FORBIDDEN, asked_on

pytestmark = pytest.mark.django_db

INTAKE = "/staff/intake/"
# Wednesday 18 November 2026, noon in California: a business day with a week of history behind.
NOON = datetime(2026, 11, 18, 20, 0, tzinfo=UTC)
TODAY = date(2026, 11, 18)


def signed_in_staff(username: str, role: str) -> Client:
    """A browser signed in as staff of `role` who has entered their second factor."""
    user = factories.staff_member(username=username)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user).persistent_id
    session.save()
    client.user = user  # type: ignore[attr-defined]
    return client


@pytest.fixture
def care_client():
    return signed_in_staff("care-rep", "Customer care")


@pytest.fixture
def dana():
    """A shopper without an account: dana@example.com, 742 Sample Lane, zip 94110, two orders."""
    return factories.consumer(
        email="dana@example.com", zip_code="94110", full_name="Dana Shopper", phone="+14155550142"
    )


def today() -> date:
    return legal_clock.local_date(timezone.now())


def latest_order_number(consumer) -> str:
    return consumer.orders.order_by("-placed_at").first().order_number


def call(**fields) -> dict:
    """What a representative types for a caller asking to know the categories for themselves."""
    return {
        "adult": "on",
        "request_type": "know_categories",
        "requester_kind": "self",
        "caller_name": "Dana Shopper",
        "caller_email": "dana@example.com",
    } | fields


def matching_answers(consumer) -> dict:
    return {
        "address": "742 Sample Lane",
        "zip_code": "94110",
        "recent_purchase": latest_order_number(consumer),
    }


def log(client, data, channel="phone"):
    return client.post(f"{INTAKE}?channel={channel}", data)


def logged(client, data, channel="phone") -> PrivacyRequest:
    response = log(client, data, channel)
    assert response.status_code == 302, response.content.decode()
    reference = response["Location"].split("done=")[1]
    assert response["Location"] == f"{INTAKE}?done={reference}"
    return PrivacyRequest.objects.get(reference=reference)


def stored_text(privacy_request: PrivacyRequest) -> str:
    """Every value the database holds about the request: its row, its history, its checks, its
    identity-check attempts and the emails queued about it."""
    rows = [
        *PrivacyRequest.objects.filter(pk=privacy_request.pk).values(),
        *RequestEvent.objects.filter(request=privacy_request).values(),
        *VerificationCheck.objects.filter(request=privacy_request).values(),
        *Attempt.objects.values(),
        *OutboundEmail.objects.values(),
    ]
    return repr(rows)


# --- A caller who is a known customer -------------------------------------------------------


def test_care_logs_a_phone_request_for_a_matching_customer_and_it_is_verified(care_client, dana):
    privacy_request = logged(care_client, call(**matching_answers(dana)))

    rep = care_client.user
    assert privacy_request.channel == Channel.PHONE
    assert privacy_request.logged_by == rep
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.verification_method == VerificationMethod.DATA_POINTS
    assert privacy_request.verification_tier == VerificationTier.TWO
    assert privacy_request.consumer == dana
    assert privacy_request.counts_toward_cap
    assert privacy_request.due_at == legal_clock.respond_by(privacy_request.received_at)
    checks = dict(privacy_request.checks.values_list("data_point", "matched"))
    assert checks == {"address": True, "zip_code": True, "recent_purchase": True}


def test_the_history_names_the_representative_as_actor(care_client, dana):
    privacy_request = logged(care_client, call(**matching_answers(dana)))

    rep = care_client.user
    events = {e.kind: e for e in privacy_request.events.all()}
    submitted, verified = events[RequestEvent.Kind.SUBMITTED], events[RequestEvent.Kind.VERIFIED]
    assert (submitted.actor, submitted.actor_label) == (rep, "staff")
    assert (verified.actor, verified.actor_label) == (rep, "staff")
    assert "caller confirmed being 18 or over" in submitted.detail
    caused_by_rep = privacy_request.events.exclude(kind=RequestEvent.Kind.EMAIL_SENT)
    assert {e.actor for e in caused_by_rep} == {rep}


def test_no_typed_answer_is_stored_anywhere(care_client, dana):
    answers = matching_answers(dana) | {"phone": "(415) 555-0142"}
    privacy_request = logged(care_client, call(**answers))
    deliver_emails()

    stored = stored_text(privacy_request).lower()
    for typed in answers.values():
        assert typed.lower() not in stored
    for normalized in ("742 sample ln", "+14155550142", "4155550142"):
        assert normalized not in stored


def test_the_receipt_with_the_reference_is_emailed_without_a_code(care_client, dana):
    privacy_request = logged(care_client, call(**matching_answers(dana)))

    [receipt] = [m for m in emails_to("dana@example.com") if "received" in m.subject]
    assert privacy_request.reference in receipt.subject + receipt.body
    assert "code to confirm" not in receipt.body
    assert "After you confirm your email address" not in receipt.body
    assert not privacy_request.challenges.exists()
    assert privacy_request.acknowledged_at is not None
    assert privacy_request.email_confirmed_at is None


def test_the_confirmation_page_shows_the_reference_to_read_out(care_client, dana):
    response = log(care_client, call(**matching_answers(dana)))
    page = care_client.get(response["Location"]).text

    reference = PrivacyRequest.objects.get().reference
    assert f'<p class="big-reference" aria-label="Reference {reference}">{reference}</p>' in page
    assert "Read this reference to the caller" in page
    assert "Identity confirmed" in page
    assert "Emailed to dana@example.com" in page


def test_the_email_address_given_on_the_phone_is_not_a_data_point(care_client, dana):
    privacy_request = logged(care_client, call(zip_code="94110"))

    assert not privacy_request.checks.filter(data_point="email").exists()
    assert privacy_request.status == Status.VERIFYING  # one point, the email not counted


def test_reloading_the_confirmation_logs_nothing_twice(care_client, dana):
    response = log(care_client, call(**matching_answers(dana)))
    care_client.get(response["Location"])
    care_client.get(response["Location"])

    assert PrivacyRequest.objects.count() == 1


def test_another_representative_cannot_open_the_confirmation(care_client, dana):
    response = log(care_client, call(**matching_answers(dana)))
    colleague = signed_in_staff("other-rep", "Customer care")

    assert colleague.get(response["Location"]).status_code == 404
    assert care_client.get(f"{INTAKE}?done=PR-2026-999999").status_code == 404


# --- Callers who cannot be verified on the call ------------------------------------------------


def test_a_caller_whose_answers_do_not_match_is_logged_unverified(care_client, dana):
    answers = {"address": "1 Wrong Way", "zip_code": "94110", "recent_purchase": "DP-999999"}
    privacy_request = logged(care_client, call(**answers))

    assert privacy_request.status == Status.VERIFYING
    assert privacy_request.verified_at is None
    assert privacy_request.consumer is None  # not linked to a record it did not prove
    assert privacy_request.logged_by == care_client.user
    checks = dict(privacy_request.checks.values_list("data_point", "matched"))
    assert checks == {"address": False, "zip_code": True, "recent_purchase": False}


def test_the_officer_sees_how_many_answers_matched_in_a_staff_only_event(care_client, dana):
    answers = {"address": "1 Wrong Way", "zip_code": "94110", "recent_purchase": "DP-999999"}
    privacy_request = logged(care_client, call(**answers))

    failed = privacy_request.events.get(kind=RequestEvent.Kind.VERIFICATION_FAILED)
    assert failed.detail.startswith("1 of 3 data point(s) matched")
    assert not failed.visible_to_consumer
    assert failed.actor == care_client.user
    assert "1 Wrong Way" not in failed.detail


def test_the_representative_is_told_not_to_reveal_which_answers_matched(care_client, dana):
    response = log(care_client, call(address="1 Wrong Way", zip_code="94110"))
    page = care_client.get(response["Location"]).text

    assert "Identity not confirmed on this call" in page
    assert "Do not tell the caller which answers matched" in page
    assert "zip" not in page.split('<main id="main"', 1)[1].lower()


def test_a_failed_check_on_the_phone_counts_toward_the_lock_out(care_client, dana):
    logged(care_client, call(address="1 Wrong Way"))

    key = ratelimit.attempt_key("verify", "dana@example.com")
    assert ratelimit.attempts_left(ratelimit.FAILED_VERIFICATIONS, key) == 4


def test_a_call_is_no_way_around_a_lock_out(care_client, dana):
    key = ratelimit.attempt_key("verify", "dana@example.com")
    for _ in range(5):
        ratelimit.record_attempt(ratelimit.FAILED_VERIFICATIONS, key)

    privacy_request = logged(care_client, call(**matching_answers(dana)))

    assert privacy_request.status == Status.VERIFYING
    assert not privacy_request.checks.exists()
    assert privacy_request.events.filter(detail__startswith="Identity not checked").exists()


# --- A caller without an email address ------------------------------------------------------------


def test_without_an_email_address_no_email_is_sent_and_the_acknowledgment_waits(care_client):
    privacy_request = logged(care_client, call(caller_email="", address="1 Nowhere St"))

    assert privacy_request.requester_email == ""
    assert privacy_request.acknowledged_at is None
    assert deliver_emails() == []
    pending = privacy_request.events.get(detail__startswith="Acknowledgment pending")
    assert not pending.visible_to_consumer
    page = care_client.get(f"{INTAKE}?done={privacy_request.reference}").text
    assert "Pending, by mail" in page
    assert "Read the reference twice" in page


def test_without_email_the_phone_number_finds_the_record_but_does_not_count(care_client, dana):
    answers = matching_answers(dana) | {"phone": "(415) 555-0142"}
    privacy_request = logged(care_client, call(caller_email="", **answers))

    assert privacy_request.consumer == dana
    assert privacy_request.status == Status.VERIFIED
    checks = dict(privacy_request.checks.values_list("data_point", "matched"))
    assert "phone" not in checks
    assert deliver_emails() == []
    assert privacy_request.events.filter(
        detail__startswith="No email address: send the verified notice by mail"
    ).exists()


# --- Agents, parents, specific pieces, the cap --------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "document"),
    [("agent", "signed written permission"), ("parent", "parent's or guardian's signed")],
)
def test_an_agent_or_parent_request_waits_for_the_signed_document(
    care_client, dana, kind, document
):
    data = call(
        requester_kind=kind,
        caller_name="Alex Agent",
        caller_email="alex@example.com",
        subject_name="Dana Shopper",
        subject_email="dana@example.com",
        **matching_answers(dana),
    )
    privacy_request = logged(care_client, data)

    assert privacy_request.status == Status.VERIFYING
    assert privacy_request.verified_at is None
    assert privacy_request.consumer == dana  # the subject's answers matched
    note = privacy_request.events.get(detail__contains="Waiting for")
    assert document in note.detail
    assert not note.visible_to_consumer
    assert emails_to("dana@example.com") == []  # nothing to the consumer from a caller
    assert len(emails_to("alex@example.com")) == 1


def test_agents_and_parents_must_name_the_person_the_request_is_for(care_client):
    response = log(care_client, call(requester_kind="agent"))

    assert "Enter the name of the consumer (or the child) the request is for." in response.text
    assert not PrivacyRequest.objects.exists()


def test_a_request_for_specific_pieces_waits_for_the_signed_declaration(care_client, dana):
    data = call(request_type="know_specific", **matching_answers(dana))
    privacy_request = logged(care_client, data)

    assert privacy_request.status == Status.VERIFYING
    assert privacy_request.request_type == RequestType.KNOW_SPECIFIC  # not downgraded
    assert privacy_request.events.filter(detail__contains="signed under penalty of perjury")
    page = care_client.get(f"{INTAKE}?done={privacy_request.reference}").text
    assert "Waiting for a signed declaration" in page


def test_a_deletion_by_phone_still_needs_the_consumers_separate_confirmation(care_client, dana):
    privacy_request = logged(care_client, call(request_type="delete", **matching_answers(dana)))

    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    assert privacy_request.delete_confirmed_at is None


def test_a_third_request_to_know_in_twelve_months_by_phone_is_refused_with_next_date(
    care_client, dana
):
    for days_ago in (100, 50):
        factories.PrivacyRequestFactory.create(
            consumer=dana,
            status=Status.FULFILLED,
            counts_toward_cap=True,
            verified_at=legal_clock.end_of_day(today() - timedelta(days=days_ago)),
        )
    privacy_request = logged(care_client, call(**matching_answers(dana)))

    assert privacy_request.status == Status.DENIED
    assert privacy_request.denial_reason == DenialReason.OVER_CAP
    page = care_client.get(f"{INTAKE}?done={privacy_request.reference}").text
    assert "You can make your next request to know on" in page


# --- Mail and email --------------------------------------------------------------------------


def letter(**fields) -> dict:
    data = call(**fields)
    del data["adult"]
    return data


@pytest.mark.time_machine(NOON, tick=False)  # before care_client signs in
def test_a_mail_request_dated_seven_days_ago_gets_its_deadlines_from_that_date(care_client):
    seven_days_ago = TODAY - timedelta(days=7)
    privacy_request = logged(care_client, letter(received_on=seven_days_ago.isoformat()), "mail")

    assert privacy_request.channel == Channel.MAIL
    assert legal_clock.local_date(privacy_request.received_at) == seven_days_ago
    assert privacy_request.received_at.astimezone(legal_clock.business_zone()).hour == 9
    assert privacy_request.due_at == legal_clock.respond_by(privacy_request.received_at)
    assert legal_clock.local_date(privacy_request.due_at) == seven_days_ago + timedelta(days=30)
    assert privacy_request.acknowledge_by == legal_clock.acknowledge_by(privacy_request.received_at)


@pytest.mark.time_machine(NOON, tick=False)  # before care_client signs in
def test_a_letter_received_today_is_received_now(care_client):
    privacy_request = logged(care_client, letter(received_on=TODAY.isoformat()), "mail")

    assert privacy_request.received_at == NOON


@pytest.mark.time_machine(NOON, tick=False)  # before care_client signs in
@pytest.mark.parametrize(
    ("received_on", "message"),
    [
        (TODAY - timedelta(days=8), "The date received can be at most 7 days back, on or after "
         "11 November 2026."),
        (TODAY + timedelta(days=1), "The date received cannot be in the future: today is "
         "18 November 2026."),
    ],
)  # fmt: skip
def test_a_date_received_eight_days_back_or_tomorrow_is_refused(care_client, received_on, message):
    response = log(care_client, letter(received_on=received_on.isoformat()), "mail")

    assert response.status_code == 200
    assert message in response.text
    assert f'value="{received_on.isoformat()}"' in response.text
    assert not PrivacyRequest.objects.exists()


def test_a_letter_needs_its_date_received(care_client):
    response = log(care_client, letter(), "mail")

    assert "Enter the date the request arrived." in response.text


def test_an_email_request_needs_the_address_it_came_from(care_client):
    response = log(care_client, letter(caller_email="", received_on=today().isoformat()), "email")

    assert "Enter the email address the request came from." in response.text
    assert not PrivacyRequest.objects.exists()


def test_an_email_request_is_logged_with_its_channel(care_client, dana):
    data = letter(received_on=today().isoformat())
    privacy_request = logged(care_client, data | matching_answers(dana), "email")

    assert privacy_request.channel == Channel.EMAIL
    assert privacy_request.status == Status.VERIFIED


def test_the_service_refuses_a_date_out_of_range_too(dana):
    rep = factories.staff_member(username="care-rep")
    with pytest.raises(IntakeRefused, match="at most 7 days back") as refused:
        request_log(
            channel=Channel.MAIL,
            received_on=today() - timedelta(days=30),
            request_type=RequestType.DELETE,
            requester_kind=RequesterKind.SELF,
            caller_name="Dana Shopper",
            caller_email="",
            answers={},
            actor=rep,
        )
    assert refused.value.field == "received_on"


# --- The script --------------------------------------------------------------------------------


def test_the_caller_must_confirm_being_18_or_over(care_client, dana):
    data = call(**matching_answers(dana))
    del data["adult"]
    response = log(care_client, data)

    assert response.status_code == 200
    assert "Confirm the caller is 18 or over before going on." in response.text
    assert not PrivacyRequest.objects.exists()


def test_the_script_follows_the_call_in_order(care_client):
    page = care_client.get(INTAKE).text

    steps = [
        "Greet the caller",
        "Thank you for calling DP Dream Pairs Inc.",
        "Confirm they are 18 or over",
        "Which right",
        "Who it is for",
        "Their name and email address",
        "Confirm who they are",
        "Log the request",
    ]
    positions = [page.index(step) for step in steps]
    assert positions == sorted(positions)


@pytest.mark.parametrize("channel", ["phone", "mail", "email"])
def test_the_script_reminds_never_to_ask_and_the_form_asks_for_none_of_it(care_client, channel):
    page = care_client.get(f"{INTAKE}?channel={channel}").text

    assert "Never ask for" in page
    for never in (
        "a social security number",
        "medical or health information",
        "financial account or card numbers",
        "any password",
    ):
        assert never in page
    asked = asked_on(page)
    assert len(asked) > 10
    assert [a for a in asked if FORBIDDEN.search(a)] == []


def test_each_channel_asks_for_its_own_first_step(care_client):
    phone = care_client.get(INTAKE).text
    mail_page = care_client.get(f"{INTAKE}?channel=mail").text

    assert 'name="adult"' in phone and 'name="received_on"' not in phone
    assert 'name="received_on"' in mail_page and 'name="adult"' not in mail_page
    assert care_client.get(f"{INTAKE}?channel=fax").status_code == 200  # falls back to phone


# --- Who may log ---------------------------------------------------------------------------------


def test_an_auditor_may_not_log_requests():
    auditor = signed_in_staff("auditor", "Auditor")

    assert auditor.get(INTAKE).status_code == 403
    assert auditor.post(INTAKE, call()).status_code == 403
    assert not PrivacyRequest.objects.exists()


def test_a_privacy_officer_may_log_requests():
    officer = signed_in_staff("officer", "Privacy officer")

    assert officer.get(INTAKE).status_code == 200


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client):
    response = client.get(INTAKE)

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in/")
    assert client.post(INTAKE, call())["Location"].startswith("/staff/sign-in/")


def test_a_consumer_signed_in_is_sent_to_the_staff_sign_in(client):
    client.force_login(factories.outsider())

    assert client.get(INTAKE)["Location"].startswith("/staff/sign-in/")


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"caller_name": ""}, "caller_name", "Enter full name of the person asking."),
        ({"caller_name": "   "}, "caller_name", "Enter full name of the person asking."),
        ({"caller_name": "D" * 201}, "caller_name", "This can be at most 200 characters."),
        ({"caller_name": "<b>Dana</b>"}, "caller_name", "Please use letters, numbers and"),
        ({"caller_email": "dana@"}, "caller_email", "Enter an email address like name@example"),
        ({"caller_email": "<script>@x.com"}, "caller_email", "Enter an email address like"),
        ({"caller_email": "a" * 250 + "@x.com"}, "caller_email", "at most 254 characters"),
        ({"request_type": ""}, "request_type", "Choose which right they want to use."),
        ({"request_type": "opt_out"}, "request_type", "Choose one of the rights listed."),
        ({"requester_kind": ""}, "requester_kind", "Choose who the request is for."),
        ({"requester_kind": "lawyer"}, "requester_kind", "Choose one of the options listed."),
        ({"address": "<img src=x>"}, "address", "Please use letters, numbers and"),
        ({"address": "7" * 201}, "address", "This can be at most 200 characters."),
        ({"zip_code": "9411"}, "zip_code", "A zip code is 5 digits, like 94110."),
        ({"zip_code": "ABCDE"}, "zip_code", "A zip code is 5 digits, like 94110."),
        ({"phone": "555"}, "phone", "Enter a phone number like (415) 555-0123."),
        ({"recent_purchase": "x" * 41}, "recent_purchase", "at most 40 characters."),
        ({"subject_name": "Someone"}, "subject_name", "Only for agents and parents"),
        ({"caller_name": "Dana\x00"}, "caller_name", "Null characters are not allowed."),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_nothing_typed_is_lost(
    care_client, fields, field, message
):
    data = call(address="742 Sample Lane", zip_code="94110") | fields
    response = log(care_client, data)

    assert response.status_code == 200
    assert message in response.text
    assert f'id="id_{field}_error"' in response.text
    assert "There is a problem" in response.text
    assert 'value="742 Sample Lane"' in response.text or field == "address"
    assert "checked" in response.text  # the ticks and choices stay as they were
    assert not PrivacyRequest.objects.exists()


def test_an_empty_form_lists_what_is_missing(care_client):
    response = log(care_client, {})

    assert response.status_code == 200
    for message in (
        "Confirm the caller is 18 or over",
        "Choose which right they want to use.",
        "Choose who the request is for.",
        "Enter full name of the person asking.",
    ):
        assert message in response.text
    assert not PrivacyRequest.objects.exists()


def test_markup_typed_is_shown_back_escaped(care_client):
    response = log(care_client, call(caller_name='"><script>alert(1)</script>'))

    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_a_verified_phone_request_emails_the_receipt_then_the_confirmation(care_client, dana):
    mail.outbox.clear()
    logged(care_client, call(**matching_answers(dana)))

    subjects = [m.subject for m in deliver_emails()]
    assert len(subjects) == 2  # the receipt, then "identity confirmed"
    assert all(m.to == ["dana@example.com"] for m in mail.outbox)


def test_a_caller_without_email_or_phone_is_found_by_the_order_number(db):
    from requests_app.services.intake import request_log

    kim = factories.consumer(email="elena@example.com", zip_code="90012")
    order = kim.orders.order_by("-placed_at").first().order_number
    rep = factories.care_representative("carla")

    logged = request_log(
        channel="phone",
        received_on=None,
        request_type="know_categories",
        requester_kind="self",
        caller_name="Elena Kim",
        caller_email="",
        answers={"zip_code": "90012", "recent_purchase": order, "address": "742 Sample Lane"},
        actor=rep,
    )

    logged.refresh_from_db()
    assert logged.consumer == kim
    assert logged.status == "verified"
