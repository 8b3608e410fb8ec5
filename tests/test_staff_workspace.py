"""The queue, the request page and its actions, by role (issue: staff workspace)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core import legal_clock
from fulfilment.models import SystemTask
from registry.models import DataSystem
from requests_app.models import (
    Channel,
    DenialReason,
    Outcome,
    PrivacyRequest,
    RequestEvent,
    RequestType,
    Status,
)
from staff.roles import AUDITOR, CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.request_helpers import emails_to
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return staff_in_role(PRIVACY_OFFICER, "olga")


@pytest.fixture
def care():
    return staff_in_role(CUSTOMER_CARE, "carl")


@pytest.fixture
def auditor():
    return staff_in_role(AUDITOR, "aude")


def a_request(**fields):
    fields.setdefault("requester_email", "dana@example.com")
    fields.setdefault("requester_name", "Dana Shopper")
    return factories.PrivacyRequestFactory.create(**fields)


def every_system_answered(request):
    """As if fulfilment had run: the portal's own task is done."""
    SystemTask.objects.create(
        request=request,
        data_system=DataSystem.objects.get(slug="shop-database"),
        action=SystemTask.Action.EXPORT,
        state=SystemTask.State.DONE,
        due_at=request.due_at,
        done_at=timezone.now(),
    )


# --- The role matrix ---------------------------------------------------------------------------

# Each action with the state it needs and the form data that makes it valid.
ACTION_CASES = {
    "approve": (Status.VERIFIED, {}),
    "deny": (
        Status.VERIFIED,
        {"deny-reason": "no_data", "deny-explanation": "We hold no information about you."},
    ),
    "extend": (
        Status.VERIFIED,
        {"extend-new_due_date": "", "extend-reason": "Several systems hold your records."},
    ),
    "start": (Status.APPROVED, {}),
    "close": (Status.IN_PROGRESS, {}),
    "note": (Status.VERIFIED, {"note-text": "Called back, no answer."}),
    "assign": (Status.VERIFIED, {"assign-assignee": ""}),
    "verify": (
        Status.VERIFYING,
        {"verify-reason": "Matched three details on the call.", "verify-tier": "two"},
    ),
}
ALLOWED = {
    "officer": set(ACTION_CASES),
    "care": {"note", "verify"},
    "auditor": set(),
}


@pytest.mark.parametrize("role", ["officer", "care", "auditor"])
@pytest.mark.parametrize("action", sorted(ACTION_CASES))
def test_role_matrix_of_actions(role, action, officer, care, auditor):
    user = {"officer": officer, "care": care, "auditor": auditor}[role]
    status, data = ACTION_CASES[action]
    consumer = factories.consumer()
    request = a_request(status=status, logged_by=care, consumer=consumer)
    if action == "close":
        every_system_answered(request)
    if action == "extend":
        new_due_date = legal_clock.local_date(request.due_at) + timedelta(days=10)
        data = data | {"extend-new_due_date": new_due_date.isoformat()}

    response = signed_in(user).post(f"/staff/requests/{request.reference}/{action}/", data)

    if action in ALLOWED[role]:
        assert response.status_code == 302, response.content[-2000:]
        assert request.events.exclude(kind=RequestEvent.Kind.EMAIL_SENT).filter(actor=user).exists()
    else:
        assert response.status_code == 403
        assert not request.events.filter(actor=user).exists()


@pytest.mark.parametrize(
    ("role", "expected"),
    [("officer", 200), ("care", 403), ("auditor", 403)],
)
def test_role_matrix_of_revealing_personal_details(role, expected, officer, care, auditor):
    user = {"officer": officer, "care": care, "auditor": auditor}[role]
    request = a_request(logged_by=care)

    response = signed_in(user).post(f"/staff/requests/{request.reference}/reveal/")

    assert response.status_code == expected


