"""A consumer asks to know or delete, proves their email and their identity (issue: consumer
requests). The scenarios walk the pages with the test client, as the consumer would."""

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from core import legal_clock
from requests_app.models import (
    DenialReason,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
    VerificationCheck,
    VerificationTier,
)
from tests import factories
from tests.request_helpers import (
    confirm_email,
    deliver_emails,
    emails_to,
    last_code_for,
    latest_request,
    submit,
    verify,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana():
    """A shopper without an account: email dana@example.com, zip 94110, two orders."""
    return factories.consumer(email="dana@example.com", zip_code="94110", full_name="Dana Shopper")


def start(client, type="know_categories", **fields):
    response = submit(client, type=type, **fields)
    assert response.status_code == 302, response.content
    return latest_request()


def through_email(client, type="know_categories", **fields):
    privacy_request = start(client, type=type, **fields)
    response = confirm_email(client, privacy_request)
    assert response.status_code == 302
    privacy_request.refresh_from_db()
    return privacy_request


def latest_order_number(consumer):
    return consumer.orders.order_by("-placed_at").first().order_number


# --- Receiving -----------------------------------------------------------------------------------


def test_home_page_explains_the_rights_and_leads_to_each_path(client):
    page = client.get("/").text

    for words in ("Know what we hold", "Have it deleted", "Stop its sale"):
        assert words in page
    for link in ('href="/requests/new/"', 'href="/requests/status/"', 'href="/do-not-sell/"'):
        assert link in page
    assert 'href="/account/sign-in/"' in page


def test_choosing_type_and_requester_leads_to_the_details_form(client):
    response = client.get("/requests/new/", {"type": "delete", "who": "self"})

    assert response.status_code == 302
    assert response["Location"] == "/requests/new/details/?type=delete&who=self"


def test_a_request_gets_a_reference_of_year_and_random_characters(client, dana):
    privacy_request = start(client)

    year = privacy_request.received_at.astimezone(ZoneInfo("America/Los_Angeles")).year
    group = "[0-9A-HJKMNP-TV-Z]{4}"  # Crockford's base 32: no I, L, O or U
    assert re.fullmatch(rf"PR-{year}-{group}-{group}", privacy_request.reference)
    assert privacy_request.reference != f"PR-{year}-{privacy_request.pk:06d}"  # not a count


def test_the_receipt_email_gives_reference_how_verification_works_and_due_date(client, dana):
    privacy_request = start(client)

    (receipt,) = emails_to("dana@example.com")
    assert privacy_request.reference in receipt.subject
    assert privacy_request.reference in receipt.body
    assert "How we verify your identity" in receipt.body
    # The due date as a Californian reads it: the end of the 30th local day, which in UTC is
    # already the next day (and, for a receipt on 1 December, the next year).
    due_on = legal_clock.local_date(privacy_request.due_at)
    assert f"We will answer by: {due_on:%-d %B %Y}" in receipt.body
    assert privacy_request.acknowledged_at is not None


def test_the_request_is_saved_before_any_email_and_its_clock_starts_at_receipt(client, dana):
    privacy_request = start(client)

    assert privacy_request.status == Status.EMAIL_UNCONFIRMED
    assert privacy_request.due_at > privacy_request.received_at
    assert privacy_request.events.filter(kind=RequestEvent.Kind.SUBMITTED).exists()


@pytest.mark.usefixtures("broker_unreachable")
def test_with_the_broker_down_the_consumer_still_gets_the_confirmation_page(
    client, dana, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(client)

    assert response.status_code == 302
    assert client.get(response["Location"]).status_code == 200
    assert mail.outbox == []  # not sent yet: the broker is down
    assert len(deliver_emails()) == 1  # the sweep sends it once the broker is back


# --- Proving the email address -------------------------------------------------------------------


def test_the_email_code_works_once(client, dana):
    privacy_request = start(client)
    code = last_code_for("dana@example.com")

    client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})
    privacy_request.refresh_from_db()

    assert privacy_request.status == Status.VERIFYING
    assert privacy_request.email_confirmed_at is not None
    # The page has moved on: posting the code again does nothing.
    again = client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})
    assert again.status_code == 302


def test_a_wrong_code_is_refused_with_a_message_and_the_request_is_kept(client, dana):
    privacy_request = start(client)

    response = client.post(
        f"/requests/{privacy_request.reference}/confirm-email/", {"code": "000000"}
    )

    assert response.status_code == 200
    assert "That code is not right" in response.text
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED


