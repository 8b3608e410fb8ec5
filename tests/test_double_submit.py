"""A form sent twice acts once (issue 10, items 8a, 8b and 8g).

Each page renders a fresh token in its form; the first POST claims it in the same transaction
as what it creates, and a second POST with the token is sent where the first went. The
scenarios post what the browser would: the page's own form, token included, twice. The
simultaneous version, with threads on PostgreSQL, is in test_concurrency_double_submit.py.
"""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.db import OperationalError
from django.test import Client

from consent.models import ConsentEvent, PreferenceChange
from core.idempotency import REPLAY_MESSAGE
from core.models import FormSubmission, OutboundEmail
from requests_app import access, services
from requests_app.models import (
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    Status,
)
from tests import factories
from tests.consent_factories import adult
from tests.request_helpers import emails_to, last_code_for
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db

DETAILS = "/requests/new/details/?type=know_categories&who=self"
DANA = {"requester_name": "Dana Shopper", "requester_email": "dana@example.com"}
# The message a second POST shows, as the page has it (HTML-escaped).
TOLD_TWICE = REPLAY_MESSAGE.split(".")[0]


TOKEN = re.compile(r'name="submission_token" value="([^"]+)"')


def form_of(client, url, *, form: int = 0) -> dict:
    """The hidden fields of the page's `form`-th token form, as the browser sends them back
    (nothing on a page that renders no token: the scenario then shows what happens without)."""
    tokens = TOKEN.findall(client.get(url).content.decode())
    return {"submission_token": tokens[form]} if len(tokens) > form else {}


def sent_twice(client, url, data, *, second_client=None):
    """POST the same form twice, as a double click does; returns both responses."""
    first = client.post(url, data)
    second = (second_client or client).post(url, data)
    return first, second


def emails_of(kind: str) -> int:
    return OutboundEmail.objects.filter(kind=kind).count()


@pytest.fixture
def dana():
    return factories.consumer(email="dana@example.com", zip_code="94110", full_name="Dana Shopper")


# --- The request form ------------------------------------------------------------------------


def test_a_request_form_sent_twice_creates_one_request_and_one_receipt(client, dana):
    data = DANA | form_of(client, DETAILS)

    first, second = sent_twice(client, DETAILS, data)

    assert PrivacyRequest.objects.count() == 1
    assert emails_of("request.received") == 1
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    shown = client.get(second["Location"])
    assert TOLD_TWICE in shown.content.decode()
    assert "Confirm your email address" in shown.content.decode()


def test_the_browser_that_sees_the_second_response_is_shown_the_request(dana):
    """After a double click the browser follows the second response, which may not carry the
    session cookie the first one set: it must still reach the request's page."""
    first_browser, second_browser = Client(), Client()
    data = DANA | form_of(first_browser, DETAILS)

    first, second = sent_twice(first_browser, DETAILS, data, second_client=second_browser)

    assert PrivacyRequest.objects.count() == 1
    assert second["Location"] == first["Location"]
    assert second_browser.get(second["Location"]).status_code == 200


def test_a_token_posted_to_another_page_claims_nothing_there(client, dana):
    data = DANA | form_of(client, DETAILS)
    client.post(DETAILS, data)

    other = client.post("/requests/new/details/?type=delete&who=self", data)

    assert other.status_code == 302
    assert PrivacyRequest.objects.count() == 2


def test_a_form_with_errors_gives_its_token_back_for_the_corrected_form(client, dana):
    data = DANA | form_of(client, DETAILS)

    with_errors = client.post(DETAILS, data | {"requester_email": "dana"})
    corrected = client.post(DETAILS, data)

    assert with_errors.status_code == 200
    assert corrected.status_code == 302
    assert PrivacyRequest.objects.count() == 1
    assert TOLD_TWICE not in client.get(corrected["Location"]).content.decode()


def test_a_refused_submission_gives_its_token_back(client, dana, monkeypatch):
    data = DANA | form_of(client, DETAILS)
    refused = services.SubmissionRefused("Please try again later.")
    with monkeypatch.context() as patched:
        patched.setattr(services, "request_submit", lambda **kwargs: (_ for _ in ()).throw(refused))
        assert client.post(DETAILS, data).status_code == 200

    assert client.post(DETAILS, data).status_code == 302
    assert PrivacyRequest.objects.count() == 1


