"""The request's lifecycle: every move of a PrivacyRequest's status, and the one function that
makes it.

TRANSITIONS is the table: for each move, the statuses it leaves from, the one it reaches, who
may make it (and the staff permission the caller checks), the fields it writes besides the
status, the email the requester (or the consumer) is sent, and the history event it appends.
`transition_perform` carries out any of them: in one transaction, with the request's row
locked (select_for_update), it checks the current status (WrongState otherwise, in words the
person can read), writes the declared fields with update_fields, appends the history row and
queues the message in the outbox, which sends it after commit. No other module writes the
status: tests/test_lifecycle.py scans the project for any other write and fails on it.
docs/architecture.md shows the diagram `lifecycle_diagram` draws from this table.

Who decides which move: the services. Verification picks verified, awaiting the deletion's
confirmation or the cap's denial (services/verification/cap.py); staff actions, fulfilment,
withdrawal and the sweep name theirs. Permission checks stay with the caller (STYLE.md): the
table says which permission the staff views check; this module checks states, not people.

Why no state-machine library. django-fsm-2 (`FSMField(protected=True)` with `@transition`
methods, conditions and permissions) was the candidate. What we need of a move is that it
reads the status under a row lock and writes it, its history row and its email in one
transaction. django-fsm-2 checks the state of whatever instance it is handed, in memory;
its ConcurrentTransitionMixin guards a race optimistically, by failing the save, instead of
waiting for the lock. Its history and its signals are outside the save (django-fsm-log is
another package), so we would still write this function around it. `protected=True` refuses
assignment but not `QuerySet.update(status=...)`, and breaks refresh_from_db without a
mixin; the scan in the tests covers every way of writing. Its diagram (graph_transitions)
needs graphviz; ours is Mermaid, generated from the same table. A table of twenty rows and
one function did all of it with no dependency.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction

from core import legal_clock

from ..models import OPEN_STATUSES, PrivacyRequest, RequesterKind, RequestEvent, Status
from ..references import reference_new
from .history import event_record
from .notify import notify

# A message's context: a mapping, or a function of the written request for one that needs its
# row (the receipt's code is stored against the request).
MessageContext = Mapping[str, Any] | Callable[[PrivacyRequest], Mapping[str, Any]]
# The history's label for "the person asking": consumer, agent or parent (RequesterKind).
REQUESTER = "requester"
# A fresh random reference collides with a taken one about once in a trillion draws; five in a
# row mean something else is wrong.
REFERENCE_DRAWS = 5


class WrongState(Exception):
    """The request is not at the step this action belongs to."""


@dataclass(frozen=True)
class Message:
    """An email a move sends: templates/emails/requests/<template>.*, at most once per request
    under `once_key`. `to` is the requester's address, or "consumer": the address we hold for
    the consumer (never one an agent typed)."""

    template: str
    once_key: str
    to: str = "requester"


@dataclass(frozen=True)
class Transition:
    """One move of the status. `sources` is empty for a request's first status."""

    name: str
    sources: tuple[str, ...]
    target: str
    who: str  # who may make it, in words
    event: str  # the RequestEvent.Kind appended
    action: str  # what the refusal says cannot be done: "Cannot approve it: ..."
    permission: str = ""  # the staff permission the caller checks, if staff make it
    writes: tuple[str, ...] = ()  # the fields it may write besides the status
    message: Message | None = None
    actor_label: str = "system"  # the history's label unless the caller names one
    refusal: str = ""  # the whole refusal, where the generic one would read badly

    @property
    def is_initial(self) -> bool:
        return not self.sources


VERIFIED_WRITES = ("verified_at", "verification_method", "verification_tier", "counts_toward_cap")
DENIAL_WRITES = (
    "outcome",
    "denial_reason",
    "denial_exception",
    "denial_explanation",
    "responded_at",
)
OPEN = tuple(OPEN_STATUSES)
RECEIPT = Message("received", "received")
VERIFIED_MESSAGE = Message("verified", "verified")
DENIED_MESSAGE = Message("denied", "answered")

