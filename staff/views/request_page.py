"""The request page for staff, and its actions: each action is one service call."""

from dataclasses import dataclass
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core import legal_clock
from core.idempotency import idempotent_post
from core.masking import mask_email, mask_name
from core.staff import privacy_officers
from fulfilment.models import SystemTask
from fulfilment.services import (
    answer_mailed,
    fulfilment_finish,
    fulfilment_progress,
    request_fulfilment_start,
    task_confirm,
)
from requests_app.models import PrivacyRequest, RequestType, Status
from requests_app.services import deadlines, staff_actions
from requests_app.services.submission import agent_documents_folder
from requests_app.services.verification import VerificationLocked, WrongState

from .. import action_forms
from ..access import staff_view
from ..roles import can
from .queue import STATUS_LABELS


def _request_for(user, reference: str) -> PrivacyRequest:
    privacy_request = get_object_or_404(
        PrivacyRequest.objects.select_related("assigned_to", "consumer", "logged_by"),
        reference=reference,
    )
    if not can(user, "see_all_requests") and privacy_request.logged_by_id != user.pk:
        raise Http404("No such request")
    return privacy_request


@dataclass(frozen=True)
class Action:
    permission: str
    form: type
    label: str


ACTIONS = {
    "verify": Action("verify_manually", action_forms.ReasonForm, "Verify by hand"),
    "approve": Action("approve_request", action_forms.EmptyForm, "Approve"),
    "deny": Action("deny_request", action_forms.DenyForm, "Deny"),
    "extend": Action("extend_request", action_forms.ExtendForm, "Extend the deadline"),
    "start": Action("fulfil_request", action_forms.EmptyForm, "Start fulfilment"),
    "close": Action("close_request", action_forms.EmptyForm, "Deliver the answer and close"),
    "task": Action("fulfil_request", action_forms.TaskDoneForm, "Mark a system task done"),
    "mailed": Action("fulfil_request", action_forms.MailedForm, "Record the posting date"),
    "note": Action("add_note", action_forms.NoteForm, "Add note"),
    "assign": Action("assign_request", action_forms.AssignForm, "Assign"),
}


ALWAYS = ["note", "assign"]
WHILE_OPEN = ["deny", "extend", *ALWAYS]
# Which actions fit each state; the services refuse the others anyway, this keeps the page
# to the buttons that can work.
ACTIONS_BY_STATUS: dict[str, list[str]] = {
    Status.EMAIL_UNCONFIRMED: ["verify", *WHILE_OPEN],
    Status.VERIFYING: ["verify", *WHILE_OPEN],
    Status.AWAITING_CONSUMER: WHILE_OPEN,
    Status.AWAITING_DELETE_CONFIRMATION: WHILE_OPEN,
    Status.VERIFIED: ["approve", *WHILE_OPEN],
    Status.APPROVED: ["start", *WHILE_OPEN],
    Status.IN_PROGRESS: ["close", "task", *WHILE_OPEN],
}


def _fitting_actions(privacy_request: PrivacyRequest) -> list[str]:
    names = ACTIONS_BY_STATUS.get(privacy_request.status, ["note"])
    if (
        privacy_request.status == Status.FULFILLED
        and privacy_request.delivery_method == "post"
        and privacy_request.mailed_on is None
    ):
        names = ["mailed", *names]
    if privacy_request.extended_at is not None:
        names = [n for n in names if n != "extend"]
    if "close" in names:
        done, total = fulfilment_progress(privacy_request)
        if total == 0 or done < total:
            names = [n for n in names if n != "close"]  # offered once every system answered
    return names


def _make_form(name: str, data=None):
    action = ACTIONS[name]
    if action.form is action_forms.AssignForm:
        return action.form(data, officers=privacy_officers(), prefix=name)
    return action.form(data, prefix=name)


def _perform(name: str, privacy_request: PrivacyRequest, user, data: dict) -> str:
    """Run the action's service; returns the message for the officer."""
    if name == "verify":
        outcome = staff_actions.request_verify_manually(
            privacy_request=privacy_request, actor=user, reason=data["reason"], tier=data["tier"]
        )
        return outcome.message or "Identity verified."
    if name == "approve":
        staff_actions.request_approve(privacy_request=privacy_request, actor=user)
        return "Approved."
    if name == "deny":
        staff_actions.request_deny(
            privacy_request=privacy_request,
            actor=user,
            reason=data["reason"],
            exception=data.get("exception", ""),
            explanation=data["explanation"],
        )
        return "Denied; the consumer has been told why."
    if name == "extend":
        deadlines.request_extend(
            privacy_request=privacy_request,
            actor=user,
            new_due_date=data["new_due_date"],
            reason=data["reason"],
        )
        return "Extended; the consumer has been told why."
    if name == "start":
        request_fulfilment_start(privacy_request=privacy_request, actor=user)
        return "Fulfilment started."
    if name == "close":
        fulfilment_finish(privacy_request=privacy_request, actor=user)
        return "Answered: the answer has been delivered and the consumer told."
    if name == "mailed":
        answer_mailed(privacy_request=privacy_request, actor=user, mailed_on=data["mailed_on"])
        return "Posting date recorded."
    if name == "task":
        task = get_object_or_404(SystemTask, pk=data["task"], request=privacy_request)
        task_confirm(task=task, actor=user, done_on=data["done_on"], note=data["note"])
        return f"{task.data_system.name}: marked done."
    if name == "note":
        staff_actions.request_note_add(
            privacy_request=privacy_request, actor=user, text=data["text"]
        )
        return "Note added."
    if name == "assign":
        staff_actions.request_assign(
            privacy_request=privacy_request, actor=user, assignee=data["assignee"]
        )
        return "Assigned."
    raise Http404("No such action")