def test_care_sees_only_the_requests_it_logged(care):
    mine = a_request(logged_by=care, channel=Channel.PHONE)
    other = a_request()
    client = signed_in(care)

    queue = client.get("/staff/").text

    assert mine.reference in queue
    assert other.reference not in queue
    assert client.get(f"/staff/requests/{other.reference}/").status_code == 404
    assert client.get(f"/staff/requests/{mine.reference}/").status_code == 200


def test_auditor_reads_every_request_and_its_history_but_sees_no_action(auditor):
    request = a_request()

    page = signed_in(auditor).get(f"/staff/requests/{request.reference}/")

    assert page.status_code == 200
    assert "History" in page.text
    assert "Actions" not in page.text


def test_consumers_and_outsiders_get_no_staff_page():
    outsider = factories.outsider()
    request = a_request()

    response = signed_in(outsider, verified=False).get(f"/staff/requests/{request.reference}/")

    assert response.status_code == 302
    assert response["Location"].startswith("/staff/sign-in/")


# --- The queue ---------------------------------------------------------------------------------


def queue_queries(client, count):
    PrivacyRequest.objects.bulk_create(
        PrivacyRequest(
            reference=f"PR-2026-{500000 + n:06d}",
            request_type=RequestType.KNOW_CATEGORIES,
            requested_type=RequestType.KNOW_CATEGORIES,
            requester_kind="self",
            status=Status.VERIFYING,
            requester_name="Someone",
            requester_email=f"someone{n}@example.com",
            received_at=timezone.now() - timedelta(days=50),
            acknowledge_by=timezone.now() + timedelta(days=14),
            due_at=timezone.now() + timedelta(days=n % 40 - 20),
            extension_limit_at=legal_clock.latest_extended_response(
                timezone.now() - timedelta(days=50)
            ),
        )
        for n in range(PrivacyRequest.objects.count(), count)
    )
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/staff/").status_code == 200
    return len(queries)


def test_the_queue_costs_the_same_queries_for_ten_or_a_thousand_requests(officer):
    client = signed_in(officer)
    client.get("/staff/")  # warm the session and caches

    assert queue_queries(client, 10) == queue_queries(client, 1000)


def test_the_queue_shows_open_requests_soonest_due_first_with_days_left(officer):
    now = timezone.now()
    later = a_request(due_at=now + timedelta(days=20))
    soon = a_request(due_at=now + timedelta(days=4))
    overdue = a_request(due_at=now - timedelta(days=2), received_at=now - timedelta(days=32))
    done = a_request(status=Status.FULFILLED)

    page = signed_in(officer).get("/staff/").text

    assert page.index(overdue.reference) < page.index(soon.reference) < page.index(later.reference)
    assert done.reference not in page
    assert 'class="overdue"' in page and 'class="due-5"' in page
    assert "dana@example.com" not in page  # emails are masked in the queue


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?type=delete", {"deletion"}),
        ("?channel=phone", {"phoned"}),
        ("?overdue=1", {"overdue"}),
        ("?week=1", {"this_week"}),
        ("?mine=1", {"mine"}),
        ("?status=denied", {"denied"}),
        ("?q=found@example.com", {"by_email"}),
    ],
)
def test_the_queue_filters_and_searches(officer, query, expected):
    now = timezone.now()
    made = {
        "deletion": a_request(request_type=RequestType.DELETE),
        "phoned": a_request(channel=Channel.PHONE),
        "overdue": a_request(due_at=now - timedelta(hours=1), received_at=now - timedelta(days=31)),
        "this_week": a_request(due_at=now + timedelta(days=3)),
        "mine": a_request(assigned_to=officer),
        "denied": a_request(status=Status.DENIED),
        "by_email": a_request(requester_email="found@example.com"),
    }

    page = signed_in(officer).get("/staff/" + query).text

    shown = {name for name, request in made.items() if request.reference in page}
    assert shown == expected


