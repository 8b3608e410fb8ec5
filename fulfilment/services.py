"""Carrying out a verified request in every data system, and delivering the answer.

    request_fulfilment_start  the officer starts the work: in progress, with its plan
    fulfilment_plan           one task per data system and action, when fulfilment starts
    task_run                  an automated task, run by a Celery task and retried by the sweep
    task_confirm              staff confirm a manual task done, with the date
    fulfilment_finish         every task answered: deliver the answer and close the request

Permission checks belong to the caller (the staff views); these hold the rules.
"""

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from core.escalation import Escalation, OfficerEmail, escalated_at_claim, overdue_escalate
from core.keyed_hash import KeyPurpose, keyed_hash, keyed_hash_matches
from registry.models import DataSystem
from requests_app.models import PrivacyRequest, RequestEvent, RequestType, Status
from requests_app.services import lifecycle
from requests_app.services.history import event_record
from requests_app.services.notify import notify, request_context, site_url
from requests_app.services.staff_actions import ActionRefused, request_close, request_work_start

from . import connectors
from .models import DeliveryLink, Export, SystemTask
from .task_runs import failed_tasks_retry, task_leases_release, task_ready, task_run
from .tasks import run_system_task

logger = logging.getLogger(__name__)

# --- Planning ------------------------------------------------------------------------------------


def _systems_for(privacy_request: PrivacyRequest) -> list[DataSystem]:
    """Where this consumer's data may be: the portal's database, every system that holds one of
    their records or orders, and for a deletion every service provider and third party (they
    must be directed to delete, or told, even if our copy shows nothing)."""
    systems = {s.pk: s for s in DataSystem.objects.filter(connector=DataSystem.Connector.INTERNAL)}
    consumer = privacy_request.consumer
    if consumer is not None:
        systems |= {
            s.pk: s
            for s in DataSystem.objects.filter(
                Q(records__consumer=consumer) | Q(orders__consumer=consumer)
            ).distinct()
        }
    if privacy_request.request_type == RequestType.DELETE:
        systems |= {s.pk: s for s in DataSystem.objects.exclude(kind=DataSystem.Kind.INTERNAL)}
    return sorted(systems.values(), key=lambda s: (not connectors.is_automated(s), s.name))


def _action_for(privacy_request: PrivacyRequest, system: DataSystem) -> str:
    if privacy_request.request_type != RequestType.DELETE:
        return SystemTask.Action.EXPORT
    if system.kind == DataSystem.Kind.THIRD_PARTY:
        return SystemTask.Action.NOTIFY  # tell those to whom the data was sold or disclosed
    return SystemTask.Action.ERASE


def _due_for(privacy_request: PrivacyRequest, system: DataSystem, now: datetime) -> datetime:
    """Automated tasks are due with the request; manual ones at the end of the local day 5 days
    before it (5 local days, not 5 x 24 hours: across the night the clocks go back, that ends
    at 00:59 the next day)."""
    due = privacy_request.current_due_at
    if connectors.is_automated(system):
        return due
    lead_day = legal_clock.local_date(due) - timedelta(days=settings.MANUAL_TASK_LEAD_DAYS)
    return max(legal_clock.end_of_day(lead_day), now)


def request_fulfilment_start(
    *, privacy_request: PrivacyRequest, actor, now: datetime | None = None
) -> PrivacyRequest:
    """The officer starts work on an approved request: it is in progress, with one task per
    data system, and the automated ones run at once (after commit)."""
    now = now or timezone.now()
    return request_work_start(
        privacy_request=privacy_request,
        actor=actor,
        plan=lambda locked: fulfilment_plan(privacy_request=locked, now=now),
        now=now,
    )


