"""What the fuzzing found (tests/test_fuzz_*.py), each kept as a plain example so that it stays
fixed whatever the fuzzer draws next time; and the hostile payload of the issue walked through
every page and email where it shows later, the staff queue above all."""

import pytest
from django.test import Client
from django.utils.html import escape
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.masking import mask_email, mask_name
from requests_app.models import PrivacyRequest
from staff.roles import CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.fuzz_support import assert_emails_safe
from tests.request_helpers import deliver_emails
from tests.staff_helpers import current_code, signed_in, staff_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def olga():
    return staff_in_role(PRIVACY_OFFICER, "olga")


@pytest.mark.parametrize("next_url", ["0", "queue", "staff:queue", "admin"])
def test_a_bare_word_as_next_after_the_second_factor_goes_to_the_queue(olga, next_url):
    browser = signed_in(olga, verified=False)
    code = current_code(TOTPDevice.objects.get(user=olga))

    response = browser.post(f"/staff/verify/?next={next_url}", {"token": code, "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/staff/"


def test_a_bare_word_as_next_at_sign_in_is_not_carried_to_the_second_factor(olga):
    response = Client().post(
        "/staff/sign-in/?next=0", {"username": "olga", "password": factories.PASSWORD, "next": "0"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/staff/verify/?next=%2Fstaff%2F"


# --- The payload, through every page and email where it lands ---------------------------

PAYLOAD = "<script>x</script>\"'&"
# A name the forms accept: they refuse < and >, but quotes and ampersands are a name's own.
NAME = 'Dana "Dee" O\'Brien & Co'
EMAIL = "o'brien&co@example.com"


def shows_escaped(response, text: str) -> str:
    body = response.content.decode()
    assert response.status_code < 500
    assert "<script>x" not in body
    assert escape(text) in body, f"{text!r} is not on {response.request['PATH_INFO']} escaped"
    return body


def test_the_payload_as_a_name_is_refused_in_words_and_echoed_escaped(client):
    response = client.post(
        "/requests/new/details/?type=know_categories&who=self",
        {"requester_name": PAYLOAD, "requester_email": EMAIL},
    )

    assert response.status_code == 200
    body = shows_escaped(response, PAYLOAD)
    assert "Please use letters, numbers and punctuation only." in body
    assert not PrivacyRequest.objects.exists()


def test_the_payload_shows_escaped_in_the_queue_request_page_history_and_emails(client, olga):
    officer = signed_in(olga)
    response = client.post(
        "/requests/new/details/?type=know_categories&who=self",
        {"requester_name": NAME, "requester_email": EMAIL},
    )
    assert response.status_code == 302
    privacy_request = PrivacyRequest.objects.get()
    reference = privacy_request.reference
    received = next(m for m in deliver_emails() if m.to == [EMAIL])
    assert received.body.startswith(f"Hello {NAME},")  # plain text: as typed, not escaped

    queue = officer.get("/staff/", {"status": "all"})
    shows_escaped(queue, mask_email(EMAIL))
    shows_escaped(officer.get("/staff/", {"q": EMAIL}), mask_email(EMAIL))
    shows_escaped(officer.get(f"/staff/requests/{reference}/"), mask_name(NAME))
    shows_escaped(officer.post(f"/staff/requests/{reference}/reveal/"), NAME)

    officer.post(f"/staff/requests/{reference}/note/", {"note-text": PAYLOAD})
    shows_escaped(officer.get(f"/staff/requests/{reference}/"), PAYLOAD)  # the history

    denied = officer.post(
        f"/staff/requests/{reference}/deny/",
        {"deny-reason": "no_data", "deny-explanation": PAYLOAD},
    )
    assert denied.status_code == 302
    shows_escaped(client.get(f"/requests/{reference}/"), PAYLOAD)
    shows_escaped(officer.get("/staff/", {"q": reference, "status": "all"}), reference)
    answer = next(m for m in deliver_emails() if "Our answer" in m.subject)
    assert PAYLOAD in answer.body  # plain text
    html = answer.alternatives[0][0]
    assert "<script>x" not in html and escape(PAYLOAD) in html
    assert_emails_safe(deliver_emails())


def test_a_name_with_a_line_break_adds_no_email_header(client):
    client.post(
        "/requests/new/details/?type=know_categories&who=self",
        {"requester_name": "Dana\r\nBcc: evil@example.com", "requester_email": "dana@example.com"},
    )

    sent = deliver_emails()
    assert sent
    assert_emails_safe(sent)
    assert all(not m.bcc and m.to == ["dana@example.com"] for m in sent)


def test_an_intake_caller_named_with_quotes_shows_escaped_on_the_done_and_staff_pages(olga):
    care = signed_in(staff_in_role(CUSTOMER_CARE, "carl"))
    response = care.post(
        "/staff/intake/?channel=phone",
        {
            "adult": "on",
            "request_type": "know_categories",
            "requester_kind": "self",
            "caller_name": NAME,
            "caller_email": EMAIL,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    reference = response["Location"].split("done=")[1]

    shows_escaped(care.get(response["Location"]), reference)
    shows_escaped(signed_in(olga).post(f"/staff/requests/{reference}/reveal/"), NAME)
    refused = care.post(
        "/staff/intake/?channel=phone",
        {"adult": "on", "request_type": "delete", "requester_kind": "self", "caller_name": PAYLOAD},
    )
    shows_escaped(refused, PAYLOAD)


# --- A NUL character, which PostgreSQL cannot hold: 400 with a page, never a 500 ------------------

NUL_REFUSED = "contained a character that is not allowed"


@pytest.fixture
def superuser():
    return signed_in(factories.staff_member(username="root", is_superuser=True))


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/admin/requests_app/privacyrequest/", {"status__exact": "\x00"}),
        ("/admin/requests_app/privacyrequest/", {"q": "PR-2026\x00"}),
        ("/admin/registry/consumer/", {"q": "\x00", "o": "1"}),
    ],
)
def test_a_nul_character_in_an_admin_search_or_filter_is_a_400_that_says_why(
    superuser, path, params
):
    # Found by test_fuzz_admin_search on PostgreSQL: the admin passed it to a query (a 500).
    response = superuser.get(path, params)

    assert response.status_code == 400
    assert NUL_REFUSED in response.content.decode()


def test_a_crafted_intake_confirmation_address_is_no_request_not_a_500():
    care = signed_in(staff_in_role(CUSTOMER_CARE, "carl"))

    for done in ("PR-2026-\x00", "PR-2026-7KQ4-M9XD\x00", "\x00" * 30):
        response = care.get("/staff/intake/", {"done": done})

        assert response.status_code == 404


def test_a_nul_character_typed_in_a_form_is_still_explained_beside_the_field(client):
    response = client.post(
        "/requests/status/", {"reference": "PR-2026-000001", "email": "dana\x00@example.com"}
    )

    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()


# --- The fuzzers' checks catch what they look for ------------------------------------------------


def test_the_page_check_catches_unescaped_text_a_server_error_and_an_open_redirect():
    from django.http import HttpResponse, HttpResponseRedirect

    from tests.fuzz_support import assert_page_safe

    def served(response):
        response.request = {"PATH_INFO": "/x/"}
        return response

    for bad in (
        served(HttpResponse("<p>Hello <zqx></p>")),
        served(HttpResponse('<input value="" zqx="1">')),
        served(HttpResponse("oops", status=500)),
        served(HttpResponseRedirect("https://evil.example/")),
    ):
        with pytest.raises(AssertionError):
            assert_page_safe(bad)
    assert_page_safe(served(HttpResponse("<p>Hello &lt;zqx&gt; &quot; zqx=&quot;1</p>")))


def test_the_email_check_catches_an_injected_header_and_unescaped_html():
    from django.core.mail import EmailMultiAlternatives

    injected = EmailMultiAlternatives("Hi", "body", to=["a@example.com"], headers={"X-Zqx": "1"})
    unescaped = EmailMultiAlternatives("Hi", "body", to=["a@example.com"])
    unescaped.attach_alternative("<p><script>zqx()</script></p>", "text/html")

    for bad in (injected, unescaped):
        with pytest.raises(AssertionError):
            assert_emails_safe([bad])
    assert_emails_safe([EmailMultiAlternatives("Hi", "body", to=["a@example.com"])])
