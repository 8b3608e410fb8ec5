"""Ten simultaneous opt-outs for the same person give one effective opt-out and no error.

Real threads, each with its own database connection, released together by a barrier. Marked
`services`: the race only means something against PostgreSQL's row locks (CI runs it there);
SQLite's in-memory test database serializes writers differently and is not what production
runs.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from consent.models import ConsentEvent, PartnerNotice, PendingOptOut, SaleStatus
from core.models import OutboundEmail
from registry.models import DataSystem
from tests import factories
from tests.consent_factories import adult

pytestmark = [
    pytest.mark.services,
    # serialized_rollback: a transactional test starts from an emptied database; this restores
    # what the data migrations seeded (the sale partner among the data systems).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

THREADS = 10


def run_together(task) -> list[BaseException]:
    barrier = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def worker():
        try:
            barrier.wait(timeout=30)
            task()
        except BaseException as exc:  # noqa: BLE001  (reported by the test)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return errors


def sale_partner():
    """The partner personal information is sold to, seeded by registry's migration 0002; made
    here if an earlier transactional test emptied the database."""
    return factories.DataSystemFactory.create(
        slug="marketing-partners",
        kind=DataSystem.Kind.THIRD_PARTY,
        connector=DataSystem.Connector.MANUAL,
    )


def test_ten_simultaneous_opt_outs_for_the_same_person_give_one_effective_opt_out():
    sale_partner()
    dana = adult(email="dana@example.com")
    statuses = []

    def opt_out():
        response = Client().post("/do-not-sell/", {"identifier": "dana@example.com"})
        statuses.append(response.status_code)

    errors = run_together(opt_out)

    assert errors == []
    assert statuses == [302] * THREADS
    status = SaleStatus.objects.get(consumer=dana)
    assert status.state == SaleStatus.State.OPTED_OUT
    assert status.episode == 1
    assert ConsentEvent.objects.filter(consumer=dana, kind="opted_out").count() == 1
    assert PartnerNotice.objects.filter(consumer=dana).count() == 1
    assert OutboundEmail.objects.filter(kind="consent.opt_out").count() == 1


def test_ten_simultaneous_opt_outs_for_an_unknown_address_keep_one():
    def opt_out():
        Client().post("/do-not-sell/", {"identifier": "stranger@example.com"})

    errors = run_together(opt_out)

    assert errors == []
    assert PendingOptOut.objects.count() == 1
    assert ConsentEvent.objects.filter(kind="opt_out_pending").count() == 1
    assert OutboundEmail.objects.filter(kind="consent.opt_out").count() == 1