def test_a_post_without_a_token_is_taken_as_before(client, dana):
    """A client that is not our page (no token) is not protected, but not refused either."""
    client.post(DETAILS, DANA)
    client.post(DETAILS, DANA)

    assert PrivacyRequest.objects.count() == 2
    assert FormSubmission.objects.count() == 0


def test_an_account_holders_double_click_spends_one_request_of_the_years_two():
    ana = factories.consumer_with_account(email="ana@example.com")
    browser = Client()
    assert ana.user is not None
    browser.force_login(ana.user)
    data = {"password": factories.PASSWORD} | form_of(browser, DETAILS)

    sent_twice(browser, DETAILS, data)

    assert PrivacyRequest.objects.filter(requester_user=ana.user).count() == 1
    assert PrivacyRequest.objects.filter(consumer=ana, counts_toward_cap=True).count() == 1
    assert emails_of("request.verified") == 1


@pytest.mark.parametrize("who", [RequesterKind.AGENT, RequesterKind.PARENT])
def test_an_agents_or_parents_request_sent_twice_is_one_request(client, dana, who):
    url = f"/requests/new/details/?type=know_categories&who={who}"
    data = DANA | form_of(client, url) | {"subject_name": "Sam", "subject_email": "sam@example.com"}
    if who == RequesterKind.PARENT:
        data["parent_declaration"] = "on"

    for _ in range(2):
        document = _permission_pdf() if who == RequesterKind.AGENT else None
        response = client.post(url, data | ({"permission": document} if document else {}))
        assert response.status_code == 302, response.content.decode()[-1500:]

    assert PrivacyRequest.objects.count() == 1


def _permission_pdf():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("permission.pdf", b"%PDF-1.4 signed", "application/pdf")


# --- A database blip after the request was saved (8g) ----------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_request_saved_before_an_error_is_not_made_again_when_the_consumer_resends_it(
    dana, monkeypatch
):
    """The request commits, then saving the browser's session fails: the consumer sees a 500
    and sends the form again. The token finds the saved request and shows it."""
    browser = Client(raise_request_exception=False)
    data = DANA | form_of(browser, DETAILS)
    real_save = SessionStore.save
    blips = iter([OperationalError("server closed the connection unexpectedly")])

    def save_fails_once(self, *args, **kwargs):
        error = next(blips, None)
        if error is not None:
            raise error
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(SessionStore, "save", save_fails_once)

    lost = browser.post(DETAILS, data)
    assert lost.status_code == 500
    assert PrivacyRequest.objects.count() == 1  # saved all the same

    again = browser.post(DETAILS, data)

    assert again.status_code == 302
    assert PrivacyRequest.objects.count() == 1
    assert emails_of("request.received") == 1
    page = browser.get(again["Location"])
    assert page.status_code == 200
    assert PrivacyRequest.objects.get().reference in page.content.decode()


# --- The steps after the request ----------------------------------------------------------------


def submitted(client) -> PrivacyRequest:
    assert client.post(DETAILS, DANA).status_code == 302
    return PrivacyRequest.objects.get()


def test_a_new_code_asked_for_twice_sends_one(client, dana):
    privacy_request = submitted(client)
    page = f"/requests/{privacy_request.reference}/confirm-email/"
    resend = f"/requests/{privacy_request.reference}/new-code/"
    data = form_of(client, page, form=1)  # the second form: "send a new code"

    first, second = sent_twice(client, resend, data)

    assert emails_of("request.code") == 1
    assert second["Location"] == first["Location"]


def test_the_email_code_sent_twice_confirms_once_and_shows_the_next_step(client, dana):
    privacy_request = submitted(client)
    url = f"/requests/{privacy_request.reference}/confirm-email/"
    data = {"code": last_code_for("dana@example.com")} | form_of(client, url)

    first, second = sent_twice(client, url, data)

    assert (
        second["Location"] == first["Location"] == f"/requests/{privacy_request.reference}/verify/"
    )
    assert privacy_request.events.filter(kind=RequestEvent.Kind.EMAIL_CONFIRMED).count() == 1


def confirmed(client) -> PrivacyRequest:
    privacy_request = submitted(client)
    code = last_code_for("dana@example.com")
    client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFYING
    return privacy_request


