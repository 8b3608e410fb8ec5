"""Who is working on a row, so that work a dead worker held is resumed at once, not after its
claim expires.

A row being worked on (an outbox email being sent, a data-system task being run) records its
claimant, "<worker name>/<boot id>/<Celery task id>", and until when the claim holds. Besides
an expired claim, two events prove the claimant dead, and let another run take over at once:

- the same Celery task is delivered again. Tasks are acknowledged late and the broker's
  visibility timeout outlasts the task time limit (settings), so a message comes back only when
  the worker that had it died (a SIGKILLed pool process is requeued at once:
  CELERY_TASK_REJECT_ON_WORKER_LOST);
- a worker of the same name starts again (a new boot id): `worker_restarted_release` frees what
  the previous boot held. Worker names must therefore be unique across hosts, as Celery asks
  (`-n name@%h`).
"""

import os
import socket
import uuid

from django.db.models import Q

# Set once per worker start in the main process, before the pool forks, so every pool process
# of one boot shares it (core.tasks connects it to celery's worker_init).
BOOT_ID = uuid.uuid4().hex[:12]


def new_boot() -> str:
    global BOOT_ID
    BOOT_ID = uuid.uuid4().hex[:12]
    return BOOT_ID


def _current_request():
    from celery import current_task

    if current_task and getattr(current_task.request, "id", None):
        return current_task.request
    return None


def current_claimant() -> str:
    """This process's identity for a claim: the Celery worker and task when inside one."""
    request = _current_request()
    if request is not None and request.hostname:
        return f"{request.hostname}/{BOOT_ID}/{request.id}"
    return f"{socket.gethostname()}:{os.getpid()}/{BOOT_ID}/-"


def current_task_id() -> str | None:
    request = _current_request()
    return request.id if request is not None else None


def redelivered_claim(field: str = "claimed_by") -> Q:
    """Rows claimed by an earlier delivery of the Celery task now running (empty Q outside a
    task: nothing matches)."""
    task_id = current_task_id()
    if not task_id:
        return Q(pk__in=[])
    return Q(**{f"{field}__endswith": f"/{task_id}"})


def held_by_previous_boot(worker_name: str, field: str = "claimed_by") -> Q:
    """Rows claimed by an earlier start of the worker named `worker_name`."""
    return Q(**{f"{field}__startswith": f"{worker_name}/"}) & ~Q(
        **{f"{field}__startswith": f"{worker_name}/{BOOT_ID}/"}
    )
