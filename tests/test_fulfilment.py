"""Fulfilment: a task per data system, run or confirmed; the answer delivered safely
(issue: fulfilment)."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from core import legal_clock
from core.sweep import sweep_run
from fulfilment import connectors, services
from fulfilment.models import DeliveryLink, Export, SystemTask
from fulfilment.storage import export_path, exports_folder
from registry.models import DataSystem
from requests_app.models import RequestEvent, RequestType, Status
from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.request_helpers import deliver_emails, emails_to
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return staff_in_role(PRIVACY_OFFICER, "olga")


def approved(request_type=RequestType.KNOW_CATEGORIES, **fields):
    consumer = fields.pop("consumer", None) or factories.consumer(email="dana@example.com")
    return factories.PrivacyRequestFactory.create(
        request_type=request_type,
        status=Status.APPROVED,
        consumer=consumer,
        requester_email=consumer.email,
        **fields,
    )


def started(request, officer):
    services.request_fulfilment_start(privacy_request=request, actor=officer)
    request.refresh_from_db()
    return request


def tasks_of(request):
    return {(t.data_system.slug, t.action): t for t in request.system_tasks.all()}


# --- Planning -------------------------------------------------------------------------------------


def test_a_request_to_know_asks_every_system_that_holds_the_consumers_data(officer):
    request = approved()
    analytics = DataSystem.objects.get(slug="site-analytics")
    factories.PersonalRecordFactory.create(consumer=request.consumer, data_system=analytics)

    started(request, officer)

    planned = tasks_of(request)
    assert ("shop-database", "export") in planned
    assert ("site-analytics", "export") in planned
    assert ("marketing-partners", "export") not in planned  # holds nothing of theirs


def test_a_deletion_reaches_every_service_provider_and_tells_the_third_parties(officer):
    request = approved(RequestType.DELETE)

    started(request, officer)

    planned = tasks_of(request)
    assert planned[("shop-database", "erase")]
    assert planned[("email-marketing", "erase")]
    assert planned[("fraud-prevention", "erase")]
    assert planned[("marketing-partners", "notify")]
    assert planned[("research-companies", "notify")]


@pytest.mark.parametrize(
    ("received_on", "manual_due_on"),
    [
        (date(2026, 11, 10), date(2026, 12, 5)),  # due 10 December
        (date(2026, 10, 4), date(2026, 10, 29)),  # due 3 November: the clocks go back between
        (date(2026, 2, 10), date(2026, 3, 7)),  # due 12 March: the clocks go forward between
    ],
)
def test_manual_tasks_fall_due_five_days_before_the_request(officer, received_on, manual_due_on):
    received_at = datetime.combine(received_on, time(10), tzinfo=legal_clock.business_zone())
    request = approved(RequestType.DELETE, received_at=received_at)

    with time_machine.travel(received_at + timedelta(days=1)):
        started(request, officer)

    manual = request.system_tasks.get(data_system__slug="email-marketing")
    automated = request.system_tasks.get(data_system__slug="shop-database")
    assert manual.due_at == legal_clock.end_of_day(manual_due_on)
    assert automated.due_at == request.due_at


def test_planning_twice_creates_each_task_once(officer):
    request = started(approved(RequestType.DELETE), officer)
    count = request.system_tasks.count()

    services.fulfilment_plan(privacy_request=request, now=timezone.now())

    assert request.system_tasks.count() == count


# --- Running and confirming -----------------------------------------------------------------------


def fake_export(*, privacy_request, now):
    return {"categories": 3, "pieces": 0, "files": ["html"]}


def test_an_automated_task_runs_once_even_if_asked_twice(officer, monkeypatch):
    calls = []

    def counted_export(**kwargs):
        calls.append(1)
        return fake_export(**kwargs)

    monkeypatch.setattr(connectors, "internal_export", counted_export)
    request = started(approved(), officer)
    task = request.system_tasks.get(data_system__slug="shop-database")

    assert services.task_run(task_id=task.pk) is True
    assert services.task_run(task_id=task.pk) is False

    task.refresh_from_db()
    assert task.state == SystemTask.State.DONE
    assert task.result["categories"] == 3
    assert calls == [1]


def test_a_failed_task_is_recorded_and_retried_by_the_sweep(officer, monkeypatch):
    def broken(**kwargs):
        raise ConnectionError("database gone away")

    monkeypatch.setattr(connectors, "internal_export", broken)
    request = started(approved(), officer)
    task = request.system_tasks.get(data_system__slug="shop-database")

    services.task_run(task_id=task.pk)
    task.refresh_from_db()
    assert task.state == SystemTask.State.FAILED
    assert "database gone away" in task.last_error

    monkeypatch.setattr(connectors, "internal_export", fake_export)
    sweep_run()
    sweep_run()

    task.refresh_from_db()
    assert task.state == SystemTask.State.DONE


def test_staff_confirm_a_manual_task_with_the_date_it_was_done(officer):
    request = started(approved(RequestType.DELETE), officer)
    task = request.system_tasks.get(data_system__slug="email-marketing")
    client = signed_in(officer)
    url = f"/staff/requests/{request.reference}/task/"

    future = client.post(
        url, {"task-task": task.pk, "task-done_on": str(timezone.localdate() + timedelta(days=2))}
    )
    assert "The date done cannot be in the future." in future.text

    client.post(
        url, {"task-task": task.pk, "task-done_on": str(timezone.localdate()), "task-note": "Ok"}
    )
    task.refresh_from_db()
    assert task.state == SystemTask.State.DONE
    assert task.done_by == officer


def test_the_officer_sees_progress_and_cannot_finish_before_every_system_answered(officer):
    request = started(approved(RequestType.DELETE), officer)
    total = request.system_tasks.count()
    client = signed_in(officer)

    page = client.get(f"/staff/requests/{request.reference}/").text
    refused = client.post(f"/staff/requests/{request.reference}/close/")

    assert f"Data systems: 0 of {total} answered" in page
    assert f"{total} of {total} data systems have not answered yet" in refused.text


def test_an_overdue_manual_task_is_escalated_once(officer):
    officer.email = "olga@example.com"
    officer.save()
    request = started(approved(RequestType.DELETE), officer)
    task = request.system_tasks.get(data_system__slug="email-marketing")

    with time_machine.travel(task.due_at + timedelta(hours=1)):
        sweep_run()
        sweep_run()

    overdue = [m for m in deliver_emails() if m.subject.startswith("OVERDUE task")]
    assert len([m for m in overdue if "Email marketing" in m.subject]) == 1


def test_a_tasks_escalation_is_in_its_requests_history(officer):
    """Every message sent is in the history: the officers' email about a late task too."""
    officer.email = "olga@example.com"
    officer.save()
    request = started(approved(RequestType.DELETE), officer)
    email_marketing = request.system_tasks.get(data_system__slug="email-marketing")
    instant = email_marketing.due_at + timedelta(hours=1)
    late = request.system_tasks.filter(due_at__lt=instant).exclude(state=SystemTask.State.DONE)

    with time_machine.travel(instant):
        escalated = services.overdue_manual_tasks_escalate(now=timezone.now())
        again = services.overdue_manual_tasks_escalate(now=timezone.now())

    events = request.events.filter(kind=RequestEvent.Kind.ESCALATED)
    assert escalated == late.count() == events.count() >= 1 and again == 0
    assert events.filter(
        detail__startswith=f"{email_marketing.get_action_display()} in "
        f"{email_marketing.data_system.name} overdue (due ",
        visible_to_consumer=False,
        actor_label="system",
    ).exists()