def test_the_data_points_sent_twice_verify_once(client, dana):
    privacy_request = confirmed(client)
    url = f"/requests/{privacy_request.reference}/verify/"
    data = {"zip_code": "94110", "address": "742 Sample Lane"} | form_of(client, url)

    first, second = sent_twice(client, url, data)

    assert second["Location"] == first["Location"]
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.events.filter(kind=RequestEvent.Kind.VERIFIED).count() == 1
    assert emails_of("request.verified") == 1


def test_a_withdrawal_sent_twice_says_done_not_that_it_failed(client, dana):
    privacy_request = submitted(client)
    data = form_of(client, f"/requests/{privacy_request.reference}/confirm-email/")
    url = f"/requests/{privacy_request.reference}/withdraw/"

    first, second = sent_twice(client, url, data)

    page = client.get(second["Location"]).content.decode()
    assert "already been answered or closed" not in page
    assert privacy_request.events.filter(kind=RequestEvent.Kind.WITHDRAWN).count() == 1


def test_a_status_link_asked_for_twice_is_emailed_once(client, dana):
    privacy_request = submitted(client)
    data = {"reference": privacy_request.reference, "email": "dana@example.com"}
    data |= form_of(client, "/requests/status/")

    first, second = sent_twice(client, "/requests/status/", data)

    assert first["Location"] == second["Location"] == "/requests/status/sent/"
    assert emails_of("request.status_link") == 1
    assert "If the reference and email address match" in client.get(first["Location"]).text


def test_a_status_link_opened_with_a_double_click_shows_the_request(client, dana):
    privacy_request = submitted(client)
    client.post(
        "/requests/status/", {"reference": privacy_request.reference, "email": "dana@example.com"}
    )
    link = re.search(
        r"127\.0\.0\.1:\d+(/requests/status/\S+/)", emails_to("dana@example.com")[-1].body
    )
    at_home = Client()
    data = form_of(at_home, link.group(1))

    first, second = sent_twice(at_home, link.group(1), data, second_client=Client())

    assert first["Location"] == second["Location"] == f"/requests/{privacy_request.reference}/"


# --- 8b: the request moved on while the form was on its way ------------------------------------


def stale_request(monkeypatch, move_on):
    """The page reads the request, then the other click's POST changes it before this one
    reaches the service: what two simultaneous POSTs do, made deterministic."""
    real = access.get_request_or_404

    def read_then_moved_on(http_request, reference):
        privacy_request = real(http_request, reference)
        move_on(PrivacyRequest.objects.get(pk=privacy_request.pk))
        return privacy_request

    monkeypatch.setattr(access, "get_request_or_404", read_then_moved_on)


def test_an_email_code_posted_after_the_request_moved_on_shows_where_it_stands(
    client, dana, monkeypatch
):
    privacy_request = submitted(client)
    code = last_code_for("dana@example.com")
    stale_request(
        monkeypatch,
        lambda fresh: services.request_confirm_email(privacy_request=fresh, code=code),
    )

    response = client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})

    assert response.status_code == 302
    assert response["Location"] == f"/requests/{privacy_request.reference}/verify/"
    monkeypatch.undo()
    assert "That step was already done" in client.get(response["Location"]).content.decode()


def test_data_points_posted_after_the_request_was_verified_show_where_it_stands(
    client, dana, monkeypatch
):
    privacy_request = confirmed(client)
    answers = {"zip_code": "94110", "address": "742 Sample Lane"}
    stale_request(
        monkeypatch,
        lambda fresh: services.request_verify_data_points(privacy_request=fresh, answers=answers),
    )

    response = client.post(f"/requests/{privacy_request.reference}/verify/", answers)

    assert response.status_code == 302
    assert response["Location"] == f"/requests/{privacy_request.reference}/"
    monkeypatch.undo()
    assert "That step was already done" in client.get(response["Location"]).content.decode()


