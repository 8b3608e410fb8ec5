"""A running data-system task holds a lease (core.leases): a live run is never run twice, a run
whose worker died is resumed by the same Celery task delivered again at once, by a restart of
its worker, or by the sweep once the lease lapses (issue 10, item 8f). The real SIGKILL:
test_faults_worker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core import leases
from core.sweep import sweep_run
from fulfilment import connectors
from fulfilment.models import SystemTask
from fulfilment.services import request_fulfilment_start
from fulfilment.task_runs import TASK_LEASE_SECONDS, task_leases_release, task_run
from requests_app.models import Status
from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import staff_in_role

pytestmark = pytest.mark.django_db


@pytest.fixture
def running_task(monkeypatch):
    """The portal's export of a request, left "running" by a worker that then died."""
    monkeypatch.setattr(
        connectors, "internal_export", lambda **kw: {"categories": 1, "pieces": 0, "files": []}
    )
    monkeypatch.setattr("fulfilment.services._enqueue", lambda ids: None)  # no worker here
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    consumer = factories.consumer(email="dana@example.com")
    request = factories.PrivacyRequestFactory.create(
        status=Status.APPROVED, consumer=consumer, requester_email=consumer.email
    )
    request_fulfilment_start(privacy_request=request, actor=officer)
    task = SystemTask.objects.get(request=request, data_system__slug="shop-database")
    SystemTask.objects.filter(pk=task.pk).update(
        state=SystemTask.State.RUNNING,
        started_at=timezone.now(),
        claimed_by="faults@host/0ldb00t00000/task-7",
        lease_until=timezone.now() + timedelta(seconds=TASK_LEASE_SECONDS),
    )
    return task


def state_of(task):
    task.refresh_from_db()
    return task.state


def test_a_live_lease_is_left_alone_by_the_sweep_and_by_another_task(running_task, monkeypatch):
    monkeypatch.setattr(leases, "current_task_id", lambda: "task-8")

    assert task_run(task_id=running_task.pk) is False
    sweep_run()

    assert state_of(running_task) == SystemTask.State.RUNNING


def test_the_same_task_delivered_again_takes_the_run_over_at_once(running_task, monkeypatch):
    monkeypatch.setattr(leases, "current_task_id", lambda: "task-7")

    assert task_run(task_id=running_task.pk) is True

    assert state_of(running_task) == SystemTask.State.DONE


def test_a_restarted_worker_frees_the_run_its_previous_boot_held(running_task):
    assert task_leases_release(worker_name="other@host") == 0
    assert task_leases_release(worker_name="faults@host") == 1
    sweep_run()

    assert state_of(running_task) == SystemTask.State.DONE


def test_the_sweep_resumes_a_run_whose_lease_lapsed(running_task):
    later = timezone.now() + timedelta(seconds=TASK_LEASE_SECONDS + 1)
    sweep_run(now=later)
    sweep_run(now=later)

    assert state_of(running_task) == SystemTask.State.DONE
