"""The database connections of the web app terminated mid-traffic (pg_terminate_backend), with
the web app served by gunicorn as in production (persistent connections, CONN_MAX_AGE=60): the
next requests succeed, and nothing is half-written: every saved request has its history and its
email (issue 10, proof suite 1d)."""

from __future__ import annotations

import http.cookiejar
import os
import signal
import subprocess
import threading
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

import pytest

from core.models import OutboundEmail
from requests_app.models import PrivacyRequest, RequestEvent
from tests.fault_harness import (
    ROOT,
    backend_pid,
    backend_pids_of_others,
    free_port,
    service_environment,
    terminate_backends,
    wait_for,
)

pytestmark = [
    pytest.mark.services,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FORM = "/requests/new/details/?type=know_categories&who=self"


@pytest.fixture
def web(settings, tmp_path):
    """gunicorn serving the portal on the test database, two workers, connections kept."""
    port = free_port()
    env = service_environment(
        CONN_MAX_AGE="60",
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",  # no broker: the sweep would send
        PRIVATE_FILES_ROOT=str(settings.PRIVATE_FILES_ROOT),
        TRUSTED_PROXY_COUNT="1",  # each simulated consumer has an address of its own
    )
    log = (tmp_path / "web.log").open("wb")
    server = subprocess.Popen(  # noqa: S603  (our own gunicorn, fixed arguments)
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "privacy_portal.wsgi"]
        + ["-b", f"127.0.0.1:{port}", "-w", "2", "--timeout", "60"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    if not wait_for(lambda: _answers(base + "/"), timeout=60):
        os.killpg(server.pid, signal.SIGKILL)
        pytest.fail((tmp_path / "web.log").read_text())
    yield base
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5):  # noqa: S310  (our own loopback server)
            return True
    except (urllib.error.URLError, OSError):
        return False


class _HiddenInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.fields[found["name"]] = found.get("value") or ""


def submit(base: str, number: int) -> int:
    """A consumer's submission over HTTP: the form, then the post. Returns the status of the
    page the consumer ends on (200 "We received your request", or the error)."""
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    browser.addheaders = [("X-Forwarded-For", f"10.1.{number // 250}.{number % 250 + 1}")]
    try:
        with browser.open(base + FORM, timeout=30) as form:
            hidden = _HiddenInputs()
            hidden.feed(form.read().decode())
        data = hidden.fields | {
            "requester_name": f"Person {number}",
            "requester_email": f"person{number}@example.com",
        }
        request = urllib.request.Request(  # noqa: S310  (our own loopback server)
            base + FORM, data=urllib.parse.urlencode(data).encode(), headers={"Referer": base}
        )
        with browser.open(request, timeout=30) as landed:  # follows the redirect
            page = landed.read().decode()
            return 200 if "We received your request" in page else 299
    except urllib.error.HTTPError as error:
        return error.code


def test_after_the_database_connections_are_cut_the_next_requests_succeed_and_nothing_is_half_written(  # noqa: E501
    web,
):
    statuses: dict[int, int] = {}
    number = 0

    def traffic(count):
        nonlocal number
        for _ in range(count):
            number += 1
            statuses[number] = submit(web, number)

    # Between requests: every connection the web workers keep is terminated; the next request
    # on each worker must notice and reconnect (CONN_HEALTH_CHECKS), not fail.
    traffic(6)
    cut_between = 0
    for _ in range(3):
        cut_between += terminate_backends(backend_pids_of_others())
        traffic(6)
    assert cut_between >= 2, "the web workers held no connection to cut"
    assert set(statuses.values()) == {200}, statuses

    # During requests: a terminator cuts every connection again and again while traffic runs.
    # A request whose transaction was cut may fail; what it wrote must be all or nothing.
    stop = threading.Event()
    cut_during = []
    tests_own = backend_pid()

    def terminator():
        from django.db import connection

        try:
            while not stop.wait(0.15):
                cut_during.append(terminate_backends(backend_pids_of_others(also=[tests_own])))
        finally:
            connection.close()

    cutter = threading.Thread(target=terminator)
    cutter.start()
    during_start = number + 1
    try:
        traffic(15)
    finally:
        stop.set()
        cutter.join()
    during = {n: s for n, s in statuses.items() if n >= during_start}

    after_start = number + 1
    traffic(6)  # the blip is over: every request succeeds again
    after = {n: s for n, s in statuses.items() if n >= after_start}
    assert set(after.values()) == {200}, after

    saved = PrivacyRequest.objects.all()
    for privacy_request in saved:
        assert RequestEvent.objects.filter(
            request=privacy_request, kind=RequestEvent.Kind.SUBMITTED
        ).exists(), f"{privacy_request.reference} saved without its history"
        assert OutboundEmail.objects.filter(
            dedupe_key=f"request:{privacy_request.pk}:received"
        ).exists(), f"{privacy_request.reference} saved without its email"
    told_received = sum(1 for status in statuses.values() if status == 200)
    # Every consumer told "received" has a saved request; a cut one may have been saved (and
    # told nothing) or not at all, never half.
    assert told_received <= saved.count() <= len(statuses)
    assert OutboundEmail.objects.filter(kind="request.received").count() == saved.count()
    failed_during = sum(1 for status in during.values() if status != 200)
    print(
        f"\n1d: {sum(cut_during) + cut_between} connections cut; {len(statuses)} submissions, "
        f"{failed_during} of {len(during)} failed while connections were being cut, "
        f"{len(after)} of {len(after)} after succeeded; {saved.count()} saved, none half-written"
    )