def test_an_expired_code_is_refused_and_a_new_one_can_be_sent(client, dana):
    import time_machine
    from django.utils import timezone

    privacy_request = start(client)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = confirm_email(client, privacy_request)
        assert "This code has expired" in response.text

        client.post(f"/requests/{privacy_request.reference}/new-code/")
        confirm_email(client, privacy_request)

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING


def test_five_wrong_codes_pause_the_checks_for_an_hour_and_say_so(client, dana):
    privacy_request = start(client)
    url = f"/requests/{privacy_request.reference}/confirm-email/"
    for _ in range(5):
        client.post(url, {"code": "000000"})

    response = confirm_email(client, privacy_request)

    assert "paused after five unsuccessful attempts" in response.text
    assert "You can try again after" in response.text


# --- Matching data points ------------------------------------------------------------------------


def test_categories_request_verified_with_email_and_zip_code(client, dana):
    privacy_request = through_email(client)

    response = verify(client, privacy_request, zip_code="94110")

    privacy_request.refresh_from_db()
    assert response.status_code == 302
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.verification_tier == VerificationTier.TWO
    assert privacy_request.consumer == dana
    assert "We have confirmed your identity" in emails_to("dana@example.com")[-1].subject


def test_only_match_or_no_match_is_kept_never_what_was_typed(client, dana):
    privacy_request = through_email(client)

    verify(client, privacy_request, zip_code="94110", address="1 Wrong Street Unusualname")

    checks = dict(VerificationCheck.objects.values_list("data_point", "matched"))
    assert checks == {"email": True, "zip_code": True, "address": False}
    stored = " ".join(
        str(value)
        for row in PrivacyRequest.objects.values()
        for value in row.values()
        if value is not None
    ) + " ".join(str(e.detail) for e in RequestEvent.objects.all())
    assert "Unusualname" not in stored


def test_addresses_compare_after_normalizing_case_spaces_and_abbreviations(client):
    person = factories.consumer(email="lee@example.com", zip_code="90012")
    factories.address_record(person, line1="123 North Main Street", line2="Apartment 4")
    privacy_request = through_email(client, requester_email="LEE@Example.com ")

    verify(client, privacy_request, address="123  n. main st apt 4")

    assert VerificationCheck.objects.get(data_point="address").matched


def test_phone_numbers_compare_in_e164(client):
    person = factories.consumer(email="kim@example.com", phone="+14155550123")
    privacy_request = through_email(client, requester_email="kim@example.com")

    verify(client, privacy_request, phone="(415) 555-0123")

    assert VerificationCheck.objects.get(data_point="phone").matched
    assert privacy_request.consumer is None or privacy_request.consumer == person


def test_specific_pieces_need_three_points_and_a_signed_declaration(client, dana):
    privacy_request = through_email(client, type="know_specific")

    verify(
        client,
        privacy_request,
        zip_code="94110",
        recent_purchase=latest_order_number(dana),
        declaration_name="Dana Shopper",
        declaration="on",
    )

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.request_type == RequestType.KNOW_SPECIFIC
    assert privacy_request.verification_tier == VerificationTier.THREE
    assert privacy_request.declaration_name == "Dana Shopper"
    assert privacy_request.declaration_signed_at is not None


def test_specific_pieces_without_the_declaration_ask_for_it(client, dana):
    privacy_request = through_email(client, type="know_specific")

    response = verify(client, privacy_request, zip_code="94110")

    assert "Tick the declaration to sign it." in response.text


def test_specific_request_with_only_two_points_is_answered_as_categories_and_told_why(client, dana):
    privacy_request = through_email(client, type="know_specific")

    response = verify(
        client,
        privacy_request,
        zip_code="94110",
        recent_purchase="NOT-AN-ORDER",
        declaration_name="Dana Shopper",
        declaration="on",
    )

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.request_type == RequestType.KNOW_CATEGORIES
    assert privacy_request.requested_type == RequestType.KNOW_SPECIFIC
    page = client.get(response["Location"]).text
    assert "we will tell you the categories of personal information we hold" in page
    assert (
        "could confirm two of your details but not three" in emails_to("dana@example.com")[-1].body
    )


def test_a_deletion_needs_a_second_separate_confirmation(client, dana):
    privacy_request = through_email(client, type="delete")
    response = verify(client, privacy_request, zip_code="94110")
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    assert response["Location"] == f"/requests/{privacy_request.reference}/confirm-delete/"

    unticked = client.post(response["Location"], {})
    assert "Tick the box to confirm the deletion." in unticked.text

    client.post(response["Location"], {"confirm": "on"})
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.delete_confirmed_at is not None