# --- Arriving ------------------------------------------------------------------------------------
SUBMIT = Transition(
    name="submit",
    sources=(),
    target=Status.EMAIL_UNCONFIRMED,
    who="anyone, on the website; the receipt carries the code that proves the address",
    event=RequestEvent.Kind.SUBMITTED,
    action="submit it",
    message=RECEIPT,
    actor_label=REQUESTER,
)
SUBMIT_SIGNED_IN = Transition(
    name="submit_signed_in",
    sources=(),
    target=Status.VERIFYING,
    who="an account holder, signed in: their address is proven",
    event=RequestEvent.Kind.SUBMITTED,
    action="submit it",
    message=RECEIPT,
    actor_label=REQUESTER,
)
LOG = Transition(
    name="log",
    sources=(),
    target=Status.VERIFYING,
    who="customer care, for a call, a letter or an email",
    permission="log_request",
    event=RequestEvent.Kind.SUBMITTED,
    action="log it",
    message=RECEIPT,
    actor_label="staff",
)
LOG_WITHOUT_EMAIL = Transition(
    name="log_without_email",
    sources=(),
    target=Status.VERIFYING,
    who="customer care, for a caller with no email address: the receipt goes by post",
    permission="log_request",
    event=RequestEvent.Kind.SUBMITTED,
    action="log it",
    actor_label="staff",
)

# --- Proving who is asking -----------------------------------------------------------------------
CONFIRM_EMAIL = Transition(
    name="confirm_email",
    sources=(Status.EMAIL_UNCONFIRMED,),
    target=Status.VERIFYING,
    who="the requester, with the code emailed to them",
    event=RequestEvent.Kind.EMAIL_CONFIRMED,
    action="confirm the email address",
    writes=("email_confirmed_at",),
    actor_label=REQUESTER,
)
VERIFY = Transition(
    name="verify",
    sources=(Status.VERIFYING,),
    target=Status.VERIFIED,
    who="the requester, by password or data points; care, by data points on the call",
    event=RequestEvent.Kind.VERIFIED,
    action="verify it",
    writes=VERIFIED_WRITES,
    message=VERIFIED_MESSAGE,
)
VERIFY_DELETION = Transition(
    name="verify_deletion",
    sources=(Status.VERIFYING,),
    target=Status.AWAITING_DELETE_CONFIRMATION,
    who="as verify, for a deletion not yet confirmed separately",
    event=RequestEvent.Kind.VERIFIED,
    action="verify it",
    writes=VERIFIED_WRITES,
)
VERIFY_BY_STAFF = Transition(
    name="verify_by_staff",
    sources=(Status.EMAIL_UNCONFIRMED, Status.VERIFYING),
    target=Status.VERIFIED,
    who="an officer who verified the consumer themselves, with the reason",
    permission="verify_manually",
    event=RequestEvent.Kind.VERIFIED,
    action="verify it",
    writes=VERIFIED_WRITES,
    message=VERIFIED_MESSAGE,
    actor_label="staff",
)
VERIFY_DELETION_BY_STAFF = Transition(
    name="verify_deletion_by_staff",
    sources=(Status.EMAIL_UNCONFIRMED, Status.VERIFYING),
    target=Status.AWAITING_DELETE_CONFIRMATION,
    who="as verify_by_staff, for a deletion not yet confirmed separately",
    permission="verify_manually",
    event=RequestEvent.Kind.VERIFIED,
    action="verify it",
    writes=VERIFIED_WRITES,
    actor_label="staff",
)
ASK_CONSUMER = Transition(
    name="ask_consumer",
    sources=(Status.VERIFYING,),
    target=Status.AWAITING_CONSUMER,
    who="the system, when an agent's data points match: the consumer must confirm the agent",
    event=RequestEvent.Kind.AGENT_DETAILS_MATCHED,
    action="ask the consumer",
    writes=("verification_tier",),
    message=Message("agent_confirm", "agent-confirm", to="consumer"),
)
CONSUMER_CONFIRMS_AGENT = Transition(
    name="consumer_confirms_agent",
    sources=(Status.AWAITING_CONSUMER,),
    target=Status.VERIFIED,
    who="the consumer, by the link emailed to the address we hold (for a deletion it is "
    "also their separate confirmation)",
    event=RequestEvent.Kind.VERIFIED,
    action="confirm the agent",
    writes=(*VERIFIED_WRITES, "delete_confirmed_at"),
    message=VERIFIED_MESSAGE,
)
CONFIRM_DELETE = Transition(
    name="confirm_delete",
    sources=(Status.AWAITING_DELETE_CONFIRMATION,),
    target=Status.VERIFIED,
    who="the consumer, separately (account holders give their password again)",
    event=RequestEvent.Kind.DELETE_CONFIRMED,
    action="confirm the deletion",
    writes=("delete_confirmed_at",),
    message=VERIFIED_MESSAGE,
    actor_label="consumer",
)
DENY_UNVERIFIED = Transition(
    name="deny_unverified",
    sources=(Status.VERIFYING,),
    target=Status.DENIED,
    who="the system, at the fifth failed identity check",
    event=RequestEvent.Kind.DENIED,
    action="deny it",
    writes=DENIAL_WRITES,
    message=DENIED_MESSAGE,
)
DENY_OVER_CAP = Transition(
    name="deny_over_cap",
    sources=(Status.EMAIL_UNCONFIRMED, Status.VERIFYING, Status.AWAITING_CONSUMER),
    target=Status.DENIED,
    who="the system, at verification of a third request to know in 12 months",
    event=RequestEvent.Kind.DENIED,
    action="deny it",
    writes=DENIAL_WRITES,
    message=DENIED_MESSAGE,
)