def _page(request, privacy_request, *, forms=None, revealed=False, status=200):
    now = timezone.now()
    forms = forms or {}
    user = request.user
    available = {
        name: forms.get(name) or _make_form(name)
        for name in _fitting_actions(privacy_request)
        if can(user, ACTIONS[name].permission)
    }
    for name, form in forms.items():
        available.setdefault(name, form)  # a refused action keeps its form and message
    events = privacy_request.events.select_related("actor").order_by("at", "pk")
    checks = privacy_request.checks.order_by("data_point")
    document = getattr(privacy_request, "agent_document", None)
    done, total = fulfilment_progress(privacy_request)
    return render(
        request,
        "staff/request.html",
        {
            "r": privacy_request,
            "forms": available,
            "events": events,
            "checks": checks,
            "document": document,
            "revealed": revealed,
            "requester_name": privacy_request.requester_name
            if revealed
            else mask_name(privacy_request.requester_name),
            "requester_email": privacy_request.requester_email
            if revealed
            else mask_email(privacy_request.requester_email),
            "subject_name": privacy_request.subject_name
            if revealed
            else mask_name(privacy_request.subject_name),
            "subject_email": privacy_request.subject_email
            if revealed
            else mask_email(privacy_request.subject_email),
            "received_on": legal_clock.local_date(privacy_request.received_at),
            "due_on": legal_clock.local_date(privacy_request.current_due_at),
            "first_due_on": legal_clock.local_date(privacy_request.due_at),
            "days_left": (
                legal_clock.local_date(privacy_request.current_due_at) - legal_clock.local_date(now)
            ).days,
            "can_reveal": can(user, "reveal_personal_data"),
            "status_label": STATUS_LABELS.get(privacy_request.status, privacy_request.status),
            "is_delete": privacy_request.request_type == RequestType.DELETE,
            "tasks": privacy_request.system_tasks.select_related("data_system", "done_by"),
            "exports": privacy_request.exports.filter(removed_at__isnull=True),
            "can_open_exports": can(user, "open_exports"),
            "tasks_done": done,
            "tasks_total": total,
            "task_form": available.pop("task", None),
        },
        status=status,
    )


@require_http_methods(["GET"])
@staff_view("work_queue")
def request_page(request, reference):
    return _page(request, _request_for(request.user, reference))


@require_POST
@staff_view("reveal_personal_data")
def reveal(request, reference):
    privacy_request = _request_for(request.user, reference)
    staff_actions.request_reveal(privacy_request=privacy_request, actor=request.user)
    return _page(request, privacy_request, revealed=True)


@require_POST
@staff_view("work_queue")
@idempotent_post  # a double-clicked note or extension is recorded once
def act(request, reference, action):
    if action not in ACTIONS:
        raise Http404("No such action")
    if not can(request.user, ACTIONS[action].permission):
        raise PermissionDenied(f"Your role does not allow this ({ACTIONS[action].permission}).")
    privacy_request = _request_for(request.user, reference)
    form = _make_form(action, request.POST)
    if form.is_valid():
        try:
            message = _perform(action, privacy_request, request.user, form.cleaned_data)
        except (
            staff_actions.ActionRefused,
            deadlines.ExtensionRefused,
            WrongState,
            VerificationLocked,
        ) as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, message)
            return redirect("staff:request", reference=reference)
    privacy_request.refresh_from_db()
    return _page(request, privacy_request, forms={action: form}, status=400)


@require_http_methods(["GET"])
@staff_view("reveal_personal_data")
def agent_document(request, reference):
    """The agent's signed permission, served only to staff who may see personal data; logged."""
    privacy_request = _request_for(request.user, reference)
    document = getattr(privacy_request, "agent_document", None)
    if document is None:
        raise Http404("No document")
    path: Path = agent_documents_folder() / document.stored_name
    if not path.exists():
        raise Http404("The file is no longer kept")
    staff_actions.request_download_record(
        privacy_request=privacy_request, actor=request.user, what="Agent's signed permission"
    )
    response = FileResponse(path.open("rb"), content_type=document.content_type)
    response["Content-Disposition"] = f'attachment; filename="permission-{reference}{path.suffix}"'
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET"])
@staff_view("open_exports")
def export_file(request, reference, file_format):
    """The answer's files, for an officer to print and post, or to check; every download is
    recorded."""
    from fulfilment.models import Export
    from fulfilment.services import download_record
    from fulfilment.storage import export_response

    privacy_request = _request_for(request.user, reference)
    export = get_object_or_404(Export, request=privacy_request, format=file_format)
    response = export_response(export, reference)
    download_record(privacy_request=privacy_request, export=export, by="staff", actor=request.user)
    return response