def test_failed_matches_can_be_retried_and_say_how_many_tries_are_left(client, dana):
    privacy_request = through_email(client)

    response = verify(client, privacy_request, zip_code="10001")

    assert "do not match our records closely enough" in response.text
    assert "(4 attempts left)" in response.text
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING


def fail_five_times(client, privacy_request):
    for _ in range(5):
        response = verify(client, privacy_request, zip_code="10001")
    return response


def test_an_unverifiable_deletion_is_denied_with_the_reason_and_an_opt_out_offer(client, dana):
    privacy_request = through_email(client, type="delete")

    response = fail_five_times(client, privacy_request)

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.DENIED
    assert privacy_request.denial_reason == DenialReason.NOT_VERIFIED
    page = client.get(response["Location"]).text
    assert "We could not verify your identity" in page
    assert "Tell us not to sell or share your information" in page
    answer = emails_to("dana@example.com")[-1]
    assert "/do-not-sell/" in answer.body


def test_an_unverifiable_categories_request_is_denied_with_a_link_to_the_notice(client, dana):
    privacy_request = through_email(client)

    response = fail_five_times(client, privacy_request)

    page = client.get(response["Location"]).text
    assert "We could not verify your identity" in page
    assert 'href="/what-we-collect/"' in page


def test_after_five_failures_further_checks_are_locked_for_an_hour(client, dana):
    fail_five_times(client, through_email(client))
    second = through_email(client)

    response = verify(client, second, zip_code="94110")

    assert "paused after five unsuccessful attempts" in response.text
    second.refresh_from_db()
    assert second.status == Status.VERIFYING


def test_someone_unknown_gets_the_same_answers_as_a_customer(client, dana):
    known = through_email(client)
    known_response = verify(client, known, zip_code="10001")
    unknown = through_email(client, requester_email="nobody@example.com")
    unknown_response = verify(client, unknown, zip_code="10001")

    def text_of(response, privacy_request):
        text = response.text.replace(privacy_request.reference, "REF")
        text = text.replace(privacy_request.requester_email, "EMAIL")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert text_of(known_response, known) == text_of(unknown_response, unknown)


# --- Account holders -----------------------------------------------------------------------------


@pytest.fixture
def account_holder(client):
    person = factories.consumer_with_account(email="ana@example.com", full_name="Ana Account")
    client.force_login(person.user)
    return person


def test_account_holder_confirms_with_password_and_is_verified_at_once(client, account_holder):
    response = submit(client, password=factories.PASSWORD)

    privacy_request = latest_request()
    assert response["Location"] == f"/requests/{privacy_request.reference}/"
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.verification_tier == VerificationTier.ACCOUNT
    assert privacy_request.consumer == account_holder
    assert privacy_request.requester_email == "ana@example.com"


def test_account_holder_with_a_wrong_password_is_told_so_beside_the_field(client, account_holder):
    response = submit(client, password="wrong")

    assert response.status_code == 200
    assert "That password is not right." in response.text
    assert not PrivacyRequest.objects.exists()


def test_account_deletion_asks_for_the_password_again_right_before_confirming(
    client, account_holder
):
    submit(client, type="delete", password=factories.PASSWORD)
    privacy_request = latest_request()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    url = f"/requests/{privacy_request.reference}/confirm-delete/"

    wrong = client.post(url, {"confirm": "on", "password": "wrong"})
    assert "That password is not right." in wrong.text
    client.post(url, {"confirm": "on", "password": factories.PASSWORD})

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED


def test_account_holder_sees_their_requests(client, account_holder):
    submit(client, password=factories.PASSWORD)

    page = client.get("/requests/").text

    assert latest_request().reference in page


def test_a_customer_writing_from_another_address_is_found_by_phone_and_verified(client):
    rosa = factories.consumer(email="rosa@example.com", phone="+14155550177", zip_code="94607")
    privacy_request = through_email(client, requester_email="rosa.new@example.org")
    order = latest_order_number(rosa)

    verify(client, privacy_request, phone="(415) 555-0177", zip_code="94607", recent_purchase=order)

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.consumer == rosa
    # The phone found the record, so it does not also count; the email is not on record.
    checks = dict(VerificationCheck.objects.values_list("data_point", "matched"))
    assert checks == {"email": False, "zip_code": True, "recent_purchase": True}


def test_failures_count_against_the_consumer_found_whatever_address_is_used(client, dana):
    for number in range(5):
        attempt = through_email(client, requester_email=f"guess{number}@example.org")
        verify(client, attempt, recent_purchase=latest_order_number(dana), zip_code="10001")
    honest = through_email(client)

    response = verify(client, honest, zip_code="94110")

    assert "paused after five unsuccessful attempts" in response.text
