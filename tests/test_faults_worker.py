"""Faults with the real thing: a Redis of our own (port 6402) stopped and started, Celery worker
and beat as subprocesses on the test database, killed with SIGKILL, and an SMTP server on
loopback that receives what they send, counted by Message-ID (issue 10, proof suite 1a, 1b;
items 8c, 8d, 8f). Slow: `make faults` runs them, and CI does."""

from __future__ import annotations

import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from core.mail import email_queue, outbox_send_due
from core.models import OutboundEmail
from core.schedule import sync_sweep_schedule
from fulfilment.models import Export, SystemTask
from fulfilment.services import request_fulfilment_start
from fulfilment.storage import export_path, exports_folder, orphan_files_remove, orphan_grace
from privacy_portal.celery import app
from requests_app.models import PrivacyRequest, RequestType, Status
from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.fault_harness import (
    CeleryProcess,
    RedisServer,
    SmtpSink,
    backend_pid,
    backend_pids_of_others,
    service_environment,
    terminate_backends,
    wait_for,
)
from tests.staff_helpers import staff_in_role

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    # serialized_rollback: the roles and data systems the migrations made are back for each test.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("email_templates"),
]


# --- Fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def redis():
    with RedisServer() as server:
        yield server


@pytest.fixture
def sink():
    with SmtpSink() as server:
        yield server


@pytest.fixture
def web_broker(redis, settings):
    """The test process (the web app) publishes to our Redis, as the web container would."""
    saved = app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_always_eager
    app.conf.broker_url = redis.url  # type: ignore[misc]
    app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    app.conf.task_always_eager = False
    _forget_pools()
    yield
    app.conf.broker_url = saved[0]  # type: ignore[misc]
    app.conf.broker_transport_options, app.conf.task_always_eager = saved[1:]
    _forget_pools()


def _forget_pools():
    app._pool = None  # type: ignore[attr-defined]
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None  # type: ignore[attr-defined]