# --- Staff at work -------------------------------------------------------------------------------
APPROVE = Transition(
    name="approve",
    sources=(Status.VERIFIED,),
    target=Status.APPROVED,
    who="a privacy officer",
    permission="approve_request",
    event=RequestEvent.Kind.APPROVED,
    action="approve it",
    actor_label="staff",
)
START_WORK = Transition(
    name="start_work",
    sources=(Status.APPROVED,),
    target=Status.IN_PROGRESS,
    who="a privacy officer; fulfilment plans one task per data system in the same transaction",
    permission="fulfil_request",
    event=RequestEvent.Kind.FULFILMENT_STARTED,
    action="start fulfilment",
    actor_label="staff",
)
CLOSE = Transition(
    name="close",
    sources=(Status.IN_PROGRESS,),
    target=Status.FULFILLED,
    who="a privacy officer, once every data system has answered",
    permission="close_request",
    event=RequestEvent.Kind.ANSWERED,
    action="close it",
    writes=("outcome", "responded_at", "closed_at"),
    message=Message("answered", "answered"),
    actor_label="staff",
)
DENY = Transition(
    name="deny",
    sources=OPEN,
    target=Status.DENIED,
    who="a privacy officer, with the reason and the explanation the consumer reads",
    permission="deny_request",
    event=RequestEvent.Kind.DENIED,
    action="deny it",
    writes=DENIAL_WRITES,
    message=DENIED_MESSAGE,
    actor_label="staff",
)

# --- Ending otherwise ----------------------------------------------------------------------------
WITHDRAW = Transition(
    name="withdraw",
    sources=OPEN,
    target=Status.WITHDRAWN,
    who="the requester, while the request is open",
    event=RequestEvent.Kind.WITHDRAWN,
    action="withdraw it",
    writes=("withdrawn_at",),
    message=Message("withdrawn", "withdrawn"),
    actor_label="consumer",
    refusal="This request has already been answered or closed.",
)
CLOSE_UNCONFIRMED = Transition(
    name="close_unconfirmed",
    sources=(Status.EMAIL_UNCONFIRMED,),
    target=Status.CLOSED_UNCONFIRMED,
    who="the sweep, when the address was not confirmed within 7 days",
    event=RequestEvent.Kind.CLOSED,
    action="close it",
    writes=("closed_at",),
    message=Message("closed_unconfirmed", "closed"),
)