def fulfilment_plan(*, privacy_request: PrivacyRequest, now: datetime) -> list[SystemTask]:
    """Create the tasks (idempotent) and start the automated ones after commit."""
    tasks = []
    for system in _systems_for(privacy_request):
        task, _ = SystemTask.objects.get_or_create(
            request=privacy_request,
            data_system=system,
            action=_action_for(privacy_request, system),
            defaults={"due_at": _due_for(privacy_request, system, now)},
        )
        tasks.append(task)
    ready = [t.pk for t in tasks if connectors.is_automated(t.data_system) and task_ready(t)]
    transaction.on_commit(lambda: _enqueue(ready))
    return tasks


def _enqueue(task_ids: list[int]) -> None:
    for task_id in task_ids:
        try:
            run_system_task.apply_async(args=(task_id,), retry=False)
        except Exception:
            logger.warning("Broker unavailable; task %s will run with the next sweep", task_id)


# --- Manual tasks --------------------------------------------------------------------------------


def task_confirm(*, task: SystemTask, actor, done_on, note: str = "", now=None) -> SystemTask:
    """A staff member confirms a manual task done (for example: the email marketing tool
    deleted the address; the marketing partners were told), on the date it was done."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            SystemTask.objects.select_for_update().select_related("data_system").get(pk=task.pk)
        )
        if connectors.is_automated(locked.data_system):
            raise ActionRefused("The portal carries out this task itself.")
        if locked.state == SystemTask.State.DONE:
            raise ActionRefused("This task is already done.")
        if done_on > legal_clock.today(now):
            raise ActionRefused("The date done cannot be in the future.")
        locked.state = SystemTask.State.DONE
        locked.done_at = now
        locked.done_by = actor
        locked.note = note.strip()[:2000]
        locked.result = {"done_on": done_on.isoformat()}
        locked.save(update_fields=["state", "done_at", "done_by", "note", "result"])
        event_record(
            privacy_request=locked.request,
            kind=RequestEvent.Kind.NOTE,
            actor=actor,
            actor_label="staff",
            detail=f"{locked.get_action_display()} in {locked.data_system.name}: done on "
            f"{done_on:%-d %B %Y}",
            visible_to_consumer=False,
            at=now,
        )
        # The last manual answer releases the portal's own erase.
        waiting = SystemTask.objects.filter(
            request_id=locked.request_id,
            state=SystemTask.State.PENDING,
            data_system__connector=DataSystem.Connector.INTERNAL,
        )
        ready = [t.pk for t in waiting if task_ready(t)]
        transaction.on_commit(lambda: _enqueue(ready))
    return locked


def fulfilment_progress(privacy_request: PrivacyRequest) -> tuple[int, int]:
    """Steps done of steps: what the officer sees while the work runs."""
    tasks = list(privacy_request.system_tasks.values_list("state", flat=True))
    return sum(state == SystemTask.State.DONE for state in tasks), len(tasks)


# --- Finishing and delivering ------------------------------------------------------------------


def fulfilment_finish(*, privacy_request: PrivacyRequest, actor, now=None) -> PrivacyRequest:
    """Every system has answered: deliver the answer and close the request."""
    now = now or timezone.now()
    lifecycle.transition_check(privacy_request, lifecycle.CLOSE)  # before asking the tasks
    done, total = fulfilment_progress(privacy_request)
    if total == 0 or done < total:
        raise ActionRefused(
            f"{total - done} of {total} data systems have not answered yet; the request can be "
            "completed only when every system has."
        )
    if privacy_request.request_type == RequestType.DELETE:
        return _finish_deletion(privacy_request, actor=actor, now=now)
    return _finish_know(privacy_request, actor=actor, now=now)


def _finish_know(privacy_request: PrivacyRequest, *, actor, now) -> PrivacyRequest:
    with transaction.atomic():
        if privacy_request.requester_user_id:
            summary = "Your answer is ready in your account: sign in and open the request."
        elif privacy_request.delivery_method == "post":
            summary = "We are sending your answer by post."
        else:
            delivery_link_send(privacy_request=privacy_request, now=now)
            summary = "We have emailed you a link to your answer, and its code separately."
        return request_close(
            privacy_request=privacy_request,
            actor=actor,
            in_part=privacy_request.requested_type != privacy_request.request_type,
            summary=summary,
            now=now,
        )


def _finish_deletion(privacy_request: PrivacyRequest, *, actor, now) -> PrivacyRequest:
    """Tell the consumer what was deleted, what was kept and why, from the tasks' results;
    then erase the contact details the answer needed (the answer email is redacted once
    sent)."""
    from inventory.models import Category

    from .erasure import request_personal_data_erase

    kept: list[dict] = []
    erased_slugs: set[str] = set()
    for task in privacy_request.system_tasks.filter(action=SystemTask.Action.ERASE):
        result = task.result if isinstance(task.result, dict) else {}
        kept += result.get("kept", [])
        erased_slugs |= set(result.get("erased", {}).get("records_by_category", {}))
    names = list(
        Category.objects.filter(slug__in=erased_slugs)
        .order_by("display_order")
        .values_list("name", flat=True)
    )
    lines = [
        "We have deleted your personal information from our records, directed our service "
        "providers to delete it, and told the third parties we shared it with."
    ]
    if names:
        lines.append("What we deleted from our records: " + ", ".join(names).lower() + ".")
    for item in kept:
        lines.append(f"We kept {item.get('kind')} because the law allows it: {item.get('why')}")
    with transaction.atomic():
        closed = request_close(
            privacy_request=privacy_request,
            actor=actor,
            in_part=bool(kept),
            summary="\n".join(lines),
            now=now,
        )
        request_personal_data_erase(privacy_request=closed)
    return closed


def answer_mailed(*, privacy_request: PrivacyRequest, actor, mailed_on, now=None) -> None:
    """The officer records the date the answer was posted (delivery by post)."""
    now = now or timezone.now()
    if privacy_request.delivery_method != "post":
        raise ActionRefused("This answer is not delivered by post.")
    if privacy_request.status != Status.FULFILLED:
        raise ActionRefused("Deliver the answer first; then record when it was posted.")
    if mailed_on > legal_clock.today(now):
        raise ActionRefused("The date posted cannot be in the future.")
    with transaction.atomic():
        PrivacyRequest.objects.filter(pk=privacy_request.pk).update(mailed_on=mailed_on)
        event_record(
            privacy_request=privacy_request,
            kind=RequestEvent.Kind.NOTE,
            actor=actor,
            actor_label="staff",
            detail=f"Answer posted on {mailed_on:%-d %B %Y}",
            at=now,
        )


def _hash(secret: str) -> str:
    return keyed_hash(secret, purpose=KeyPurpose.EMAILED_SECRET)


def delivery_link_send(*, privacy_request: PrivacyRequest, now: datetime) -> DeliveryLink:
    """Email a link to the answer, and its code in a second email: the link alone opens
    nothing. Both go to the requester's proven address; the link lasts 7 days."""
    token, code = secrets.token_urlsafe(32), f"{secrets.randbelow(10**6):06d}"
    link = DeliveryLink.objects.create(
        request=privacy_request,
        token_hash=_hash(token),
        code_hash=_hash(code),
        created_at=now,
        expires_at=now + timedelta(days=settings.DELIVERY_LINK_DAYS),
    )
    url = site_url(reverse("fulfilment:answer", args=[token]))
    notify(
        privacy_request=privacy_request,
        template="answer_link",
        kind="request.answer_link",
        context={"link": url, "days": settings.DELIVERY_LINK_DAYS},
        once_key=f"answer-link-{link.pk}",
    )
    notify(
        privacy_request=privacy_request,
        template="answer_code",
        kind="request.answer_code",
        context={"code": code},
        once_key=f"answer-code-{link.pk}",
    )
    return link