def test_the_queue_searches_by_reference_and_paginates(officer):
    requests = [a_request() for _ in range(30)]
    client = signed_in(officer)

    found = client.get(f"/staff/?q={requests[7].reference.lower()}").text
    first_page = client.get("/staff/").text
    second_page = client.get("/staff/?page=2").text

    assert requests[7].reference in found and requests[8].reference not in found
    assert "Page 1 of 2" in first_page and "Page 2 of 2" in second_page
    assert client.get("/staff/?page=99&status=nonsense&type=<b>").status_code == 200


# --- The request page and its actions -----------------------------------------------------------


def test_details_are_masked_until_revealed_and_the_reveal_is_logged(officer):
    request = a_request()
    client = signed_in(officer)

    masked = client.get(f"/staff/requests/{request.reference}/").text
    revealed = client.post(f"/staff/requests/{request.reference}/reveal/").text

    assert "dana@example.com" not in masked and "D*** S******" in masked
    assert "dana@example.com" in revealed and "Dana Shopper" in revealed
    event = request.events.get(kind=RequestEvent.Kind.REVEALED)
    assert event.actor == officer and not event.visible_to_consumer


def test_officer_works_a_request_from_verified_to_answered(
    officer, django_capture_on_commit_callbacks
):
    request = a_request(status=Status.VERIFIED, consumer=factories.consumer())
    client = signed_in(officer)
    url = f"/staff/requests/{request.reference}"

    client.post(f"{url}/assign/", {"assign-assignee": officer.pk})
    client.post(f"{url}/approve/")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}/start/")  # the portal's own export runs (eagerly here)
    page = client.get(f"{url}/").text
    client.post(f"{url}/close/")

    request.refresh_from_db()
    assert "Data systems: 1 of 1 answered" in page
    assert request.status == Status.FULFILLED
    assert request.outcome == Outcome.COMPLIED_WHOLE
    assert request.assigned_to == officer
    kinds = list(request.events.filter(actor=officer).values_list("kind", flat=True))
    assert kinds == ["assigned", "approved", "fulfilment_started", "answered"]
    assert sorted(request.exports.values_list("format", flat=True)) == ["html", "json", "pdf"]
    assert "emailed you a link to your answer" in emails_to("dana@example.com")[-1].body


def test_denying_under_an_exception_names_which_exception(officer):
    request = a_request(status=Status.VERIFIED, request_type=RequestType.DELETE)
    client = signed_in(officer)
    url = f"/staff/requests/{request.reference}/deny/"
    data = {"deny-reason": "exception", "deny-explanation": "We must keep order records."}

    refused = client.post(url, data)
    assert refused.status_code == 400
    assert "Name the exception of the privacy notice that applies." in refused.text

    client.post(url, data | {"deny-exception": "legal_obligation"})
    request.refresh_from_db()
    assert request.status == Status.DENIED
    assert request.denial_reason == DenialReason.EXCEPTION
    assert request.denial_exception == "legal_obligation"
    assert "We must keep order records." in emails_to("dana@example.com")[-1].body


@pytest.mark.parametrize(
    ("action", "status", "data", "message"),
    [
        ("approve", Status.VERIFYING, {}, "Cannot approve it: the request is waiting for proof"),
        ("close", Status.VERIFIED, {}, "Cannot close it"),
        ("deny", Status.VERIFIED, {"deny-reason": "fraud"}, "Write the explanation"),
        ("note", Status.VERIFIED, {"note-text": "   "}, "Write the note first."),
        ("extend", Status.VERIFIED, {"extend-new_due_date": "not a date"}, "Enter a date."),
        (
            "verify",
            Status.VERIFYING,
            {"verify-reason": "x", "verify-tier": "two"},
            "Link the request to a consumer",
        ),
    ],
)
def test_an_action_that_does_not_fit_is_refused_with_a_message(
    officer, action, status, data, message
):
    request = a_request(status=status)

    response = signed_in(officer).post(f"/staff/requests/{request.reference}/{action}/", data)

    assert response.status_code == 400
    assert message in response.text
    request.refresh_from_db()
    assert request.status == status