TRANSITIONS: tuple[Transition, ...] = (
    SUBMIT,
    SUBMIT_SIGNED_IN,
    LOG,
    LOG_WITHOUT_EMAIL,
    CONFIRM_EMAIL,
    VERIFY,
    VERIFY_DELETION,
    VERIFY_BY_STAFF,
    VERIFY_DELETION_BY_STAFF,
    ASK_CONSUMER,
    CONSUMER_CONFIRMS_AGENT,
    CONFIRM_DELETE,
    DENY_UNVERIFIED,
    DENY_OVER_CAP,
    APPROVE,
    START_WORK,
    CLOSE,
    DENY,
    WITHDRAW,
    CLOSE_UNCONFIRMED,
)


# --- Checking ------------------------------------------------------------------------------------


def transition_check(privacy_request: PrivacyRequest, *transitions: Transition) -> None:
    """Raise WrongState unless one of `transitions` may leave from the request's status as
    read; the refusal is worded after the first."""
    if any(privacy_request.status in t.sources for t in transitions):
        return
    first = transitions[0]
    if first.refusal:
        raise WrongState(first.refusal)
    status = privacy_request.get_status_display().lower()
    raise WrongState(f"Cannot {first.action}: the request is {status}.")


def transition_lock(privacy_request: PrivacyRequest, *transitions: Transition) -> PrivacyRequest:
    """The request's row, locked until the end of the caller's transaction and read afresh,
    checked to be where one of `transitions` may leave from. For a caller with work of its own
    to do under the lock before the move (spend a code, record checks); transition_perform
    locks and checks again, which costs a query and no wait."""
    locked = PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)
    transition_check(locked, *transitions)
    return locked


# --- Performing ----------------------------------------------------------------------------------


def transition_perform(
    privacy_request: PrivacyRequest,
    transition: Transition,
    *,
    at: datetime,
    actor=None,
    actor_label: str = "",
    writes: Mapping[str, Any] | None = None,
    detail: str = "",
    message_context: MessageContext | None = None,
) -> PrivacyRequest:
    """Make the move and return the request as written.

    A first status (`transition.is_initial`): `privacy_request` is the new, unsaved request
    with every field but its status, reference and deadlines, which are set here; it is the
    one saved and returned. Any other: the row is read again, locked, its status checked
    (WrongState), and `writes` (only fields the table declares) saved with the status; the
    instance passed is left as it was, so use the one returned. Then the history row
    (`detail`, `actor`, `actor_label` or the table's) and the table's message, with
    `message_context`: a mapping, or a function of the written request for a context that
    needs its row (the receipt's code).
    """
    unexpected = set(writes or {}) - set(transition.writes)
    if unexpected:
        raise ValueError(f"{transition.name} does not write {', '.join(sorted(unexpected))}")
    with transaction.atomic():
        if transition.is_initial:
            written = _first_status_write(privacy_request, transition)
        else:
            written = transition_lock(privacy_request, transition)
            _status_write(written, transition, writes or {})
        event_record(
            privacy_request=written,
            kind=transition.event,
            actor=actor,
            actor_label=actor_label or _label(written, transition),
            detail=detail,
            at=at,
        )
        if transition.message is not None:
            _message_queue(written, transition.message, message_context)
    return written


def _status_write(locked: PrivacyRequest, transition: Transition, writes: Mapping) -> None:
    for field, value in writes.items():
        setattr(locked, field, value)
    locked.status = transition.target
    locked.save(update_fields=["status", *writes, "updated_at"])


