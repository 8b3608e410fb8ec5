"""Fuzzing the staff forms (issue 10, proof suite 3): sign-in and the second factor, intake by
phone, mail and email, every action on a request page, the queue's search and filters, and the
admin's search. No server error, nothing unescaped where the data shows later (the queue above
all), no extra email header, and no redirect off the portal through `next`."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from hypothesis import event, given
from hypothesis import strategies as st

from fulfilment.models import SystemTask
from registry.models import DataSystem
from requests_app import access
from requests_app.models import PrivacyRequest, RequestType, Status
from staff.roles import CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.fuzz_support import (
    HOSTILE,
    assert_page_safe,
    drawn,
    form_on,
    forms_on,
    fuzz_settings,
    hostile_text,
    one_example,
    or_hostile,
    sent_emails_checked,
    strategy_for,
)
from tests.staff_helpers import current_code, signed_in, staff_in_role

pytestmark = pytest.mark.django_db

NEXT = st.one_of(
    st.sampled_from(["/staff/", "/admin/", "https://evil.example/", "//evil.example", "/\\x"]),
    st.sampled_from(["javascript:alert(1)", "http://testserver/staff/metrics/", "\\\\evil"]),
    hostile_text(80),
)


@pytest.fixture
def olga():
    return staff_in_role(PRIVACY_OFFICER, "olga")


@pytest.fixture
def officer(olga):
    return signed_in(olga)


@pytest.fixture
def care():
    return signed_in(staff_in_role(CUSTOMER_CARE, "carl"))


def consumer_browser_for(privacy_request: PrivacyRequest) -> Client:
    """A browser that holds the request, as the one that submitted it does."""
    browser = Client()
    session = browser.session
    session[access.SESSION_KEY] = [privacy_request.pk]
    session.save()
    return browser


def where_it_shows_checked(data, privacy_request, *, officer: Client) -> None:
    """The emails sent, and one page drawn among those where what staff typed shows later."""
    reference = privacy_request.reference
    pages = {
        "staff queue": lambda: officer.get("/staff/", {"status": "all"}),
        "staff queue search": lambda: officer.get("/staff/", {"q": reference, "status": "all"}),
        "staff request page and history": lambda: officer.get(f"/staff/requests/{reference}/"),
        "staff request page, revealed": lambda: officer.post(
            f"/staff/requests/{reference}/reveal/"
        ),
        "consumer's request page": lambda: consumer_browser_for(privacy_request).get(
            f"/requests/{reference}/"
        ),
    }
    page = data.draw(st.sampled_from(sorted(pages)), label="page where it shows")
    assert_page_safe(pages[page]())
    sent_emails_checked()


# --- Signing in: password, then the second factor ---


@fuzz_settings
@given(data=st.data(), next_url=NEXT, right_password=st.booleans())
def test_fuzz_staff_sign_in(olga, data, next_url, right_password):
    browser = Client()
    form = form_on(browser.get("/staff/sign-in/"), having="username")
    username = data.draw(or_hostile(st.sampled_from(["olga", "OLGA", "olga "])))
    password = factories.PASSWORD if right_password else data.draw(hostile_text(), label="pw")
    values = drawn(data, form, username=username, password=password) | {"next": next_url}
    with one_example(browser):
        response = browser.post(f"/staff/sign-in/?next={quote(next_url, safe='')}", values)
        assert_page_safe(response)
        event(f"sign-in answered {response.status_code}")
        if response.status_code == 302:
            assert_page_safe(browser.get(response["Location"]))


@fuzz_settings
@given(data=st.data(), next_url=NEXT, right_code=st.booleans())
def test_fuzz_staff_second_factor(olga, data, next_url, right_code):
    browser = signed_in(olga, verified=False)  # the password only
    form = form_on(browser.get("/staff/verify/"), having="token")
    device = TOTPDevice.objects.get(user=olga)
    token = current_code(device) if right_code else data.draw(or_hostile(st.just("123456")))
    with one_example(browser):
        response = browser.post(
            f"/staff/verify/?next={quote(next_url, safe='')}",
            drawn(data, form, token=token) | {"next": next_url},
        )
        assert_page_safe(response)
        event(f"second factor answered {response.status_code}")
        if response.status_code == 302:
            assert_page_safe(browser.get(response["Location"]))
        enrol = browser.get("/staff/enroll/")
        assert_page_safe(enrol)


# --- Intake by phone, mail and email ---


@pytest.fixture
def intake_forms(care):
    factories.consumer(email="dana@example.com", zip_code="94110", full_name="Dana Shopper")
    return {
        channel: form_on(care.get(f"/staff/intake/?channel={channel}"), having="caller_name")
        for channel in ("phone", "mail", "email")
    }


@fuzz_settings
@given(data=st.data())
def test_fuzz_staff_intake(care, officer, intake_forms, data):
    channel = data.draw(st.sampled_from(sorted(intake_forms)), label="channel")
    form = intake_forms[channel]
    today = timezone.localdate()
    fixed = {}
    if "received_on" in form.fields:
        days_back = st.integers(0, 30).map(lambda n: (today - timedelta(days=n)).isoformat())
        fixed["received_on"] = data.draw(
            st.one_of(days_back, days_back, strategy_for(form.fields["received_on"]))
        )
    kind = data.draw(st.sampled_from(form.fields["requester_kind"].options), label="kind")
    fixed["requester_kind"] = kind
    if kind == "self":
        # The consumer asks for themselves: no one else's name, mostly.
        for name in ("subject_name", "subject_email"):
            fixed[name] = data.draw(st.one_of(st.just(""), strategy_for(form.fields[name])))
    with one_example(care, officer):
        before = PrivacyRequest.objects.count()
        response = care.post(f"/staff/intake/?channel={channel}", drawn(data, form, **fixed))
        assert_page_safe(response)
        if PrivacyRequest.objects.count() > before:
            event("intake logged a request")
            assert response.status_code == 302
            assert_page_safe(care.get(response["Location"]))
            logged = PrivacyRequest.objects.order_by("-pk").first()
            where_it_shows_checked(data, logged, officer=officer)
        elif data.draw(st.booleans(), label="then a crafted confirmation address"):
            done = data.draw(st.one_of(hostile_text(30), st.sampled_from(HOSTILE)), label="done")
            assert_page_safe(care.get("/staff/intake/", {"done": done}))
        else:
            form_shown = response.context.get("form") if response.context else None
            errors = sorted(form_shown.errors) if form_shown is not None else []
            event(f"intake refused: {', '.join(errors[:2])}")


# --- Every action on a request page ---


def a_request_in(status: str, **fields) -> PrivacyRequest:
    person = factories.consumer(email=f"{status}@example.com")
    return factories.PrivacyRequestFactory.create(
        status=status,
        consumer=person,
        requester_email=person.email,
        requester_name='Dana "Quote" O\'Brien & Co',
        **fields,
    )


@pytest.fixture
def action_forms(officer):
    """For requests in each state where actions apply, the action forms their page shows."""
    requests = [
        a_request_in(Status.EMAIL_UNCONFIRMED),
        a_request_in(Status.VERIFYING, request_type=RequestType.KNOW_SPECIFIC),
        a_request_in(Status.VERIFIED, request_type=RequestType.DELETE),
        a_request_in(Status.APPROVED),
        a_request_in(Status.IN_PROGRESS),
        a_request_in(Status.FULFILLED, delivery_method="post"),
    ]
    manual = DataSystem.objects.create(
        slug="warehouse", name="Warehouse", kind=DataSystem.Kind.SERVICE_PROVIDER
    )
    SystemTask.objects.create(
        request=requests[4],
        data_system=manual,
        action=SystemTask.Action.EXPORT,
        state=SystemTask.State.PENDING,
        due_at=requests[4].due_at,
    )
    found = []
    for privacy_request in requests:
        page = officer.get(f"/staff/requests/{privacy_request.reference}/")
        for form in forms_on(page.content.decode()):
            if re.fullmatch(rf"/staff/requests/{privacy_request.reference}/[a-z]+/", form.action):
                found.append((privacy_request, form))
    assert len(found) >= 10
    return found


@fuzz_settings
@given(data=st.data())
def test_fuzz_staff_actions(officer, action_forms, data):
    privacy_request, form = data.draw(st.sampled_from(action_forms), label="request and action")
    event(f"action {form.action.rsplit('/', 2)[-2]} on {privacy_request.status}")
    values = drawn(data, form)
    if data.draw(st.booleans(), label="a hidden field fuzzed too"):
        values |= {name: data.draw(hostile_text(20)) for name in form.hidden()}
    with one_example(officer):
        response = officer.post(form.action, values)
        assert_page_safe(response)
        event(f"action answered {response.status_code}")
        where_it_shows_checked(data, privacy_request, officer=officer)


@fuzz_settings
@given(action=st.one_of(st.sampled_from(HOSTILE), st.from_regex(r"\A[a-z]{1,12}\Z")))
def test_fuzz_staff_action_names(officer, action_forms, action):
    privacy_request, _ = action_forms[0]
    with one_example(officer):
        url = f"/staff/requests/{privacy_request.reference}/{quote(action, safe='')}/"
        assert_page_safe(officer.post(url, {"zqx": action}))


# --- The queue's search and filters, and the admin's ---


@fuzz_settings
@given(data=st.data(), page_number=st.one_of(st.none(), hostile_text(12), st.integers().map(str)))
def test_fuzz_staff_queue_search_and_filters(officer, action_forms, data, page_number):
    form = form_on(officer.get("/staff/"), having="q")
    values = {k: v for k, v in drawn(data, form).items() if isinstance(v, str)}
    if page_number is not None:
        values["page"] = page_number
    with one_example(officer):
        response = officer.get("/staff/", values)
        assert_page_safe(response)
        event(f"queue answered {response.status_code}")


ADMIN_LISTS = [
    "/admin/requests_app/privacyrequest/",
    "/admin/requests_app/requestevent/",
    "/admin/core/outboundemail/",
    "/admin/registry/consumer/",
    "/admin/consent/salestatus/",
]
ADMIN_PARAMS = st.dictionaries(
    st.sampled_from(
        ["q", "o", "p", "status__exact", "request_type__exact", "e", "all", "_to_field"]
    ),
    hostile_text(40),
    max_size=3,
)


@pytest.fixture
def superuser():
    return signed_in(factories.staff_member(username="root", is_superuser=True))


@fuzz_settings
@given(page=st.sampled_from(ADMIN_LISTS), params=ADMIN_PARAMS)
def test_fuzz_admin_search(superuser, action_forms, page, params):
    with one_example(superuser):
        response = superuser.get(page, params)
        assert_page_safe(response)
        event(f"admin list answered {response.status_code}")
