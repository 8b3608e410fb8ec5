"""At most two requests to know per consumer in any rolling 12 months, counted when identity
is verified; deletions never refused for count (the notice, "Frequency")."""

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from requests_app import services
from requests_app.models import DenialReason, PrivacyRequest, RequesterKind, RequestType, Status
from tests import factories
from tests.request_helpers import emails_to

LA = ZoneInfo("America/Los_Angeles")


def verified_request(consumer, *, request_type=RequestType.KNOW_CATEGORIES, when=None):
    """A request by the account holder, verified with their password at `when`."""
    request = services.request_submit(
        request_type=request_type,
        requester_kind=RequesterKind.SELF,
        requester_name=consumer.full_name,
        requester_email=consumer.email,
        user=consumer.user,
        now=when,
    )
    services.request_verify_account(
        privacy_request=request, user=consumer.user, password=factories.PASSWORD, now=when
    )
    request.refresh_from_db()
    return request


@pytest.fixture
def ana(db):
    return factories.consumer_with_account(email="ana@example.com")


@pytest.mark.django_db
def test_third_know_request_in_twelve_months_is_refused_with_next_date(ana):
    verified_request(ana, when=datetime(2026, 3, 3, 10, tzinfo=LA))
    verified_request(ana, when=datetime(2026, 7, 1, 10, tzinfo=LA))

    third = verified_request(ana, when=datetime(2026, 11, 25, 10, tzinfo=LA))

    assert third.status == Status.DENIED
    assert third.denial_reason == DenialReason.OVER_CAP
    assert "You can make your next request to know on 3 March 2027." in third.denial_explanation
    assert "3 March 2027" in emails_to("ana@example.com")[-1].body


@pytest.mark.django_db
def test_the_window_rolls_a_request_verified_a_year_ago_no_longer_counts(ana):
    verified_request(ana, when=datetime(2026, 3, 3, 10, tzinfo=LA))
    verified_request(ana, when=datetime(2026, 7, 1, 10, tzinfo=LA))

    on_the_day = verified_request(ana, when=datetime(2027, 3, 3, 9, tzinfo=LA))

    assert on_the_day.status == Status.VERIFIED


@pytest.mark.django_db
def test_deletions_are_never_refused_for_count(ana):
    verified_request(ana, when=datetime(2026, 3, 3, 10, tzinfo=LA))
    verified_request(ana, when=datetime(2026, 7, 1, 10, tzinfo=LA))

    deletion = verified_request(
        ana, request_type=RequestType.DELETE, when=datetime(2026, 11, 25, 10, tzinfo=LA)
    )

    assert deletion.status == Status.AWAITING_DELETE_CONFIRMATION


@pytest.mark.django_db
def test_unverified_submissions_in_someones_name_do_not_spend_their_allowance(client, ana):
    for _ in range(3):
        services.request_submit(
            request_type=RequestType.KNOW_SPECIFIC,
            requester_kind=RequesterKind.SELF,
            requester_name="Impostor",
            requester_email="ana@example.com",
        )

    assert services.know_cap_next_free_date(ana, today=timezone.localdate()) is None
    assert verified_request(ana).status == Status.VERIFIED


@pytest.mark.django_db
def test_a_denied_or_withdrawn_request_still_counts_once_it_was_verified(ana):
    with time_machine.travel(datetime(2026, 6, 1, 10, tzinfo=LA)):
        first = verified_request(ana)
        services.request_withdraw(privacy_request=first)
        verified_request(ana)

        assert verified_request(ana).status == Status.DENIED


def verify_in_thread(request_pk, user_pk, barrier, outcomes):
    from django.contrib.auth import get_user_model

    try:
        user = get_user_model().objects.get(pk=user_pk)
        request = PrivacyRequest.objects.get(pk=request_pk)
        barrier.wait(timeout=30)
        outcome = services.request_verify_account(
            privacy_request=request, user=user, password=factories.PASSWORD
        )
        outcomes.append("verified" if outcome.verified else "refused")
    except Exception as exc:  # a failure must show in the assertion, not vanish in a thread
        outcomes.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("run", range(20))
def test_twenty_simultaneous_verifications_with_one_left_verify_exactly_one(run):
    ana = factories.consumer_with_account(email=f"ana{run}@example.com")
    verified_request(ana)  # one of the two already used
    pending = factories.PrivacyRequestFactory.create_batch(
        20, requester_user=ana.user, requester_email=ana.email
    )
    barrier = threading.Barrier(len(pending))
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=verify_in_thread, args=(p.pk, ana.user.pk, barrier, outcomes))
        for p in pending
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused"] * 19 + ["verified"]
    assert PrivacyRequest.objects.filter(consumer=ana, counts_toward_cap=True).count() == 2
    assert (
        PrivacyRequest.objects.filter(consumer=ana, denial_reason=DenialReason.OVER_CAP).count()
        == 19
    )