@pytest.fixture
def in_process_smtp(settings, sink):
    """Sweeps the test runs itself send to the same sink as the worker."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""


@pytest.fixture
def services_env(redis, sink, settings):
    return service_environment(
        REDIS_URL=redis.url,
        EMAIL_URL=sink.url,
        EMAIL_TIMEOUT="2",
        PRIVATE_FILES_ROOT=str(settings.PRIVATE_FILES_ROOT),
        SWEEP_INTERVAL_SECONDS="2",
    )


@pytest.fixture
def worker(services_env, tmp_path):
    process = CeleryProcess.worker(services_env, tmp_path / "worker.log")
    yield process
    process.stop()


def queue_examples(count: int, start: int = 1) -> list[OutboundEmail]:
    emails = []
    for number in range(start, start + count):
        with transaction.atomic():  # committed one by one: each is published on commit
            email = email_queue(
                to=f"person{number}@example.com",
                template="example",
                context={"name": f"Person {number}", "reference": f"PR-2026-{number:06d}"},
                kind="request.received",
                dedupe_key=f"fault:{number}",
            )
        assert email is not None
        emails.append(email)
    return emails


def all_sent(count: int):
    return OutboundEmail.objects.filter(state=OutboundEmail.State.SENT).count() == count


def duplicates(counter) -> int:
    return sum(n - 1 for n in counter.values() if n > 1)


# --- 1a: Redis stopped while the web takes 50 requests -------------------------------------------


class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[found["name"]] = found.get("value") or ""


def submit_through_the_web(number: int) -> tuple[float, str]:
    """One consumer's submission, as a browser does it: the form, then the post. Returns the
    slowest of the two responses and the page the consumer lands on."""
    browser = Client(REMOTE_ADDR=f"10.0.{number // 250}.{number % 250 + 1}")
    url = "/requests/new/details/?type=know_categories&who=self"
    started = time.monotonic()
    form = browser.get(url)
    form_seconds = time.monotonic() - started
    assert form.status_code == 200
    hidden = _HiddenInputs()
    hidden.feed(form.content.decode())
    data = hidden.fields | {
        "requester_name": f"Person {number}",
        "requester_email": f"person{number}@example.com",
    }
    started = time.monotonic()
    posted = browser.post(url, data)
    post_seconds = time.monotonic() - started
    assert posted.status_code == 302, posted.content.decode()[:2000]
    landed = browser.get(posted["Location"]).content.decode()
    return max(form_seconds, post_seconds), landed


@pytest.mark.usefixtures("web_broker", "in_process_smtp")
def test_with_redis_stopped_50_web_requests_are_saved_at_once_and_each_email_goes_out_once(
    redis, sink, worker, services_env, tmp_path, settings
):
    settings.SWEEP_INTERVAL_SECONDS = 2
    sync_sweep_schedule()  # beat sweeps every 2 s in this test
    worker.start()
    beat = CeleryProcess.beat(services_env, tmp_path / "beat.log").start()
    try:
        redis.stop()
        timings, pages = zip(*(submit_through_the_web(n) for n in range(50)), strict=True)

        assert PrivacyRequest.objects.count() == 50
        assert all("We received your request" in page for page in pages)
        slowest = max(timings)
        assert slowest < 2, f"a response took {slowest:.2f} s with Redis down"
        assert OutboundEmail.objects.filter(state=OutboundEmail.State.PENDING).count() == 50

        redis.start()
        drained = wait_for(lambda: all_sent(50), timeout=120, every=0.5)
    finally:
        beat.stop()

    assert drained, "the outbox was not drained after Redis came back"
    received = sink.count_by_message_id()
    assert len(received) == 50
    assert duplicates(received) == 0
    assert set(received) == set(OutboundEmail.objects.values_list("message_id", flat=True))
    median = sorted(timings)[len(timings) // 2]
    print(f"\n1a: 50 requests held with Redis down; responses median {median:.3f} s, slowest")
    print(f"{slowest:.3f} s; {len(received)} emails, {duplicates(received)} duplicates")


# --- 1b: the worker SIGKILLed in the middle of a send --------------------------------------------


@pytest.mark.parametrize("killed", ["worker and pool", "pool process only"])
def test_a_worker_killed_mid_send_sends_the_email_exactly_once_after_restart(
    web_broker, sink, worker, killed
):
    worker.start()
    sink.hold.clear()  # the next message waits, unanswered, in the middle of its send
    (email,) = queue_examples(1)
    assert wait_for(sink.held.is_set, timeout=30), "the worker never started the send"

    if killed == "worker and pool":
        worker.kill()  # SIGKILL mid-send; the mail server never said 250
    else:
        worker.kill_pool_process()
    sink.release()  # the dead sender's message is dropped, as a real server drops it
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.PENDING and email.claimed_until is not None
    if killed == "worker and pool":
        assert sink.count_by_message_id() == {}
        worker.start()  # the same name: its claim is released and a sweep sent at once
    # else: the task comes back at once (CELERY_TASK_REJECT_ON_WORKER_LOST) and takes over the
    # claim its first delivery left, without waiting for it to expire.

    assert wait_for(lambda: all_sent(1), timeout=60), worker.output()
    time.sleep(1)  # a second send, if any, would arrive now
    email.refresh_from_db()
    assert sink.count_by_message_id() == {email.message_id: 1}


# --- 8c: the database lost between the SMTP send and recording it --------------------------------


@pytest.mark.usefixtures("in_process_smtp")
def test_a_worker_that_loses_its_database_after_sending_records_it_and_nothing_is_sent_twice(
    web_broker, sink, worker
):
    worker.start()
    terminated = []
    tests_own = backend_pid()

    def terminate_the_workers_connections(message):
        from django.db import connection

        try:
            terminated.append(terminate_backends(backend_pids_of_others(also=[tests_own])))
        finally:
            connection.close()

    sink.before_accept = terminate_the_workers_connections
    emails = queue_examples(10)
    assert wait_for(lambda: len(sink.messages) == 10, timeout=120), worker.output()
    sink.before_accept = None
    assert wait_for(lambda: all_sent(10), timeout=90), worker.output()

    # The sweeps that would have re-sent an unrecorded email once its claim expired.
    for later in (timedelta(minutes=6), timedelta(days=1)):  # every claim has expired
        with time_machine.travel(timezone.now() + later):
            outbox_send_due(now=timezone.now())

    by_subject = {m["Subject"]: 0 for m in sink.messages}
    for message in sink.messages:
        by_subject[message["Subject"]] += 1
    assert sum(terminated) >= 10
    assert len(by_subject) == 10 and duplicates(by_subject) == 0
    assert sink.count_by_message_id() == {e.message_id: 1 for e in OutboundEmail.objects.all()}
    assert len(emails) == 10
    print(f"\n8c: 10 sends with the database cut after each, {duplicates(by_subject)} duplicates")


# --- 8d: a mail server that stalls ---------------------------------------------------------------


@pytest.mark.usefixtures("in_process_smtp")
def test_a_stalled_mail_server_fails_the_workers_send_within_email_timeout_then_it_is_retried(
    web_broker, sink, worker
):
    worker.start()
    sink.stalled = True  # accepts, never answers
    started = time.monotonic()
    (email,) = queue_examples(1)

    failed = wait_for(
        lambda: OutboundEmail.objects.filter(pk=email.pk, attempts=1).exists(), timeout=30
    )
    waited = time.monotonic() - started
    assert failed, "the worker is still waiting on the silent mail server"
    assert waited < 10, f"EMAIL_TIMEOUT is 2 s, the send held the worker {waited:.0f} s"
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.PENDING
    assert "timed out" in email.last_error

    sink.stalled = False
    assert outbox_send_due(now=timezone.now() + timedelta(minutes=2)) == 1
    assert sink.count_by_message_id() == {email.message_id: 1}


# --- 8f and 8e: a pool process SIGKILLed in the middle of an export ------------------------------


def test_an_export_whose_pool_process_is_killed_is_resumed_by_its_redelivery_at_once(
    web_broker, worker
):
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    consumer = factories.consumer(email="dana@example.com")
    request = factories.PrivacyRequestFactory.create(
        request_type=RequestType.KNOW_SPECIFIC,
        status=Status.APPROVED,
        consumer=consumer,
        requester_email=consumer.email,
        acknowledged_at=timezone.now(),  # so the sweep a starting worker sends leaves its row alone
    )
    request_fulfilment_start(privacy_request=request, actor=officer)
    task = SystemTask.objects.get(request=request, data_system__slug="shop-database")
    with transaction.atomic():
        # Hold the request's row: the export writes its files, then waits here for the lock.
        PrivacyRequest.objects.select_for_update().get(pk=request.pk)
        worker.start()
        assert wait_for(lambda: len(files()) >= 4, timeout=60), worker.output()
        first_run = files()
        worker.kill_pool_process()  # the export dies mid-run, its files written
        # The same task is delivered again and takes the run over at once: a fresh pool
        # process writes the files again and waits for the lock in its turn.
        assert wait_for(lambda: len(files() - first_run) >= 4, timeout=60), worker.output()
    resumed = wait_for(
        lambda: SystemTask.objects.filter(pk=task.pk, state=SystemTask.State.DONE).exists(),
        timeout=60,
    )

    assert resumed, worker.output()
    exports = list(Export.objects.filter(request=request))
    pointed_to = {export_path(e) for e in exports}
    assert len(exports) == 4 and all(path.exists() for path in pointed_to)
    assert files() - pointed_to == first_run  # the killed run's: personal data, no row
    assert orphan_files_remove(now=timezone.now()) == 0  # too young: maybe a live writer's
    assert orphan_files_remove(now=timezone.now() + orphan_grace() + timedelta(minutes=1)) == 4
    assert files() == pointed_to


def files():
    return set(exports_folder().iterdir()) if exports_folder().exists() else set()