# --- Delivering the answer -----------------------------------------------------------------------


def answered_with_files(officer, **fields):
    request = started(approved(**fields), officer)
    exports_folder().mkdir(parents=True, exist_ok=True)
    for fmt in ("json", "html"):
        export = Export.objects.create(
            request=request,
            format=fmt,
            stored_name=f"{request.pk}-{fmt}",
            created_at=timezone.now(),
        )
        export_path(export).write_text(f"answer as {fmt}")
    request.system_tasks.update(state=SystemTask.State.DONE, done_at=timezone.now())
    services.fulfilment_finish(privacy_request=request, actor=officer)
    request.refresh_from_db()
    return request


def link_and_code(address):
    import re

    sent = emails_to(address)
    link = next(m for m in sent if "is ready" in m.subject).body
    code = next(m for m in sent if m.subject.startswith("The code for your answer")).body
    path = re.search(r"127\.0\.0\.1:8000(/answer/\S+/)", link).group(1)
    return path, re.search(r": (\d{6})", code).group(1)


def test_the_answer_is_emailed_as_a_link_that_needs_a_separate_code(officer):
    request = answered_with_files(officer)
    path, code = link_and_code("dana@example.com")
    browser = Client()

    locked = browser.get(path)
    assert "6-digit code that we sent you in a separate email" in locked.text
    assert browser.get(path + "json/").status_code == 404

    wrong = browser.post(path, {"code": "000000"})
    assert "That code is not right." in wrong.text

    opened = browser.post(path, {"code": code})
    assert "Download: JSON" in opened.text
    download = browser.get(path + "json/")
    assert download.status_code == 200
    assert download.getvalue() == b"answer as json"
    assert request.status == Status.FULFILLED
    assert request.events.filter(kind=RequestEvent.Kind.DOWNLOADED).count() == 1
    assert DeliveryLink.objects.get(request=request).downloads == 1


