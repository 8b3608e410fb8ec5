"""Forms sent at the same instant, as a double click or two tabs do (issue 10, proof suite 2).

Real threads, each with its own database connection and its own browser, released together by
a barrier. Marked `services`: the race only means something against PostgreSQL's row locks
(CI runs it there); SQLite's in-memory test database serializes writers and is not what
production runs. Before the token, two simultaneous POSTs of the request form made two
requests in 10 runs of 10.
"""

import re
import threading

import pytest
from django.db import connection
from django.test import Client

from consent.models import ConsentEvent, PartnerNotice, SaleStatus
from core.models import OutboundEmail
from registry.models import DataSystem
from requests_app.models import PrivacyRequest, RequestEvent, Status
from tests import factories
from tests.consent_factories import adult
from tests.request_helpers import last_code_for

pytestmark = [
    pytest.mark.services,
    # serialized_rollback: a transactional test empties the database; this restores what the
    # data migrations seeded (the inventory, the sale partner, the staff groups).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

DETAILS = "/requests/new/details/?type=know_categories&who=self"


@pytest.fixture(autouse=True)
def no_task_left_for_a_later_worker(request):
    """These tests queue real tasks (the emails, after commit) that no worker takes. A later
    test's worker must not spend its time on a thousand of them, for rows long flushed."""
    yield
    if "services" in request.keywords:
        from privacy_portal.celery import app

        app.control.purge()


TOKEN = re.compile(r'name="submission_token" value="([^"]+)"')


def all_at_once(count: int, post) -> list:
    """Run post(i) in `count` threads released together; returns each response's status and
    Location (or the exception), in no particular order."""
    barrier = threading.Barrier(count)
    results: list = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            response = post(i)
            results.append((response.status_code, response.get("Location", "")))
        except BaseException as exc:  # noqa: BLE001  (shown by the assertion)
            results.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def token_of(client, url, *, form: int = 0) -> str:
    """The page's token, as the browser sends it back ("" where a page renders none)."""
    tokens = TOKEN.findall(client.get(url).content.decode())
    return tokens[form] if len(tokens) > form else ""


def one_redirect(results) -> str:
    """Every POST was answered with the same redirect (no error, no second result); returns
    where it leads."""
    assert len(set(results)) == 1, results
    status, location = results[0]
    assert status == 302, results
    return location


@pytest.mark.parametrize("clicks", [2, 10])
@pytest.mark.parametrize("run", range(5))
def test_a_request_form_posted_many_times_at_once_creates_one_request_and_one_email(clicks, run):
    factories.consumer(email=f"dana{run}@example.com")
    data = {"requester_name": "Dana", "requester_email": f"dana{run}@example.com"}
    data["submission_token"] = token_of(Client(), DETAILS)

    results = all_at_once(clicks, lambda i: Client().post(DETAILS, data))

    location = one_redirect(results)
    (privacy_request,) = PrivacyRequest.objects.all()
    assert location == f"/requests/{privacy_request.reference}/confirm-email/"
    assert OutboundEmail.objects.filter(kind="request.received").count() == 1


def test_an_account_holders_request_clicked_ten_times_at_once_counts_once():
    ana = factories.consumer_with_account(email="ana@example.com")
    browser = Client()
    assert ana.user is not None
    browser.force_login(ana.user)
    data = {"password": factories.PASSWORD, "submission_token": token_of(browser, DETAILS)}

    results = all_at_once(10, lambda i: browser.post(DETAILS, data))

    one_redirect(results)
    assert PrivacyRequest.objects.filter(requester_user=ana.user).count() == 1
    assert PrivacyRequest.objects.filter(consumer=ana, counts_toward_cap=True).count() == 1


def submitted_request(browser) -> PrivacyRequest:
    factories.consumer(email="dana@example.com", zip_code="94110")
    data = {"requester_name": "Dana", "requester_email": "dana@example.com"}
    assert browser.post(DETAILS, data).status_code == 302
    return PrivacyRequest.objects.get()


@pytest.mark.parametrize("same_form", [True, False], ids=["double-click", "two-tabs"])
def test_the_email_code_posted_twice_at_once_confirms_once_and_never_errs(same_form):
    browser = Client(raise_request_exception=False)
    privacy_request = submitted_request(browser)
    url = f"/requests/{privacy_request.reference}/confirm-email/"
    tokens = [token_of(browser, url) for _ in range(2)]
    code = last_code_for("dana@example.com")

    results = all_at_once(
        2,
        lambda i: browser.post(
            url, {"code": code, "submission_token": tokens[0 if same_form else i]}
        ),
    )

    assert one_redirect(results) == f"/requests/{privacy_request.reference}/verify/"
    assert privacy_request.events.filter(kind=RequestEvent.Kind.EMAIL_CONFIRMED).count() == 1


@pytest.mark.parametrize("same_form", [True, False], ids=["double-click", "two-tabs"])
def test_the_data_points_posted_twice_at_once_verify_once_and_never_err(same_form):
    browser = Client(raise_request_exception=False)
    privacy_request = submitted_request(browser)
    browser.post(
        f"/requests/{privacy_request.reference}/confirm-email/",
        {"code": last_code_for("dana@example.com")},
    )
    url = f"/requests/{privacy_request.reference}/verify/"
    tokens = [token_of(browser, url) for _ in range(2)]
    answers = {"zip_code": "94110", "address": "742 Sample Lane"}

    results = all_at_once(
        2,
        lambda i: browser.post(url, answers | {"submission_token": tokens[0 if same_form else i]}),
    )

    assert one_redirect(results) == f"/requests/{privacy_request.reference}/"
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.events.filter(kind=RequestEvent.Kind.VERIFIED).count() == 1


def sale_partner():
    """The partner personal information is sold to, seeded by registry's migration 0002."""
    return DataSystem.objects.get_or_create(
        slug="marketing-partners",
        defaults={"kind": DataSystem.Kind.THIRD_PARTY, "connector": DataSystem.Connector.MANUAL},
    )[0]


def test_ten_simultaneous_opt_outs_of_one_form_give_one_opt_out_and_one_partner_notice():
    sale_partner()
    dana = adult(email="dana@example.com")
    data = {
        "identifier": "dana@example.com",
        "submission_token": token_of(Client(), "/do-not-sell/"),
    }

    results = all_at_once(10, lambda i: Client().post("/do-not-sell/", data))

    assert one_redirect(results) == "/do-not-sell/received/"
    status = SaleStatus.objects.get(consumer=dana)
    assert status.state == SaleStatus.State.OPTED_OUT
    assert ConsentEvent.objects.filter(consumer=dana, kind="opted_out").count() == 1
    assert PartnerNotice.objects.filter(consumer=dana).count() == 1
    assert OutboundEmail.objects.filter(kind="consent.opt_out").count() == 1


def test_a_phone_request_logged_with_a_double_click_at_once_is_one_request():
    from tests.staff_helpers import signed_in, staff_in_role

    care = signed_in(staff_in_role("Customer care"))
    url = "/staff/intake/?channel=phone"
    data = {
        "adult": "on",
        "request_type": "know_categories",
        "requester_kind": "self",
        "caller_name": "Dana Shopper",
        "caller_email": "dana@example.com",
        "submission_token": token_of(care, url),
    }

    results = all_at_once(2, lambda i: care.post(url, data))

    one_redirect(results)
    assert PrivacyRequest.objects.count() == 1
