"""Running the automated data-system tasks: claimed with a conditional update, held by a lease
that a thread renews while the work goes on, taken over when its worker died, retried by the
sweep. fulfilment.tasks runs task_run in a worker; fulfilment.services, which enqueues that
task, sits above both.
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from core import leases
from registry.models import DataSystem
from requests_app.models import RequestEvent, Status
from requests_app.services.history import event_record

from . import connectors
from .models import SystemTask

logger = logging.getLogger(__name__)

MAX_TASK_ATTEMPTS = 5


def task_ready(task: SystemTask) -> bool:
    """The portal's own erase runs last: staff still need the consumer's details to reach the
    other systems, so it waits until every other task of the request is done."""
    if task.action != SystemTask.Action.ERASE:
        return True
    return not (
        SystemTask.objects.filter(request_id=task.request_id)
        .exclude(pk=task.pk)
        .exclude(state=SystemTask.State.DONE)
        .exists()
    )


# --- Running automated tasks ---------------------------------------------------------------------


def task_run(*, task_id: int, now: datetime | None = None) -> bool:
    """Run one automated task if nobody else is; returns True when this call completed it.
    Claimed with a conditional update, so a Celery retry and the sweep never run it twice; a
    run whose worker died is taken over once its lease lapses, or at once by the same Celery
    task delivered again (core.leases)."""
    now = now or timezone.now()
    waiting = SystemTask.objects.filter(pk=task_id).first()
    if waiting is None or not task_ready(waiting):
        return False
    claimant = leases.current_claimant()
    if not _task_claim(task_id, now=now, claimant=claimant):
        return False
    task = SystemTask.objects.select_related("request", "data_system").get(pk=task_id)
    try:
        with _lease_renewed(task_id, claimant):
            if task.action == SystemTask.Action.EXPORT:
                result = connectors.internal_export(privacy_request=task.request, now=now)
            else:
                result = connectors.internal_erase(privacy_request=task.request, now=now)
    except Exception as exc:
        logger.exception("Task %s failed", task_id)
        SystemTask.objects.filter(pk=task_id, claimed_by=claimant).update(
            state=SystemTask.State.FAILED,
            attempts=task.attempts + 1,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            claimed_by="",
            lease_until=None,
        )
        return False
    SystemTask.objects.filter(pk=task_id).update(
        state=SystemTask.State.DONE,
        done_at=timezone.now(),
        result=result,
        last_error="",
        claimed_by="",
        lease_until=None,
    )
    event_record(
        privacy_request=task.request,
        kind=RequestEvent.Kind.NOTE,
        actor_label="system",
        detail=f"{task.get_action_display()} in {task.data_system.name}: done",
        visible_to_consumer=False,
    )
    return True


# A running task's lease: renewed every third of it while the work goes on, so a live run is
# never taken over and a dead one is within a minute.
TASK_LEASE_SECONDS = 60


def _lapsed_lease(now: datetime) -> Q:
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now) | leases.redelivered_claim()


def _task_claim(task_id: int, *, now: datetime, claimant: str) -> bool:
    open_task = Q(state__in=[SystemTask.State.PENDING, SystemTask.State.FAILED])
    abandoned_run = Q(state=SystemTask.State.RUNNING) & _lapsed_lease(now)
    claimed = SystemTask.objects.filter(open_task | abandoned_run, pk=task_id).update(
        state=SystemTask.State.RUNNING,
        started_at=now,
        claimed_by=claimant,
        lease_until=now + timedelta(seconds=TASK_LEASE_SECONDS),
    )
    return claimed == 1


@contextmanager
def _lease_renewed(task_id: int, claimant: str) -> Iterator[None]:
    """Renew the task's lease from a thread while the body runs (an export's PDF can take
    minutes); the renewals stop with the body, or with the process when it dies."""
    stop = threading.Event()

    def renew() -> None:
        from django.db import connection

        try:
            while not stop.wait(TASK_LEASE_SECONDS / 3):
                SystemTask.objects.filter(pk=task_id, claimed_by=claimant).update(
                    lease_until=timezone.now() + timedelta(seconds=TASK_LEASE_SECONDS)
                )
        except Exception:
            logger.exception("Renewing the lease of task %s failed", task_id)
        finally:
            connection.close()

    renewer = threading.Thread(target=renew, name=f"lease-{task_id}", daemon=True)
    renewer.start()
    try:
        yield
    finally:
        stop.set()
        renewer.join()


def task_leases_release(*, worker_name: str) -> int:
    """A worker named `worker_name` (re)started: the tasks its previous boot was running, it
    never will finish. Lapse their leases so the next claim takes them over (core.leases)."""
    return (
        SystemTask.objects.filter(leases.held_by_previous_boot(worker_name))
        .filter(state=SystemTask.State.RUNNING)
        .update(lease_until=None)
    )


def failed_tasks_retry(*, now: datetime) -> int:
    """The sweep's retry of automated tasks that failed, never started (broker down), or whose
    worker died mid-run (their lease lapsed)."""
    retry = SystemTask.objects.filter(
        Q(state=SystemTask.State.FAILED, attempts__lt=MAX_TASK_ATTEMPTS)
        | Q(state=SystemTask.State.PENDING, request__status=Status.IN_PROGRESS)
        | (Q(state=SystemTask.State.RUNNING) & _lapsed_lease(now)),
        data_system__connector=DataSystem.Connector.INTERNAL,
    ).values_list("pk", flat=True)
    return sum(task_run(task_id=task_id, now=now) for task_id in list(retry))
