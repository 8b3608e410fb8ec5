"""Fuzzing the consumer's request forms, each step (issue 10, proof suite 3): whatever is typed,
no server error, nothing unescaped on the pages and in the emails where the data later shows
(the consumer's request page, the staff queue, the staff request page and its history, masked
and revealed), and no extra email header.

`make test` runs a few examples of each; `make fuzz` (HYPOTHESIS_PROFILE=ci) 1,000 of each.
"""

import pytest
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from requests_app.models import PrivacyRequest, Status
from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.fuzz_support import (
    HOSTILE,
    assert_page_safe,
    drawn,
    form_on,
    fuzz_settings,
    hostile_text,
    one_example,
    or_hostile,
    post_as_rendered,
    sent_emails_checked,
)
from tests.request_helpers import last_code_for, latest_request
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db

TYPES = ["know_categories", "know_specific", "delete"]
DETAILS = "/requests/new/details/"


@pytest.fixture
def client():
    """A browser whose posts must carry the CSRF token its page gave it, as a real one does:
    every form is posted with the hidden fields it was rendered with."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def officer():
    return signed_in(staff_in_role(PRIVACY_OFFICER, "olga"))


@pytest.fixture
def dana():
    """A shopper in the registry, so that data points can match."""
    person = factories.consumer(
        email="dana@example.com", zip_code="94110", full_name="Dana Shopper"
    )
    person.latest_order = person.orders.order_by("-placed_at").first().order_number  # type: ignore[attr-defined]
    return person


def where_it_shows_checked(
    data, privacy_request: PrivacyRequest, *, consumer: Client, officer: Client
) -> None:
    """The emails sent, and one of the pages where what the consumer typed shows later (one
    drawn per example keeps 1,000 examples affordable; each page gets its share of them).
    test_fuzz_findings.py walks every page for the payloads that once got through."""
    reference = privacy_request.reference
    pages = {
        "consumer's request page": lambda: consumer.get(f"/requests/{reference}/"),
        "staff queue": lambda: officer.get("/staff/", {"q": reference, "status": "all"}),
        "staff request page": lambda: officer.get(f"/staff/requests/{reference}/"),
        "staff request page, revealed": lambda: officer.post(
            f"/staff/requests/{reference}/reveal/"
        ),
    }
    page = data.draw(st.sampled_from(sorted(pages)), label="page where it shows")
    assert_page_safe(pages[page]())
    sent_emails_checked()


def submitted(client: Client, before: int) -> PrivacyRequest | None:
    return latest_request() if PrivacyRequest.objects.count() > before else None


# --- Step one: what and for whom (a GET form) ---


@fuzz_settings
@given(
    type_=or_hostile(st.sampled_from(TYPES)),
    who=or_hostile(st.sampled_from(["self", "agent", "parent"])),
    extra=hostile_text(),
)
def test_fuzz_step_one_choice(client, type_, who, extra):
    with one_example(client):
        response = client.get("/requests/new/", {"type": type_, "who": who, "zqx": extra})
        assert_page_safe(response)
        if response.status_code == 302:
            assert_page_safe(client.get(response["Location"]))


# --- Step two: who is asking ---


@pytest.fixture
def details_forms(client):
    """The details form as rendered for each type of request and each kind of requester."""
    forms = {}
    for type_ in TYPES:
        for who in ("self", "agent", "parent"):
            url = f"{DETAILS}?type={type_}&who={who}"
            forms[type_, who] = url, form_on(client.get(url), having="submission_token")
    return forms


def details_fuzzed(client, officer, details_forms, data, *, whom):
    url, form = details_forms[data.draw(st.sampled_from(TYPES)), data.draw(st.sampled_from(whom))]
    with one_example(client, officer):
        before = PrivacyRequest.objects.count()
        response = client.post(url, drawn(data, form))
        assert_page_safe(response)
        privacy_request = submitted(client, before)
        event("submitted" if privacy_request else f"refused ({response.status_code})")
        if privacy_request is not None:
            assert response.status_code == 302
            where_it_shows_checked(data, privacy_request, consumer=client, officer=officer)


@fuzz_settings
@given(data=st.data())
def test_fuzz_details_of_a_consumer_asking_for_themselves(client, officer, details_forms, data):
    details_fuzzed(client, officer, details_forms, data, whom=["self"])


@fuzz_settings
@given(data=st.data())
def test_fuzz_details_of_an_agent_or_a_parent(client, officer, details_forms, data):
    details_fuzzed(client, officer, details_forms, data, whom=["agent", "parent"])


@pytest.fixture
def account_holder(client):
    person = factories.consumer_with_account(email="ana@example.com", full_name="Ana Account")
    client.force_login(person.user)
    return person


@fuzz_settings
@given(type_=st.sampled_from(TYPES), data=st.data())
def test_fuzz_account_holder_path(client, officer, account_holder, type_, data):
    url = f"{DETAILS}?type={type_}&who=self"
    form = form_on(client.get(url), having="password")
    password = st.one_of(st.just(factories.PASSWORD), hostile_text())
    with one_example(client, officer):
        before = PrivacyRequest.objects.count()
        response = client.post(url, drawn(data, form, password=data.draw(password)))
        assert_page_safe(response)
        privacy_request = submitted(client, before)
        if privacy_request is not None:
            assert_page_safe(client.get("/requests/"))
            where_it_shows_checked(data, privacy_request, consumer=client, officer=officer)


# --- The email code ---


@pytest.fixture
def awaiting_code(client):
    post_as_rendered(
        client,
        f"{DETAILS}?type=know_categories&who=self",
        {"requester_name": "Dana Shopper", "requester_email": "dana@example.com"},
    )
    privacy_request = latest_request()
    assert privacy_request.status == Status.EMAIL_UNCONFIRMED
    return privacy_request, last_code_for("dana@example.com")


@fuzz_settings
@given(data=st.data())
def test_fuzz_email_code(client, officer, awaiting_code, data):
    privacy_request, right_code = awaiting_code
    url = f"/requests/{privacy_request.reference}/confirm-email/"
    form = form_on(client.get(url), having="code")
    if data.draw(st.booleans(), label="the right code"):
        code = data.draw(st.sampled_from([right_code, f" {right_code[:3]} {right_code[3:]}"]))
    else:
        code = data.draw(or_hostile(st.from_regex(r"\A\d{6}\Z"), 40), label="code")
    with one_example(client, officer):
        response = client.post(url, drawn(data, form, code=code))
        assert_page_safe(response)
        event(f"code answered {response.status_code}")
        if data.draw(st.booleans(), label="then ask for a new code"):
            resend = client.post(f"/requests/{privacy_request.reference}/new-code/", form.hidden())
            assert_page_safe(resend)
        where_it_shows_checked(data, privacy_request, consumer=client, officer=officer)


# --- Data points, with the signed declaration for specific pieces ---


@pytest.fixture
def verifying(client, dana):
    """A request of each type, its email confirmed, waiting for data points."""
    waiting = {}
    for type_ in TYPES:
        post_as_rendered(
            client,
            f"{DETAILS}?type={type_}&who=self",
            {"requester_name": "Dana Shopper", "requester_email": "dana@example.com"},
        )
        privacy_request = latest_request()
        post_as_rendered(
            client,
            f"/requests/{privacy_request.reference}/confirm-email/",
            {"code": last_code_for("dana@example.com")},
        )
        privacy_request.refresh_from_db()
        assert privacy_request.status == Status.VERIFYING
        url = f"/requests/{privacy_request.reference}/verify/"
        waiting[type_] = privacy_request, url, form_on(client.get(url), having="zip_code")
    return waiting


def right_or_wrong(right: str, max_size: int = 60):
    return st.one_of(
        st.just(right),
        st.just(right.lower()),
        st.just(f"  {right}  "),
        or_hostile(st.just(right), max_size),
    )


@fuzz_settings
@given(data=st.data())
def test_fuzz_data_points(client, officer, dana, verifying, data):
    privacy_request, url, form = verifying[data.draw(st.sampled_from(TYPES))]
    fixed = {
        "address": data.draw(right_or_wrong("742 Sample Lane")),
        "zip_code": data.draw(right_or_wrong("94110", 20)),
        "recent_purchase": data.draw(right_or_wrong(dana.latest_order, 50)),
        "phone": data.draw(st.one_of(st.just(dana.phone), st.just(""), hostile_text(40))),
    }
    if "declaration_name" in form.fields:
        fixed["declaration_name"] = data.draw(st.one_of(st.just("Dana Shopper"), hostile_text(210)))
    with one_example(client, officer):
        response = client.post(url, drawn(data, form, **fixed))
        assert_page_safe(response)
        privacy_request.refresh_from_db()
        event(f"data points left the request {privacy_request.status}")
        where_it_shows_checked(data, privacy_request, consumer=client, officer=officer)


# --- Confirming a deletion ---


@pytest.fixture
def awaiting_delete_confirmation(client, dana):
    post_as_rendered(
        client,
        f"{DETAILS}?type=delete&who=self",
        {"requester_name": "Dana Shopper", "requester_email": "dana@example.com"},
    )
    privacy_request = latest_request()
    post_as_rendered(
        client,
        f"/requests/{privacy_request.reference}/confirm-email/",
        {"code": last_code_for("dana@example.com")},
    )
    post_as_rendered(
        client,
        f"/requests/{privacy_request.reference}/verify/",
        {"address": "742 Sample Lane", "zip_code": "94110", "recent_purchase": dana.latest_order},
    )
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
    return privacy_request


@fuzz_settings
@given(data=st.data())
def test_fuzz_delete_confirmation_and_withdrawal(
    client, officer, awaiting_delete_confirmation, data
):
    reference = awaiting_delete_confirmation.reference
    form = form_on(client.get(f"/requests/{reference}/confirm-delete/"), having="confirm")
    with one_example(client, officer):
        response = client.post(f"/requests/{reference}/confirm-delete/", drawn(data, form))
        assert_page_safe(response)
        if data.draw(st.booleans(), label="then withdraw"):
            withdraw = client.post(
                f"/requests/{reference}/withdraw/",
                {**form.hidden(), "zqx": data.draw(hostile_text())},
            )
            assert_page_safe(withdraw)
        where_it_shows_checked(data, awaiting_delete_confirmation, consumer=client, officer=officer)


# --- Following a request: status lookup and the emailed links ---


@fuzz_settings
@given(data=st.data())
def test_fuzz_status_lookup(client, awaiting_code, data):
    privacy_request, _ = awaiting_code
    form = form_on(client.get("/requests/status/"), having="reference")
    reference = data.draw(or_hostile(st.just(privacy_request.reference), 40))
    email = data.draw(or_hostile(st.just("dana@example.com"), 260))
    with one_example(client):
        response = client.post(
            "/requests/status/", drawn(data, form, reference=reference, email=email)
        )
        assert_page_safe(response)
        for message in sent_emails_checked():
            assert message.to == ["dana@example.com"]


TOKEN_LINKS = [
    "/requests/status/{}/",
    "/requests/agent-confirm/{}/",
    "/do-not-sell/authorize/{}/",
    "/preferences/link/{}/",
    "/answer/{}/",
    "/answer/{}/json/",
]
TOKENS = st.one_of(
    hostile_text(80),
    st.from_regex(r"\A[0-9]{1,9}[.:-][A-Za-z0-9_-]{0,60}\Z"),
    st.sampled_from(HOSTILE),
)


@fuzz_settings
@given(link=st.sampled_from(TOKEN_LINKS), token=TOKENS, code=hostile_text(20), post=st.booleans())
def test_fuzz_emailed_links_with_any_token(link, token, code, post):
    from urllib.parse import quote

    loose = Client()
    url = link.format(quote(token, safe="") or "x")
    with one_example(loose):
        # Not one of our forms: a link as anyone may send it, so no CSRF check stops it first.
        response = loose.post(url, {"code": code}) if post else loose.get(url)
        assert_page_safe(response)