def test_a_deletion_confirmed_twice_shows_where_it_stands(client, dana, monkeypatch):
    assert client.post("/requests/new/details/?type=delete&who=self", DANA).status_code == 302
    privacy_request = PrivacyRequest.objects.get()
    code = last_code_for("dana@example.com")
    client.post(f"/requests/{privacy_request.reference}/confirm-email/", {"code": code})
    client.post(
        f"/requests/{privacy_request.reference}/verify/",
        {"zip_code": "94110", "address": "742 Sample Lane"},
    )
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    stale_request(monkeypatch, lambda fresh: services.request_confirm_delete(privacy_request=fresh))

    response = client.post(
        f"/requests/{privacy_request.reference}/confirm-delete/", {"confirm": "on"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/requests/{privacy_request.reference}/"


# --- Do not sell, preferences --------------------------------------------------------------------


def test_an_opt_out_sent_twice_marks_the_second_browser_opted_out_too(client):
    dana = adult(email="dana@example.com")
    data = {"identifier": "dana@example.com"} | form_of(client, "/do-not-sell/")
    second_browser = Client()

    first, second = sent_twice(client, "/do-not-sell/", data, second_client=second_browser)

    assert first["Location"] == second["Location"]
    assert ConsentEvent.objects.filter(consumer=dana, kind="opted_out").count() == 1
    assert emails_of("consent.opt_out") == 1
    assert second.cookies[settings.GPC_COOKIE_NAME].value == "1"  # this browser is marked too


def test_a_preferences_change_sent_twice_is_one_change_and_says_so(client):
    dana = factories.consumer_with_account(email="dana@example.com")
    client.force_login(dana.user)
    data = {"email": "", "postal": "", "sms": ""} | form_of(client, "/preferences/")

    first, second = sent_twice(client, "/preferences/", data)

    assert second["Location"] == first["Location"]
    page = client.get(second["Location"]).content.decode()
    assert TOLD_TWICE in page
    assert "Nothing changed" not in page
    assert PreferenceChange.objects.filter(consumer=dana).count() >= 1


def test_a_preferences_link_asked_for_twice_is_emailed_once(client):
    factories.consumer(email="dana@example.com")
    data = {"email": "dana@example.com"} | form_of(client, "/preferences/")

    sent_twice(client, "/preferences/link/", data)

    assert emails_of("consent.preferences_link") == 1


# --- Staff ---------------------------------------------------------------------------------------


def test_a_phone_request_logged_with_a_double_click_is_one_request():
    care = signed_in(staff_in_role("Customer care"))
    url = "/staff/intake/?channel=phone"
    data = {
        "adult": "on",
        "request_type": "know_categories",
        "requester_kind": "self",
        "caller_name": "Dana Shopper",
        "caller_email": "dana@example.com",
    } | form_of(care, url)

    first, second = sent_twice(care, url, data)

    assert first.status_code == 302, first.content.decode()[-1500:]
    assert second["Location"] == first["Location"]
    assert PrivacyRequest.objects.count() == 1
    assert care.get(second["Location"]).status_code == 200


def test_a_staff_note_added_with_a_double_click_is_one_note():
    officer = signed_in(staff_in_role("Privacy officer"))
    request = factories.PrivacyRequestFactory.create(status=Status.VERIFIED)
    data = {"note-text": "Called back, no answer."} | form_of(
        officer, f"/staff/requests/{request.reference}/"
    )

    sent_twice(officer, f"/staff/requests/{request.reference}/note/", data)

    assert request.events.filter(kind=RequestEvent.Kind.NOTE).count() == 1


def test_an_extension_sent_twice_is_recorded_once_and_the_second_is_no_error():
    officer = signed_in(staff_in_role("Privacy officer"))
    request = factories.PrivacyRequestFactory.create(status=Status.VERIFIED)
    from core import legal_clock

    data = {
        "extend-new_due_date": legal_clock.local_date(request.due_at) + timedelta(days=10),
        "extend-reason": "Several systems hold your records.",
    } | form_of(officer, f"/staff/requests/{request.reference}/")

    first, second = sent_twice(officer, f"/staff/requests/{request.reference}/extend/", data)

    assert first.status_code == second.status_code == 302
    assert request.events.filter(kind=RequestEvent.Kind.EXTENDED).count() == 1
    assert emails_of("request.extended") == 1


# --- Every form that creates or changes something carries a token ------------------------------

# Forms that create nothing: signing out, revealing (each reveal is logged on purpose), and an
# account holder's password before a download.
NOT_CREATING = ("/sign-out/", "/reveal/", "/reauthenticate/")


def post_forms_without_a_token(html: str) -> list[str]:
    forms = re.findall(r"<form\b([^>]*)>(.*?)</form>", html, flags=re.DOTALL)
    missing = []
    for attributes, body in forms:
        if 'method="post"' not in attributes:
            continue
        action = re.search(r'action="([^"]*)"', attributes)
        where = action.group(1) if action else "(this page)"
        if not where.endswith(NOT_CREATING) and "submission_token" not in body:
            missing.append(where)
    return missing


def pages_with_forms():
    """Each page with a form that creates or changes something, seen by who would use it."""
    dana = factories.consumer_with_account(email="dana@example.com")
    consumer = Client()
    assert dana.user is not None
    consumer.force_login(dana.user)
    anonymous = Client()
    yield "request, self", anonymous.get(DETAILS)
    yield "request, agent", anonymous.get(DETAILS.replace("who=self", "who=agent"))
    yield "request, parent", anonymous.get(DETAILS.replace("who=self", "who=parent"))
    yield "request, account holder", consumer.get(DETAILS)
    assert anonymous.post("/requests/new/details/?type=delete&who=self", DANA).status_code == 302
    reference = PrivacyRequest.objects.get(requester_email="dana@example.com").reference
    yield "email code and new code", anonymous.get(f"/requests/{reference}/confirm-email/")
    yield "request page (withdraw)", anonymous.get(f"/requests/{reference}/")
    PrivacyRequest.objects.filter(reference=reference).update(status=Status.VERIFYING)
    yield "data points", anonymous.get(f"/requests/{reference}/verify/")
    PrivacyRequest.objects.filter(reference=reference).update(
        status=Status.AWAITING_DELETE_CONFIRMATION
    )
    yield "confirm deletion", anonymous.get(f"/requests/{reference}/confirm-delete/")
    yield "status lookup", anonymous.get("/requests/status/")
    yield "status link", anonymous.get("/requests/status/1-secret/")
    yield "agent confirmation", anonymous.get("/requests/agent-confirm/1-secret/")
    yield "do not sell", anonymous.get("/do-not-sell/")
    yield "do not sell, one click", consumer.get("/do-not-sell/")
    yield "preferences link", anonymous.get("/preferences/")
    yield "preferences", consumer.get("/preferences/")
    services_opt_out(dana)
    yield "allow sale", consumer.get("/do-not-sell/allow/")
    care = signed_in(staff_in_role("Customer care"))
    yield "staff intake", care.get("/staff/intake/?channel=phone")
    officer = signed_in(staff_in_role("Privacy officer"))
    yield "staff actions", officer.get(f"/staff/requests/{reference}/")


def services_opt_out(consumer):
    from consent.models import ConsentSource
    from consent.services import sale_opt_out

    sale_opt_out(consumer=consumer, source=ConsentSource.ACCOUNT)


def test_every_form_that_creates_or_changes_something_carries_a_token():
    missing = {}
    for page, response in pages_with_forms():
        assert response.status_code == 200, page
        html = response.content.decode()
        assert 'method="post"' in html, f"{page}: no form on the page"
        if without := post_forms_without_a_token(html):
            missing[page] = without

    assert missing == {}


def test_a_post_that_failed_before_saving_anything_can_be_sent_again(dana, monkeypatch):
    browser = Client(raise_request_exception=False)
    data = DANA | form_of(browser, DETAILS)
    with monkeypatch.context() as patched:
        patched.setattr(services, "request_submit", lambda **kwargs: 1 / 0)
        assert browser.post(DETAILS, data).status_code == 500

    again = browser.post(DETAILS, data)

    assert again.status_code == 302
    assert PrivacyRequest.objects.count() == 1
    assert TOLD_TWICE not in browser.get(again["Location"]).content.decode()


def test_the_sweep_forgets_form_tokens_after_a_week(client, dana):
    from django.utils import timezone

    from core.sweep import sweep_run

    client.post(DETAILS, DANA | form_of(client, DETAILS))
    assert FormSubmission.objects.count() == 1

    sweep_run(now=timezone.now() + timedelta(days=6))
    assert FormSubmission.objects.count() == 1
    sweep_run(now=timezone.now() + timedelta(days=8))
    assert FormSubmission.objects.count() == 0
