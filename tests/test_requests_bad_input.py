"""Bad input of every kind on every consumer form: the portal answers in plain words beside the
field, never with a server error, and never loses what was already saved.

Each case posts what a confused, hurried or hostile visitor might send: nothing, far too much,
the wrong format, markup, unicode oddities, the wrong kind of file, a guessed code, a made-up
reference or token. Bugs found here are strict xfails that name the fix.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from requests_app.models import (
    AgentDocument,
    PrivacyRequest,
    RequestType,
    Status,
    VerificationCheck,
)
from tests import factories
from tests.request_helpers import (
    confirm_email,
    emails_to,
    last_code_for,
    latest_request,
    submit,
    verify,
)

pytestmark = pytest.mark.django_db

OVERLONG = "x" * 10_000
MARKUP = "<script>alert(1)</script>"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TYPES = [RequestType.KNOW_CATEGORIES, RequestType.KNOW_SPECIFIC, RequestType.DELETE]
DETAILS = "/requests/new/details/?type={type}&who={who}"


@pytest.fixture
def dana():
    """A shopper without an account: dana@example.com, zip 94110, two orders."""
    return factories.consumer(email="dana@example.com", zip_code="94110", full_name="Dana Shopper")


@pytest.fixture
def browser():
    """A client that shows a server error as a 500 response instead of raising it."""
    return Client(raise_request_exception=False)


def assert_told(response, *messages):
    """The page answered normally and shows each message (HTML-escaped, as the page has it)."""
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    for message in messages:
        escaped = message.replace("&", "&amp;").replace("'", "&#x27;").replace('"', "&quot;")
        assert escaped in page, f"{message!r} not on the page"


def assert_field_error(response, field, message):
    """The message is shown beside the field it belongs to, not only at the top."""
    assert_told(response, message)
    page = response.content.decode()
    beside = re.search(rf'id="id_{field}_error">(.*?)</div>', page, re.S)
    assert beside, f"no error shown beside {field}"
    escaped = message.replace("'", "&#x27;")
    assert escaped in beside.group(1)


def started(client, *, type="know_categories", **fields):
    response = submit(client, type=type, **fields)
    assert response.status_code == 302, response.content
    return latest_request()


def through_email(client, *, type="know_categories", **fields):
    privacy_request = started(client, type=type, **fields)
    assert confirm_email(client, privacy_request).status_code == 302
    privacy_request.refresh_from_db()
    return privacy_request


def awaiting_delete_confirmation(client):
    privacy_request = through_email(client, type=RequestType.DELETE)
    assert verify(client, privacy_request, zip_code="94110").status_code == 302
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    return privacy_request


def agent_details(**fields):
    return {
        "requester_name": "Alex Agent",
        "requester_email": "alex@agency.example",
        "subject_name": "Dana Shopper",
        "subject_email": "dana@example.com",
        "permission": SimpleUploadedFile("permission.pdf", PDF),
    } | fields


def stored_documents():
    folder = Path(settings.PRIVATE_FILES_ROOT) / "agent-documents"
    return list(folder.iterdir()) if folder.exists() else []


# --- Step one: what and for whom (GET parameters) -------------------------------------------------


def test_continuing_without_choosing_says_what_to_choose(browser):
    response = browser.get("/requests/new/", {"chosen": "1"})

    assert_field_error(response, "type", "Choose what you would like us to do.")
    assert_field_error(response, "who", "Choose who the request is for.")


@pytest.mark.parametrize(
    "params",
    [
        {"type": "", "who": ""},
        {"type": "delete"},
        {"who": "self"},
        {"type": OVERLONG, "who": "self"},
        {"type": MARKUP, "who": MARKUP},
        {"type": "delete", "who": "\u202eflesym"},
        {"type": "know_categories\x00", "who": "self"},
        {"type": "DELETE", "who": "SELF"},
    ],
    ids=["empty", "no-who", "no-type", "overlong", "markup", "rtl-override", "nul", "upper-case"],
)
def test_a_bad_choice_in_the_link_shows_the_choices_again_with_a_message(browser, params):
    response = browser.get("/requests/new/", params)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert "What would you like us to do?" in page
    assert MARKUP not in page  # shown escaped, if at all


def test_an_unknown_type_in_the_link_is_not_echoed_back(browser):
    response = browser.get("/requests/new/", {"type": "Call 555-0100 to cancel " + "x" * 50})

    assert_told(response, "Choose what you would like us to do.")
    assert "Call 555-0100" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?type=delete",
        "?type=delete&who=nobody",
        f"?type={OVERLONG}&who=self",
        "?type=%3Cscript%3E&who=self",
        "?type=%00&who=%00",
    ],
    ids=["none", "no-who", "unknown-who", "overlong", "markup", "nul"],
)
def test_the_details_page_with_a_bad_choice_leads_back_to_step_one(browser, query):
    for method in (browser.get, browser.post):
        response = method("/requests/new/details/" + query)

        assert response.status_code == 302
        assert response["Location"] == "/requests/new/"


# --- Step two: who is asking (every type for every requester) -------------------------------------

REQUIRED_MESSAGES = {
    "self": {
        "requester_name": "Enter your full name.",
        "requester_email": "Enter your email address.",
    },
    "agent": {
        "requester_name": "Enter your full name.",
        "requester_email": "Enter your email address.",
        "subject_name": "Enter the consumer's full name.",
        "subject_email": "Enter the consumer's email address.",
        "permission": "Attach the consumer's signed permission.",
    },
    "parent": {
        "requester_name": "Enter your full name.",
        "requester_email": "Enter your email address.",
        "subject_name": "Enter your child's full name.",
        "subject_email": "Enter your child's email address with us.",
        "parent_declaration": "Confirm that you are the child's parent or guardian.",
    },
}


@pytest.mark.parametrize("request_type", TYPES)
@pytest.mark.parametrize("who", ["self", "agent", "parent"])
def test_an_empty_details_form_names_every_missing_field(browser, request_type, who):
    response = browser.post(DETAILS.format(type=request_type, who=who), {})

    for field, message in REQUIRED_MESSAGES[who].items():
        assert_field_error(response, field, message)
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize("request_type", TYPES)
@pytest.mark.parametrize("who", ["self", "agent", "parent"])
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("requester_name", OVERLONG, "Your full name can be at most 200 characters."),
        ("requester_name", MARKUP, "Please use letters, numbers and punctuation only."),
        ("requester_name", "   ", "Enter your full name."),
        ("requester_name", "Dana\x00Shopper", "Null characters are not allowed."),
        ("requester_email", "not-an-email", "Enter an email address like name@example.com."),
        ("requester_email", "dana@", "Enter an email address like name@example.com."),
        ("requester_email", OVERLONG + "@example.com", "at most 254 characters"),
        ("requester_email", MARKUP + "@example.com", "Enter an email address like"),
        ("requester_email", "d\u00e4n\u00e4@example.com", "Enter an email address like"),
    ],
    ids=[
        "name-overlong",
        "name-markup",
        "name-blank",
        "name-nul",
        "email-format",
        "email-no-domain",
        "email-overlong",
        "email-markup",
        "email-unicode-local-part",
    ],
)
def test_a_bad_name_or_email_is_explained_beside_the_field(
    browser, request_type, who, field, value, message
):
    data = agent_details() if who == "agent" else {}
    if who == "parent":
        data = {"subject_name": "Kid", "subject_email": "kid@example.com"}
    data |= {"requester_name": "Dana Shopper", "requester_email": "dana@example.com", field: value}

    response = browser.post(DETAILS.format(type=request_type, who=who), data)

    assert_field_error(response, field, message)
    assert MARKUP not in response.content.decode()
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(
    ("who", "field", "value", "message"),
    [
        ("agent", "subject_name", MARKUP, "Please use letters, numbers and punctuation only."),
        ("agent", "subject_name", OVERLONG, "The consumer's full name can be at most 200"),
        ("agent", "subject_email", "dana at example", "Enter an email address like"),
        ("parent", "subject_name", MARKUP, "Please use letters, numbers and punctuation only."),
        ("parent", "subject_email", OVERLONG, "Enter an email address like"),
    ],
)
def test_bad_details_of_the_consumer_or_child_are_explained_beside_the_field(
    browser, who, field, value, message
):
    data = agent_details() if who == "agent" else {"parent_declaration": "on"}
    data |= {
        "requester_name": "Pat Parent",
        "requester_email": "pat@example.com",
        "subject_name": "Kid Shopper",
        "subject_email": "kid@example.com",
        field: value,
    }

    response = browser.post(DETAILS.format(type="delete", who=who), data)

    assert_field_error(response, field, message)
    assert not PrivacyRequest.objects.exists()


@pytest.mark.parametrize(
    "name",
    [
        "Zo\u00eb O'Brien-Nu\u00f1ez",
        "\u674e\u5c0f\u9f8d",
        "J\u00fcrgen M\u00fcller Jr.",
        "Ay\u015fe",
    ],
)
def test_real_names_with_accents_and_other_scripts_are_accepted(browser, name):
    response = submit(browser, requester_name=name)

    assert response.status_code == 302
    assert latest_request().requester_name == name


# --- The agent's upload -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "permission.pdf",
            b"Dear Sir, I authorize Alex. (a text file named .pdf)",
            "PDF, PNG or JPEG",
        ),
        ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "PDF, PNG or JPEG"),
        ("permission.pdf", b"<html><script>alert(1)</script></html>", "PDF, PNG or JPEG"),
        ("permission.pdf", b"", "The submitted file is empty."),
        ("%00.pdf", b"\x00" * 32, "PDF, PNG or JPEG"),
    ],
    ids=["text-named-pdf", "exe", "html", "empty", "nul-bytes"],
)
def test_a_permission_of_the_wrong_kind_is_refused_beside_the_field(
    browser, name, content, message
):
    data = agent_details(permission=SimpleUploadedFile(name, content))

    response = browser.post(DETAILS.format(type="delete", who="agent"), data)

    assert_field_error(response, "permission", message)
    assert not PrivacyRequest.objects.exists()
    assert not AgentDocument.objects.exists()
    assert stored_documents() == []


def test_a_permission_just_over_the_size_limit_is_refused_and_not_stored(browser):
    too_big = PDF + b"0" * (settings.AGENT_DOCUMENT_MAX_BYTES + 1 - len(PDF))
    data = agent_details(permission=SimpleUploadedFile("permission.pdf", too_big))

    response = browser.post(DETAILS.format(type="know_categories", who="agent"), data)

    megabytes = settings.AGENT_DOCUMENT_MAX_BYTES // (1024 * 1024)
    assert_field_error(response, "permission", f"The file is too large: at most {megabytes} MB")
    assert not PrivacyRequest.objects.exists()
    assert stored_documents() == []


def test_a_permission_exactly_at_the_size_limit_is_accepted(browser):
    at_limit = PDF + b"0" * (settings.AGENT_DOCUMENT_MAX_BYTES - len(PDF))
    data = agent_details(permission=SimpleUploadedFile("permission.pdf", at_limit))

    response = browser.post(DETAILS.format(type="know_categories", who="agent"), data)

    assert response.status_code == 302
    assert AgentDocument.objects.get().size == settings.AGENT_DOCUMENT_MAX_BYTES


def test_a_real_pdf_is_judged_by_its_content_not_its_name(browser):
    data = agent_details(permission=SimpleUploadedFile("scan.exe", PDF))

    response = browser.post(DETAILS.format(type="know_categories", who="agent"), data)

    assert response.status_code == 302
    assert AgentDocument.objects.get().content_type == "application/pdf"


def test_a_permission_sent_as_text_instead_of_a_file_asks_for_the_file(browser):
    data = agent_details(permission="permission.pdf")

    response = browser.post(DETAILS.format(type="know_categories", who="agent"), data)

    assert_field_error(response, "permission", "Attach the consumer's signed permission.")


# --- Account holders: the password ------------------------------------------------------------


@pytest.fixture
def account_holder(client):
    person = factories.consumer_with_account(email="ana@example.com", zip_code="94110")
    client.force_login(person.user)
    return person


@pytest.mark.parametrize("request_type", TYPES)
@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter your password to confirm it is you."),
        ("wrong-password", "That password is not right. Please try again."),
        (OVERLONG, "That password is not right. Please try again."),
        (" " + factories.PASSWORD, "That password is not right. Please try again."),
        (MARKUP, "That password is not right. Please try again."),
    ],
    ids=["empty", "wrong", "overlong", "leading-space", "markup"],
)
def test_an_account_holders_bad_password_is_explained_and_nothing_is_made(
    client, account_holder, request_type, password, message
):
    response = client.post(DETAILS.format(type=request_type, who="self"), {"password": password})

    assert_field_error(response, "password", message)
    assert not PrivacyRequest.objects.exists()


def test_guessing_the_account_password_at_the_recheck_is_paused_after_five_tries(
    client, account_holder
):
    url = DETAILS.format(type="know_categories", who="self")
    for _ in range(5):
        client.post(url, {"password": "wrong-password"})

    response = client.post(url, {"password": factories.PASSWORD})

    assert_told(response, "paused after five unsuccessful attempts")
    assert not PrivacyRequest.objects.filter(status=Status.VERIFIED).exists()


def test_an_account_holder_whose_checks_are_paused_is_told_so_not_shown_an_error(
    browser, account_holder
):
    agent = Client()
    agent.post(
        DETAILS.format(type="know_categories", who="agent"),
        agent_details(subject_email="ana@example.com", subject_name="Ana"),
    )
    impersonation = latest_request()
    confirm_email(agent, impersonation, "alex@agency.example")
    for _ in range(5):
        verify(agent, impersonation, zip_code="00000")
    browser.force_login(account_holder.user)

    response = browser.post(
        DETAILS.format(type="delete", who="self"), {"password": factories.PASSWORD}
    )

    assert response.status_code != 500
    assert_told(response, "paused after five unsuccessful attempts")


# --- Step three: the emailed code -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("", "Enter the code from the email."),
        ("   ", "Enter the code from the email."),
        ("12", "The code is 6 digits, like 123456."),
        ("abcdef", "The code is 6 digits, like 123456."),
        ("1234567", "The code is 6 digits, like 123456."),
        ("12345\u200b6", "The code is 6 digits, like 123456."),
        (MARKUP, "at most 20 characters"),
        (OVERLONG, "at most 20 characters"),
        ("' OR 1=1 --", "The code is 6 digits, like 123456."),
    ],
    ids=[
        "empty",
        "blank",
        "short",
        "letters",
        "long",
        "zero-width-space",
        "markup",
        "overlong",
        "sql",
    ],
)
def test_a_malformed_code_is_explained_and_the_request_is_kept(client, dana, code, message):
    privacy_request = started(client)

    response = client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})

    assert_field_error(response, "code", message)
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED
    assert MARKUP not in response.content.decode()


@pytest.mark.parametrize(
    "typed",
    ["wrong", "\uff11\uff12\uff13\uff14\uff15\uff16", "\u0661\u0662\u0663\u0664\u0665\u0666"],
    ids=["another-code", "full-width-digits", "arabic-indic-digits"],
)
def test_a_wrong_code_is_refused_plainly_and_the_request_is_kept(client, dana, typed):
    privacy_request = started(client)
    real = last_code_for("dana@example.com")
    wrong = f"{(int(real) + 1) % 10**6:06d}" if typed == "wrong" else typed

    response = client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": wrong})

    assert_field_error(response, "code", "That code is not right.")
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED


def test_a_code_typed_with_spaces_still_works(client, dana):
    privacy_request = started(client)
    code = last_code_for("dana@example.com")

    response = client.post(
        f"/requests/{privacy_request.reference}/confirm-email/",
        {"code": f" {code[:3]} {code[3:]} "},
    )

    assert response.status_code == 302
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING


def test_many_wrong_codes_end_in_a_plain_lock_message_and_the_request_survives(browser, dana):
    privacy_request = started(browser)
    real = last_code_for("dana@example.com")
    wrong = f"{(int(real) + 1) % 10**6:06d}"
    url = f"/requests/{privacy_request.reference}/confirm-email/"

    answers = [browser.post(url, {"code": wrong}) for _ in range(8)]
    with_the_right_code = browser.post(url, {"code": real})

    assert all(answer.status_code == 200 for answer in answers)
    assert_told(answers[0], "That code is not right.")
    for answer in (answers[-1], with_the_right_code):
        assert_field_error(answer, "code", "paused after five unsuccessful attempts")
        assert_told(answer, "You can try again after")
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED
    assert browser.get(f"/requests/{privacy_request.reference}/").status_code == 200


def test_asking_for_new_codes_again_and_again_does_not_flood_the_inbox(client, dana):
    privacy_request = started(client)

    for _ in range(20):
        client.post(f"/requests/{privacy_request.reference}/new-code/")

    assert len(emails_to("dana@example.com")) <= 6


# --- Step four: the data points -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("zip_code", "abc", "A zip code is 5 digits, like 94110."),
        ("zip_code", "9411", "A zip code is 5 digits, like 94110."),
        ("zip_code", "94110-12", "A zip code is 5 digits, like 94110."),
        ("zip_code", OVERLONG, "at most 10 characters"),
        ("zip_code", MARKUP, "at most 10 characters"),
        ("phone", "12", "Enter a phone number like (415) 555-0123."),
        ("phone", "call me maybe", "Enter a phone number like (415) 555-0123."),
        ("phone", OVERLONG, "at most 30 characters"),
        ("address", MARKUP, "Please use letters, numbers and punctuation only."),
        ("address", OVERLONG, "at most 200 characters"),
        ("address", "742 Sample\x00Lane", "Null characters are not allowed."),
        ("recent_purchase", "<b>DP-1</b>", "Please use letters, numbers and punctuation only."),
        ("recent_purchase", OVERLONG, "at most 40 characters"),
    ],
)
def test_a_badly_formatted_detail_is_explained_and_uses_up_no_attempt(
    client, dana, field, value, message
):
    privacy_request = through_email(client)
    answers = {"zip_code": "94110", "address": "742 Sample Lane"} | {field: value}

    response = verify(client, privacy_request, **answers)

    assert_field_error(response, field, message)
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING
    assert not VerificationCheck.objects.exists()  # nothing was compared, nothing counted
    assert_told(verify(client, privacy_request, zip_code="10001"), "(4 attempts left)")


@pytest.mark.parametrize(
    "answers",
    [{}, {"address": "", "zip_code": "", "recent_purchase": "", "phone": ""}, {"address": "   "}],
    ids=["nothing-sent", "all-empty", "only-spaces"],
)
def test_no_details_at_all_asks_for_them(client, dana, answers):
    privacy_request = through_email(client)

    response = verify(client, privacy_request, **answers)

    assert_told(response, "Fill in the details you can")
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING


@pytest.mark.parametrize(
    "answers",
    [
        {"zip_code": "\uff19\uff14\uff11\uff11\uff10"},  # full-width digits
        {"address": "\u202e742 Sample Lane", "zip_code": "10001"},
        {"address": "742 Sample Lane \U0001f3e0", "zip_code": "10001"},
        {"recent_purchase": "DP-\u200b000001", "zip_code": "10001"},
    ],
    ids=["full-width-zip", "rtl-override", "emoji", "zero-width-space"],
)
def test_unicode_oddities_in_the_details_are_compared_calmly(client, dana, answers):
    privacy_request = through_email(client)

    response = verify(client, privacy_request, **answers)

    assert response.status_code in (200, 302)
    privacy_request.refresh_from_db()
    assert PrivacyRequest.objects.filter(pk=privacy_request.pk).exists()


def test_details_typed_in_the_wrong_format_are_not_called_missing(client, dana):
    privacy_request = through_email(client)

    response = verify(client, privacy_request, zip_code="abc", phone="12")

    assert_field_error(response, "zip_code", "A zip code is 5 digits, like 94110.")
    assert "Fill in the details you can" not in response.content.decode()


@pytest.mark.parametrize(
    ("declaration_name", "ticked", "field", "message"),
    [
        ("", True, "declaration_name", "Enter your full name, as your signature."),
        (MARKUP, True, "declaration_name", "Please use letters, numbers and punctuation only."),
        (OVERLONG, True, "declaration_name", "can be at most 200 characters."),
        ("Dana Shopper", False, "declaration", "Tick the declaration to sign it."),
    ],
)
def test_a_bad_signature_on_the_declaration_is_explained_beside_it(
    client, dana, declaration_name, ticked, field, message
):
    privacy_request = through_email(client, type=RequestType.KNOW_SPECIFIC)
    order = dana.orders.order_by("-placed_at").first().order_number
    answers = {"zip_code": "94110", "address": "742 Sample Lane", "recent_purchase": order}
    answers["declaration_name"] = declaration_name
    if ticked:
        answers["declaration"] = "on"

    response = verify(client, privacy_request, **answers)

    assert_field_error(response, field, message)
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING
    assert privacy_request.declaration_name == ""


# --- The final confirmation of a deletion ----------------------------------------------------


def test_confirming_a_deletion_without_ticking_the_box_says_so_and_keeps_the_request(client, dana):
    privacy_request = awaiting_delete_confirmation(client)

    response = client.post(f"/requests/{privacy_request.reference}/confirm-delete/", {})

    assert_field_error(response, "confirm", "Tick the box to confirm the deletion.")
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    assert privacy_request.delete_confirmed_at is None


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("", "Enter your password to confirm it is you."),
        ("wrong-password", "That password is not right. Please try again."),
        (OVERLONG, "That password is not right. Please try again."),
    ],
    ids=["empty", "wrong", "overlong"],
)
def test_an_account_holders_bad_password_at_the_final_step_keeps_the_request(
    client, account_holder, password, message
):
    client.post(DETAILS.format(type="delete", who="self"), {"password": factories.PASSWORD})
    privacy_request = latest_request()

    response = client.post(
        f"/requests/{privacy_request.reference}/confirm-delete/",
        {"confirm": "on", "password": password},
    )

    assert_field_error(response, "password", message)
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION


def test_someone_else_signed_in_cannot_confirm_an_account_holders_deletion(client, account_holder):
    client.post(DETAILS.format(type="delete", who="self"), {"password": factories.PASSWORD})
    privacy_request = latest_request()
    client.force_login(factories.outsider())

    response = client.post(
        f"/requests/{privacy_request.reference}/confirm-delete/",
        {"confirm": "on", "password": factories.PASSWORD},
    )

    assert response.status_code in (302, 404)
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION


# --- Checking a request -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "email", "field", "message"),
    [
        ("", "dana@example.com", "reference", "Enter the reference of your request."),
        ("12345", "dana@example.com", "reference", "A reference looks like PR-2026-7KQ4-M9XD."),
        ("PR-26-1", "dana@example.com", "reference", "A reference looks like PR-2026-7KQ4-M9XD."),
        (MARKUP, "dana@example.com", "reference", "at most 20 characters"),
        (OVERLONG, "dana@example.com", "reference", "at most 20 characters"),
        ("PR-2026-000001", "", "email", "Enter the email address you gave us."),
        ("PR-2026-000001", "dana", "email", "Enter an email address like name@example.com."),
        ("PR-2026-000001", OVERLONG, "email", "Enter an email address like name@example.com."),
    ],
    ids=[
        "no-reference",
        "digits-only",
        "short-year",
        "markup",
        "overlong",
        "no-email",
        "bad-email",
        "overlong-email",
    ],
)
def test_a_bad_status_lookup_is_explained_beside_the_field(
    browser, reference, email, field, message
):
    response = browser.post("/requests/status/", {"reference": reference, "email": email})

    assert_field_error(response, field, message)
    assert MARKUP not in response.content.decode()


@pytest.mark.parametrize(
    "reference",
    [
        "PR-2026-999999",
        "pr-2026-000001",
        " PR-2026-000001 ",
        "PR-1999-0000001",
        "PR-2026-00000\u0661",
    ],
)
def test_a_well_formed_but_unknown_reference_gets_the_usual_answer(browser, dana, reference):
    response = browser.post(
        "/requests/status/", {"reference": reference, "email": "x@example.com"}, follow=True
    )

    assert_told(response, "If the reference and email address match a request")


# --- Made-up references, tokens and methods in URLs -------------------------------------------

UNKNOWN_REFERENCES = [
    "PR-2026-999999",
    "garbage",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%E2%80%AEPR-2026-000001",
    "x" * 1000,
    "..%2F..%2Fetc%2Fpasswd",
]


@pytest.mark.parametrize("reference", UNKNOWN_REFERENCES)
@pytest.mark.parametrize(
    ("method", "step"),
    [
        ("get", ""),
        ("get", "confirm-email/"),
        ("post", "confirm-email/"),
        ("get", "verify/"),
        ("post", "verify/"),
        ("get", "confirm-delete/"),
        ("post", "confirm-delete/"),
        ("post", "new-code/"),
        ("post", "withdraw/"),
    ],
)
def test_an_unknown_reference_in_the_address_is_not_found(browser, reference, method, step):
    response = getattr(browser, method)(f"/requests/{reference}/{step}")

    assert response.status_code == 404


def test_another_browser_cannot_reach_any_step_of_a_real_request(client, dana):
    privacy_request = started(client)
    stranger = Client(raise_request_exception=False)

    for step in ("", "confirm-email/", "verify/", "confirm-delete/"):
        assert stranger.get(f"/requests/{privacy_request.reference}/{step}").status_code == 404
    for step in ("confirm-email/", "new-code/", "withdraw/"):
        assert stranger.post(f"/requests/{privacy_request.reference}/{step}").status_code == 404
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED


@pytest.mark.parametrize("step", ["new-code/", "withdraw/"])
def test_a_post_only_step_opened_by_get_is_refused_politely(client, dana, step):
    privacy_request = started(client)

    assert client.get(f"/requests/{privacy_request.reference}/{step}").status_code == 405


@pytest.mark.parametrize("link", ["status", "agent-confirm"])
@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "-",
        "abc-def",
        "1-",
        "123-wrongsecret",
        "99999999999999999999999999-secret",
        "0-secret",
        "%3Cscript%3E-x",
        "1-" + "x" * 1000,
    ],
)
def test_a_made_up_link_token_shows_the_friendly_link_page(browser, link, token):
    shown = browser.get(f"/requests/{link}/{token}/")
    used = browser.post(f"/requests/{link}/{token}/")

    assert shown.status_code == 200
    assert used.status_code == 200
    assert_told(used, "This link cannot be used", "This link is not valid.")
    assert "<script>" not in used.content.decode()


def test_a_status_link_used_as_an_agent_confirmation_is_not_valid(browser, dana):
    privacy_request = started(browser)
    browser.post(
        "/requests/status/", {"reference": privacy_request.reference, "email": "dana@example.com"}
    )
    link = re.search(r"/requests/status/(\S+)/", emails_to("dana@example.com")[-1].body)
    assert link

    response = browser.post(f"/requests/agent-confirm/{link.group(1)}/")

    assert_told(response, "This link is not valid.")


# --- CSRF: every form refuses a post without its token ----------------------------------------


@pytest.fixture
def forged(client, dana):
    """A browser that made a request (its session may act on it) but posts without a CSRF
    token, as a page on another site would."""
    privacy_request = started(client)
    other_site = Client(enforce_csrf_checks=True)
    other_site.cookies = client.cookies
    return other_site, privacy_request


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/requests/new/details/?type=delete&who=self",
            {"requester_name": "X", "requester_email": "x@example.com"},
        ),
        ("/requests/new/details/?type=know_specific&who=agent", agent_details()),
        ("/requests/new/details/?type=delete&who=parent", {"requester_name": "X"}),
        ("/requests/{ref}/confirm-email/", {"code": "123456"}),
        ("/requests/{ref}/new-code/", {}),
        ("/requests/{ref}/verify/", {"zip_code": "94110"}),
        ("/requests/{ref}/confirm-delete/", {"confirm": "on"}),
        ("/requests/{ref}/withdraw/", {}),
        ("/requests/status/", {"reference": "PR-2026-000001", "email": "dana@example.com"}),
        ("/requests/status/1-secret/", {}),
        ("/requests/agent-confirm/1-secret/", {}),
    ],
    ids=[
        "details-self",
        "details-agent",
        "details-parent",
        "confirm-email",
        "new-code",
        "verify",
        "confirm-delete",
        "withdraw",
        "status-lookup",
        "status-link",
        "agent-confirm",
    ],
)
def test_a_post_without_the_csrf_token_is_refused(forged, path, data):
    other_site, privacy_request = forged
    emails_before = len(emails_to("dana@example.com"))

    response = other_site.post(path.format(ref=privacy_request.reference), data)

    assert response.status_code == 403
    assert PrivacyRequest.objects.count() == 1
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED
    assert len(emails_to("dana@example.com")) == emails_before


def test_a_signed_in_account_holder_is_protected_from_forged_posts_too(account_holder, client):
    other_site = Client(enforce_csrf_checks=True)
    other_site.force_login(account_holder.user)

    response = other_site.post(
        DETAILS.format(type="delete", who="self"), {"password": factories.PASSWORD}
    )

    assert response.status_code == 403
    assert not PrivacyRequest.objects.exists()