def test_an_expired_link_is_gone_and_its_files_are_removed(officer):
    request = answered_with_files(officer)
    path, code = link_and_code("dana@example.com")

    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)):
        response = Client().get(path)
        sweep_run()

    assert response.status_code == 410
    assert "This link has expired" in response.text
    assert not any(export_path(e).exists() for e in request.exports.all())
    assert all(e.removed_at for e in request.exports.all())


def test_someone_elses_link_is_a_404(officer):
    """Dana has opened her answer; Bob's real link, in her browser, opens none of his: not his
    files, not with her code, not because her own link is unlocked in the same session."""
    dana = answered_with_files(officer)
    bob = answered_with_files(officer, consumer=factories.consumer(email="bob@example.com"))
    for request in (dana, bob):
        for export in request.exports.all():
            export_path(export).write_text(f"{request.reference} as {export.format}")
    danas_path, danas_code = link_and_code("dana@example.com")
    bobs_path, _ = link_and_code("bob@example.com")
    browser = Client()
    browser.post(danas_path, {"code": danas_code})
    assert browser.get(danas_path + "json/").getvalue() == f"{dana.reference} as json".encode()

    bobs_page = browser.get(bobs_path)
    bobs_file = browser.get(bobs_path + "json/")
    with_danas_code = browser.post(bobs_path, {"code": danas_code})

    assert bobs_page.status_code == 200 and "Download:" not in bobs_page.text
    assert bobs_file.status_code == 404
    assert "That code is not right." in with_danas_code.text
    assert "Download:" not in with_danas_code.text
    assert browser.get(bobs_path + "json/").status_code == 404
    assert browser.get(bobs_path + "html/").status_code == 404
    assert not bob.events.filter(kind=RequestEvent.Kind.DOWNLOADED).exists()
    assert Client().get("/answer/not-a-real-token-at-all/").status_code == 404


def test_an_account_holder_finds_the_answer_in_their_account(officer):
    dana = factories.consumer_with_account(email="ana@example.com")
    request = answered_with_files(officer, consumer=dana, requester_user=dana.user)
    client = Client()
    assert dana.user is not None
    client.force_login(dana.user)

    page = client.get(f"/requests/{request.reference}/").text
    download = client.get(f"/requests/{request.reference}/answer/html/")
    other = Client()
    other.force_login(factories.outsider())

    assert "Download: Web page" in page
    assert download.getvalue() == b"answer as html"
    assert other.get(f"/requests/{request.reference}/answer/html/").status_code == 404
    assert not DeliveryLink.objects.exists()  # no email link for an account holder
    assert "ready in your account" in emails_to("ana@example.com")[-1].body


def test_a_deletion_runs_the_portals_erase_last_and_tells_what_was_kept_and_why(
    officer, django_capture_on_commit_callbacks
):
    request = approved(RequestType.DELETE)
    factories.OrderFactory.create(consumer=request.consumer)
    with django_capture_on_commit_callbacks(execute=True):
        started(request, officer)
    erase = request.system_tasks.get(data_system__slug="shop-database")
    erase.refresh_from_db()
    assert erase.state == SystemTask.State.PENDING  # waits for the other systems
    assert request.consumer.full_name  # still reachable by staff meanwhile

    manual = request.system_tasks.exclude(pk=erase.pk)
    with django_capture_on_commit_callbacks(execute=True):
        for task in manual:
            services.task_confirm(task=task, actor=officer, done_on=timezone.localdate())

    erase.refresh_from_db()
    assert erase.state == SystemTask.State.DONE
    assert erase.result["kept"][0]["exception"] == "legal_obligation"
    request.consumer.refresh_from_db()
    assert request.consumer.full_name == ""

    services.fulfilment_finish(privacy_request=request, actor=officer)

    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert request.outcome == "complied_part"
    answer = next(m for m in deliver_emails() if "Our answer" in m.subject)
    assert "We kept orders because the law allows it" in answer.body
    assert "What we deleted from our records: " in answer.body
    assert "cannot be looked up online" in answer.body
    assert request.requester_email == ""  # erased once the answer was queued