def _first_status_write(new: PrivacyRequest, transition: Transition) -> PrivacyRequest:
    """Insert the new request at its first status, with its deadlines and a random reference
    (requests_app.references), drawn again while the unique constraint refuses one."""
    if new.pk is not None:
        raise ValueError(f"{transition.name} begins a request: pass a new, unsaved one")
    for field, value in request_deadlines(new.received_at).items():
        setattr(new, field, value)
    new.requested_type = new.request_type
    new.status = transition.target
    year = legal_clock.local_date(new.received_at).year
    for _ in range(REFERENCE_DRAWS):
        new.reference = reference_new(year)
        try:
            with transaction.atomic():  # a savepoint: a collision leaves the caller's work intact
                new.save(force_insert=True)
                return new
        except IntegrityError:
            # The unique constraint on the reference is the judge; another failure is not ours.
            if not PrivacyRequest.objects.filter(reference=new.reference).exists():
                raise
    raise RuntimeError(f"No free reference in {REFERENCE_DRAWS} draws")


def request_deadlines(received_at: datetime) -> dict[str, datetime]:
    """The deadlines a request stores from its receipt, each computed by core.legal_clock (the
    one place dates come from). The database checks extensions against `extension_limit_at`."""
    return {
        "acknowledge_by": legal_clock.acknowledge_by(received_at),
        "due_at": legal_clock.respond_by(received_at),
        "extension_limit_at": legal_clock.latest_extended_response(received_at),
    }


def _label(privacy_request: PrivacyRequest, transition: Transition) -> str:
    if transition.actor_label == REQUESTER:
        return RequesterKind(privacy_request.requester_kind).actor_label
    return transition.actor_label


def _message_queue(
    privacy_request: PrivacyRequest,
    message: Message,
    context: MessageContext | None,
) -> None:
    """Queue the move's email in the outbox (sent after commit) and note it in the history."""
    values = context(privacy_request) if callable(context) else context or {}
    to = None
    if message.to == "consumer":
        assert privacy_request.consumer is not None, "only a request with its consumer found"
        to = privacy_request.consumer.email
    notify(
        privacy_request=privacy_request,
        template=message.template,
        kind=f"request.{message.template}",
        to=to,
        context=dict(values),
        once_key=message.once_key,
    )


# --- Reading the table ---------------------------------------------------------------------------


def transitions_from(status: str) -> list[Transition]:
    """The moves a request at `status` may make."""
    return [t for t in TRANSITIONS if status in t.sources]


def lifecycle_mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, drawn from TRANSITIONS (docs/architecture.md
    embeds it; a test fails when the two differ)."""
    lines = ["stateDiagram-v2"]
    # One arrow per pair of statuses, naming every move between them (deny and withdraw leave
    # from every open status; one arrow per move would bury the rest).
    moves: dict[tuple[str, str], list[str]] = {}
    for transition in TRANSITIONS:
        for source in transition.sources or ("[*]",):
            moves.setdefault((source, transition.target), []).append(transition.name)
    for (source, target), names in moves.items():
        lines.append(f"    {source} --> {target}: {', '.join(names)}")
    finals = [s for s in Status if not transitions_from(s)]
    for status in finals:
        lines.append(f"    {status.value} --> [*]")
    return "\n".join(lines) + "\n"


def lifecycle_table() -> str:
    """The table as Markdown, one row per move (docs/architecture.md embeds it)."""
    rows = [
        "| move | from | to | who may | writes | email | history |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in TRANSITIONS:
        if t.is_initial:
            sources = "a new request"
        elif t.sources == OPEN:
            sources = "any open status"
        else:
            sources = ", ".join(f"`{s}`" for s in t.sources)
        who = t.who + (f"; permission `{t.permission}`" if t.permission else "")
        writes = ", ".join(f"`{w}`" for w in t.writes) or "—"
        if t.message is None:
            email = "—"
        else:
            to = " to the consumer" if t.message.to == "consumer" else ""
            email = f"`{t.message.template}`{to}"
        rows.append(
            f"| `{t.name}` | {sources} | `{t.target}` | {who} | {writes} | {email} | `{t.event}` |"
        )
    return "\n".join(rows) + "\n"