def test_an_unknown_action_or_reference_is_a_404(officer):
    request = a_request()
    client = signed_in(officer)

    assert client.post(f"/staff/requests/{request.reference}/explode/").status_code == 404
    assert client.get("/staff/requests/PR-1999-000000/").status_code == 404


def test_the_agent_document_download_is_logged(officer, settings):
    from requests_app.models import AgentDocument

    request = a_request(requester_kind="agent")
    folder = settings.PRIVATE_FILES_ROOT / "agent-documents"
    folder.mkdir(parents=True)
    (folder / "doc.pdf").write_bytes(b"%PDF-1.4 permission")
    AgentDocument.objects.create(
        request=request,
        stored_name="doc.pdf",
        content_type="application/pdf",
        size=19,
        uploaded_at=timezone.now(),
    )

    response = signed_in(officer).get(f"/staff/requests/{request.reference}/document/")

    assert response.status_code == 200
    assert response.getvalue() == b"%PDF-1.4 permission"
    assert request.events.filter(kind=RequestEvent.Kind.DOWNLOADED, actor=officer).exists()


def test_specific_pieces_verified_by_hand_at_two_details_are_answered_as_categories(officer):
    request = a_request(
        status=Status.VERIFYING,
        request_type=RequestType.KNOW_SPECIFIC,
        consumer=factories.consumer(),
    )
    client = signed_in(officer)

    client.post(
        f"/staff/requests/{request.reference}/verify/",
        {"verify-reason": "Zip and order number by phone.", "verify-tier": "two"},
    )

    request.refresh_from_db()
    assert request.status == Status.VERIFIED
    assert request.request_type == RequestType.KNOW_CATEGORIES
    assert request.verification_method == "staff"


def test_specific_pieces_verified_by_hand_with_a_declaration_stay_specific(officer):
    request = a_request(
        status=Status.VERIFYING,
        request_type=RequestType.KNOW_SPECIFIC,
        consumer=factories.consumer(),
    )

    signed_in(officer).post(
        f"/staff/requests/{request.reference}/verify/",
        {"verify-reason": "Signed declaration received by mail.", "verify-tier": "three"},
    )

    request.refresh_from_db()
    assert request.request_type == RequestType.KNOW_SPECIFIC
    assert request.verification_tier == "three"


def test_a_privacy_officer_without_superuser_rights_edits_the_inventory_in_the_admin():
    officer = staff_in_role(PRIVACY_OFFICER, "plain-officer")
    assert not officer.is_superuser
    from inventory.models import Category

    name = Category.objects.get(slug="name")
    client = signed_in(officer)

    page = client.get(f"/admin/inventory/category/{name.pk}/change/")

    assert page.status_code == 200
    assert 'name="purpose_statement"' in page.text


@pytest.mark.parametrize(("role", "status"), [(CUSTOMER_CARE, 200), (AUDITOR, 403)])
def test_care_may_record_a_callers_opt_out_in_the_admin_and_the_auditor_has_no_business_there(
    role, status
):
    user = staff_in_role(role, "admin-user")
    factories.consumer()  # a consumer has a sale status row to act on

    response = signed_in(user).get("/admin/consent/salestatus/")

    assert response.status_code == status
    assert ("Record an opt-out of sale" in response.text) is (status == 200)


def test_the_history_names_staff_but_never_shows_a_consumers_login_before_a_reveal(officer):
    dana = factories.consumer_with_account(email="dana.login@example.com")
    request = a_request(requester_user=dana.user)
    RequestEvent.objects.create(
        request=request,
        kind="submitted",
        actor=dana.user,
        actor_label="consumer",
        at=timezone.now(),
    )
    RequestEvent.objects.create(
        request=request, kind="note", actor=officer, actor_label="staff", at=timezone.now()
    )

    page = signed_in(officer).get(f"/staff/requests/{request.reference}/").text

    assert "dana.login@example.com" not in page
    assert "· consumer" in page and "· olga" in page