def test_another_consumers_link_opens_nothing_even_in_a_browser_that_unlocked_its_own(officer):
    mine = answered_with_files(officer)
    my_path, my_code = link_and_code("dana@example.com")
    theirs = answered_with_files(
        officer, consumer=factories.consumer(email="eve@example.com"), reference="PR-2026-990001"
    )
    their_path, _ = link_and_code("eve@example.com")
    browser = Client()
    browser.post(my_path, {"code": my_code})

    assert browser.get(my_path + "json/").status_code == 200
    assert browser.get(their_path + "json/").status_code == 404
    assert mine.pk != theirs.pk


def test_a_consumer_may_ask_for_the_answer_by_post_and_staff_record_the_posting(officer):
    client = Client()
    factories.consumer(email="pat@example.com")
    url = "/requests/new/details/?type=know_categories&who=self"
    data = {"requester_name": "Pat Post", "requester_email": "pat@example.com"}

    missing = client.post(url, data | {"delivery_method": "post"})
    assert "Enter the postal address to send the answer to." in missing.text
    client.post(url, data | {"delivery_method": "post", "postal_address": "1 Main St, Fresno"})
    from requests_app.models import PrivacyRequest

    request = PrivacyRequest.objects.get(requester_email="pat@example.com")
    assert (request.delivery_method, request.postal_address) == ("post", "1 Main St, Fresno")

    request.status = Status.IN_PROGRESS
    request.save()
    SystemTask.objects.create(
        request=request,
        data_system=DataSystem.objects.get(slug="shop-database"),
        action=SystemTask.Action.EXPORT,
        state=SystemTask.State.DONE,
        due_at=request.due_at,
    )
    staff = signed_in(officer)
    staff.post(f"/staff/requests/{request.reference}/close/")
    request.refresh_from_db()
    assert request.status == Status.FULFILLED
    assert not DeliveryLink.objects.filter(request=request).exists()

    staff.post(
        f"/staff/requests/{request.reference}/mailed/",
        {"mailed-mailed_on": str(timezone.localdate())},
    )
    request.refresh_from_db()
    assert request.mailed_on == timezone.localdate()


def test_the_officer_downloads_the_answer_files_and_it_is_recorded(officer):
    request = answered_with_files(officer)

    response = signed_in(officer).get(f"/staff/requests/{request.reference}/answer/json/")

    assert response.getvalue() == b"answer as json"
    event = request.events.get(kind=RequestEvent.Kind.DOWNLOADED, actor=officer)
    assert not event.visible_to_consumer


def test_the_consumers_request_page_shows_what_the_answer_said(officer):
    request = answered_with_files(officer)
    path, code = link_and_code("dana@example.com")
    browser = Client()
    session = browser.session
    session["privacy_requests"] = [request.pk]
    session.save()

    page = browser.get(f"/requests/{request.reference}/").text

    assert "Our answer" in page
    assert "We have emailed you a link to your answer" in page


def test_an_account_holder_gives_the_password_again_before_specific_pieces_are_disclosed(officer):
    dana = factories.consumer_with_account(email="ana@example.com")
    request = answered_with_files(
        officer,
        consumer=dana,
        requester_user=dana.user,
        request_type=RequestType.KNOW_SPECIFIC,
        requested_type=RequestType.KNOW_SPECIFIC,
    )
    client = Client()
    assert dana.user is not None
    client.force_login(dana.user)
    file_url = f"/requests/{request.reference}/answer/json/"

    before = client.get(file_url)
    page = client.get(f"/requests/{request.reference}/").text
    wrong = client.post(
        f"/requests/{request.reference}/answer/confirm/", {"password": "wrong"}, follow=True
    )
    client.post(f"/requests/{request.reference}/answer/confirm/", {"password": factories.PASSWORD})
    after = client.get(file_url)

    assert before.status_code == 302
    assert "confirm your password before you download it" in page
    assert "That password is not right." in wrong.text
    assert after.getvalue() == b"answer as json"


def test_deliver_is_offered_only_once_every_system_has_answered_and_runs_are_in_the_history(
    officer, monkeypatch
):
    monkeypatch.setattr(connectors, "internal_export", fake_export)
    request = started(approved(), officer)
    client = signed_in(officer)

    before = client.get(f"/staff/requests/{request.reference}/").text
    for task in request.system_tasks.all():
        services.task_run(task_id=task.pk)
    after = client.get(f"/staff/requests/{request.reference}/").text

    assert "Deliver the answer and close" not in before
    assert "Deliver the answer and close" in after
    assert request.events.filter(detail__endswith="in Shop database: done").exists()
