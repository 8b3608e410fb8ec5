"""Limits that hold under a burst, and references nobody can count or guess (issue 10, item 9).

The submission limit (20 an hour from one address, 5 for one email address) used to count the
recent attempts and then record one: a burst of simultaneous submissions all counted the same
attempts, and 25 of 25 passed a limit of 20. Now each key's row is locked while its attempts
are counted and recorded. The burst tests use real threads on PostgreSQL (`services`).
"""

import re
import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import Resolver404, resolve

from core.models import OutboundEmail
from requests_app import ratelimit, references, services
from requests_app.models import Attempt, PrivacyRequest, RequesterKind, RequestType
from tests import factories
from tests.test_concurrency_double_submit import no_task_left_for_a_later_worker  # noqa: F401

BURST = 25
# Transactional tests here use serialized_rollback, as every transactional test in the suite
# should: a plain one re-creates content types when it flushes, and the next serialized test
# then fails to restore its own copy of them.


def burst(count: int, task) -> list[str]:
    """Run task(i) in `count` threads released together; returns "ok", "refused" or the error."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []

    def worker(i):
        try:
            barrier.wait(timeout=30)
            task(i)
            outcomes.append("ok")
        except services.SubmissionRefused:
            outcomes.append("refused")
        except BaseException as exc:  # noqa: BLE001  (shown by the assertion)
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def submit(*, email: str, client_ip: str = ""):
    return services.request_submit(
        request_type=RequestType.KNOW_CATEGORIES,
        requester_kind=RequesterKind.SELF,
        requester_name="Dana Shopper",
        requester_email=email,
        client_ip=client_ip,
    )


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("run", range(3))
def test_a_burst_from_one_address_passes_exactly_the_hourly_limit(run):
    address = f"203.0.113.{run}"

    outcomes = burst(BURST, lambda i: submit(email=f"p{run}-{i}@example.com", client_ip=address))

    allowed = ratelimit.SUBMISSIONS_PER_IP.max_attempts
    assert sorted(outcomes) == ["ok"] * allowed + ["refused"] * (BURST - allowed)
    assert PrivacyRequest.objects.count() == allowed
    assert Attempt.objects.filter(key=ratelimit.attempt_key("ip", address)).count() == allowed


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_burst_for_one_email_address_passes_exactly_its_limit():
    outcomes = burst(10, lambda i: submit(email="dana@example.com", client_ip=f"198.51.100.{i}"))

    allowed = ratelimit.SUBMISSIONS_PER_EMAIL.max_attempts
    assert sorted(outcomes) == ["ok"] * allowed + ["refused"] * (10 - allowed)
    assert PrivacyRequest.objects.filter(requester_email="dana@example.com").count() == allowed


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_burst_of_new_code_clicks_sends_no_more_codes_than_the_limit():
    privacy_request = submit(email="dana@example.com")

    outcomes = burst(8, lambda i: services.resend_code(privacy_request=privacy_request))

    allowed = ratelimit.CODE_RESENDS.max_attempts
    assert sorted(outcomes) == ["ok"] * allowed + ["refused"] * (8 - allowed)
    assert OutboundEmail.objects.filter(kind="request.code").count() == allowed


@pytest.mark.django_db
def test_a_refused_submission_counts_against_neither_limit():
    address = "203.0.113.9"
    for i in range(ratelimit.SUBMISSIONS_PER_EMAIL.max_attempts):
        submit(email="dana@example.com", client_ip=f"198.51.100.{i}")

    with pytest.raises(services.SubmissionRefused):
        submit(email="dana@example.com", client_ip=address)

    assert not Attempt.objects.filter(key=ratelimit.attempt_key("ip", address)).exists()


@pytest.mark.django_db
def test_the_purge_forgets_idle_limit_keys_with_their_attempts():
    from datetime import timedelta

    from django.utils import timezone

    from core.models import RateLimitKey

    submit(email="dana@example.com", client_ip="203.0.113.1")
    assert RateLimitKey.objects.count() == 2

    ratelimit.purge_old_attempts(now=timezone.now() + timedelta(days=2))

    assert RateLimitKey.objects.count() == 0
    assert Attempt.objects.count() == 0
    submit(email="dana@example.com", client_ip="203.0.113.1")  # and counts afresh
    assert RateLimitKey.objects.count() == 2


# --- References ----------------------------------------------------------------------------------

NEW_FORMAT = re.compile(r"PR-\d{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.mark.django_db
def test_references_are_random_not_a_count():
    made = [submit(email=f"p{i}@example.com").reference for i in range(30)]

    assert all(NEW_FORMAT.fullmatch(reference) for reference in made)
    assert len(set(made)) == len(made)
    tails = [reference.rsplit("-", 2)[1:] for reference in made]
    assert tails != sorted(tails)  # 30 random draws in order: about once in 10^32


class Draws:
    """Stands for the `secrets` module in requests_app.references: each reference's characters
    come from the next string given."""

    def __init__(self, *draws: str):
        self.characters = iter("".join(draws))

    def choice(self, alphabet: str) -> str:
        return next(self.characters)


@pytest.mark.django_db
def test_a_reference_already_taken_is_drawn_again(monkeypatch):
    monkeypatch.setattr(references, "secrets", Draws("7KQ4M9XD", "7KQ4M9XD", "ABCDEFGH"))
    taken = submit(email="first@example.com").reference

    second = submit(email="second@example.com")

    assert taken.endswith("-7KQ4-M9XD")
    assert second.reference.endswith("-ABCD-EFGH")
    assert PrivacyRequest.objects.filter(reference=taken).count() == 1


@pytest.mark.parametrize(
    ("path", "resolves"),
    [
        ("/requests/PR-2026-7KQ4-M9XD/", True),
        ("/requests/PR-2026-000018/", True),  # given before references were random
        ("/requests/PR-2026-7KQ4-M9XU/", False),  # U is not in the alphabet
        ("/requests/PR-2026-7kq4-m9xd/", False),  # URLs carry the reference as we wrote it
        ("/requests/PR-2026-7KQ4M9XD/", False),
    ],
)
def test_the_url_converter_takes_new_and_old_references_and_nothing_else(path, resolves):
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    assert (match is not None and match.url_name == "detail") is resolves


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("PR-2026-7KQ4-M9XD", "PR-2026-7KQ4-M9XD"),
        ("pr-2026-7kq4-m9xd", "PR-2026-7KQ4-M9XD"),
        ("PR 2026 7KQ4 M9XD", "PR-2026-7KQ4-M9XD"),
        ("PR-2026-7KQ4M9XD", "PR-2026-7KQ4-M9XD"),
        ("PR-2026-1OLI-M9XD", "PR-2026-1011-M9XD"),  # O read as 0, I and L as 1
        ("PR-2026-000018", "PR-2026-000018"),
        ("PR-2026-7KQ4-M9XU", None),
        ("PR-2026-7KQ4", None),
        ("12345", None),
    ],
)
def test_a_typed_reference_is_read_as_people_read_it(typed, stored):
    assert references.reference_normalize(typed) == stored


@pytest.mark.django_db
def test_the_status_lookup_finds_a_request_by_a_reference_typed_in_lower_case():
    factories.consumer(email="dana@example.com")
    privacy_request = submit(email="dana@example.com")

    Client().post(
        "/requests/status/",
        {"reference": privacy_request.reference.lower(), "email": "dana@example.com"},
    )

    assert OutboundEmail.objects.filter(kind="request.status_link").count() == 1