class LinkProblem(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def delivery_link_find(*, token: str, now: datetime | None = None) -> DeliveryLink:
    """The link for this token; LinkProblem with 404 if none, 410 once expired."""
    now = now or timezone.now()
    link = DeliveryLink.objects.select_related("request").filter(token_hash=_hash(token)).first()
    if link is None:
        raise LinkProblem("This link is not valid.", 404)
    if link.expires_at <= now:
        raise LinkProblem(
            "This link has expired: links to an answer work for "
            f"{settings.DELIVERY_LINK_DAYS} days, after which the files are deleted.",
            410,
        )
    return link


def delivery_code_check(*, link: DeliveryLink, code: str) -> bool:
    """Check the code sent with the link; five wrong codes end the link."""
    if link.failed_codes >= 5:
        return False
    if keyed_hash_matches(link.code_hash, code.strip(), purpose=KeyPurpose.EMAILED_SECRET):
        return True
    DeliveryLink.objects.filter(pk=link.pk).update(failed_codes=link.failed_codes + 1)
    return False


def download_record(
    *,
    privacy_request: PrivacyRequest,
    export: Export,
    by: str,
    actor=None,
    link: DeliveryLink | None = None,
    now=None,
) -> None:
    if link is not None:
        DeliveryLink.objects.filter(pk=link.pk).update(downloads=link.downloads + 1)
    event_record(
        privacy_request=privacy_request,
        kind=RequestEvent.Kind.DOWNLOADED,
        actor=actor,
        actor_label=by,
        detail=f"Answer downloaded ({export.get_format_display()})",
        visible_to_consumer=by != "staff",
        at=now or timezone.now(),
    )


def expired_exports_remove(*, now: datetime) -> int:
    """Delete the files of answers whose every link has expired (account holders' answers are
    kept as long as the request's personal data is)."""
    from .storage import export_path

    removed = 0
    candidates = (
        Export.objects.filter(removed_at__isnull=True, request__delivery_links__isnull=False)
        .exclude(request__delivery_links__expires_at__gt=now)
        .distinct()
    )
    for export in candidates:
        export_path(export).unlink(missing_ok=True)
        Export.objects.filter(pk=export.pk).update(removed_at=now)
        removed += 1
    return removed


def overdue_manual_tasks_escalate(*, now: datetime) -> int:
    """A task past its due date, in a request still in progress, is escalated to the officers
    once (core.escalation), and the escalation is in the request's history."""
    overdue = (
        SystemTask.objects.filter(
            due_at__lt=now, request__status=Status.IN_PROGRESS, escalated_at__isnull=True
        )
        .exclude(state=SystemTask.State.DONE)
        .select_related("request", "data_system")
        .order_by("due_at", "pk")
    )
    return overdue_escalate(rows=overdue, escalation=_task_escalation(now))


def _task_escalation(now: datetime) -> Escalation[SystemTask]:
    def claim(task: SystemTask) -> bool:
        return escalated_at_claim(task, now=now)

    def email(task: SystemTask, to: str) -> OfficerEmail:
        return OfficerEmail(
            template="fulfilment/task_overdue",
            context=request_context(task.request) | {"task": task},
            kind="staff.task_overdue",
            dedupe_key=f"task:{task.pk}:overdue:{to}",
        )

    def record(task: SystemTask, recipients: list[str]) -> None:
        event_record(
            privacy_request=task.request,
            kind=RequestEvent.Kind.ESCALATED,
            actor_label="system",
            detail=f"{task.get_action_display()} in {task.data_system.name} overdue (due "
            f"{legal_clock.local_date(task.due_at):%-d %B %Y}); sent to {len(recipients)} "
            "address(es)",
            visible_to_consumer=False,
            at=now,
        )

    return Escalation(name="data system task", claim=claim, email=email, record=record)


__all__ = [
    "LinkProblem",
    "answer_mailed",
    "delivery_code_check",
    "delivery_link_find",
    "delivery_link_send",
    "download_record",
    "expired_exports_remove",
    "failed_tasks_retry",
    "fulfilment_finish",
    "fulfilment_plan",
    "fulfilment_progress",
    "overdue_manual_tasks_escalate",
    "request_fulfilment_start",
    "task_confirm",
    "task_leases_release",
    "task_run",
]
