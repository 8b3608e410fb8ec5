"""Erasing a consumer from the portal's own database: the internal connector's "erase".

DESIGN.md, "delete": erasure or de-identification everywhere the data lives, a record of which
exception kept what, and a minimal suppression record so the deleted data is not re-imported.

    consumer_erase_internal       the internal connector's erase (fulfilment.connectors): runs
                                  ERASURE_STEPS, an ordered list of named steps
    request_personal_data_erase   once a request the erasure left open has been answered

What happens to each place the person's data lives, and why:

- Personal records: deleted, every one. None of the notice's exceptions (section III) needs them.
- Orders: kept under "comply with a legal obligation" (tax and accounting records), de-identified:
  number, date, items and total stay; nothing links them to a person. They keep their owner,
  the Consumer row, which is itself de-identified (no name, email, phone, birth date or shop
  id, no account). Keeping that row rather than deleting it also keeps the append-only consent
  history (ConsentEvent) and the opt-out of sale pointing at something, without rewriting them.
- Opt-out of sale: stays in force. The consumer's sale status (no personal data) is not
  touched and stays with the de-identified consumer, so every sale feed keeps excluding it; and
  the consent app's own rule for a consumer who goes away (consent.signals) leaves a waiting
  opt-out keyed by hashes of the email and phone, which applies again if the person ever
  reappears. Only the consent app reads the sale flag, so the erasure never does. Marketing
  preferences,
  their pending changes and preference links are deleted: there is nobody left to market to, and
  the deletion's own tasks tell the marketing systems to delete the person.
- Login account: anonymized, not deleted: username "erased-user-<pk>", no email or names, an
  unusable password, inactive, no groups, permissions or second-factor devices, signed out
  everywhere. Deleting it would set RequestEvent.actor to NULL on the history rows the person
  made, an UPDATE of the append-only history (the PostgreSQL trigger refuses it, and it would
  rewrite history). A staff account is never touched: it is only unlinked.
- django-axes rows (their usernames are the person's addresses), admin LogEntry rows about the
  consumer, its records, consent rows or account (their object_repr holds the name), sessions
  of the account or of a preferences link, rate-limit counters keyed by the person's
  addresses: deleted.
- Privacy requests about the person: names, email addresses, postal address, declaration name,
  consumer and account links are erased; what 11 CCR 7101 keeps (dates, type, channel, nature
  of the response, reason for a denial) stays. Exception: a request still open keeps the
  contact its answer is owed to (requester name, email, postal address) and the current
  deletion also keeps the subject's name and email and its consumer link, which staff need to
  find the person in the systems still to be told. request_personal_data_erase() erases those
  once the answer has been queued.
- Their agent documents and export files: files deleted, rows deleted (agent documents) or
  marked removed (exports). Email codes: deleted.
- Outbox: emails to the person's addresses or about their requests are redacted (address,
  subject, bodies, error) if already sent or failed, and flagged to be redacted as they are
  sent if still pending (core.mail does it in the same UPDATE that marks them sent).
- Suppression: keyed hashes of the normalized email and phone (registry.suppression).
- RequestEvent rows are never updated nor deleted (append-only; a PostgreSQL trigger refuses).
  They record the action and the actor, not personal data; the free-text details staff type
  (notes, reasons) are the one place this cannot be guaranteed by code.

Run it last among a deletion's tasks: once it has run the portal no longer knows who the person
is, apart from what the open request keeps, so the manual tasks of other systems should be done
(or at least have their instructions) first. Permission checks belong to the caller.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import models, transaction
from django.db.models import Q

from consent.identifiers import consumer_identifier_hashes
from consent.models import PendingOptOut
from consent.signals import keep_opt_out_of_deleted_consumer
from core.mail import redaction
from core.models import OutboundEmail
from registry.models import Consumer, Order, PersonalRecord
from registry.normalize import normalize_email
from registry.suppression import suppression_add
from requests_app import ratelimit
from requests_app.models import (
    OPEN_STATUSES,
    AgentDocument,
    Attempt,
    DeletionException,
    EmailChallenge,
    PrivacyRequest,
    RequesterKind,
)

from .models import Export

ORDERS_KEPT_WHY = (
    "Tax and accounting law requires us to keep records of sales. We kept each order's number, "
    "date, items and total, no longer linked to your name or contact details."
)
# A request's personal data (the 24-month purge, requests_app.services.deadlines, erases the
# same fields). `postal_address` is there when the model has it.
REQUEST_PERSONAL_FIELDS = (
    "requester_name",
    "requester_email",
    "subject_name",
    "subject_email",
    "declaration_name",
    "postal_address",
)
# Kept on a request still open: where its answer is owed to.
ANSWER_CONTACT_FIELDS = ("requester_name", "requester_email", "postal_address")
# Also kept on the deletion being carried out: who to look for in the systems still to be told.
SUBJECT_FIELDS = ("subject_name", "subject_email")
# The ratelimit.attempt_key prefixes the request services use with an email address.
ATTEMPT_KEY_PREFIXES: tuple[tuple[str, ...], ...] = (
    (),
    ("email",),
    ("resend",),
    ("verify",),
    ("status",),
)
# Session keys that tie a browser to a consumer (consent.access, consent.middleware).
PREFERENCES_SESSION_KEY = "consent_preferences"
GPC_SESSION_KEY = "consent_gpc_applied"


def _request_fields(names: Iterable[str]) -> list[str]:
    existing = {f.name for f in PrivacyRequest._meta.get_fields()}
    return [name for name in names if name in existing]


@dataclass
class Erasure:
    """What the steps of one erasure share: whose data, where it is, and what each step did.
    Found once, before any step runs, while every identifier is still there."""

    consumer: Consumer
    user: Any  # the consumer's login account, or None
    privacy_request: PrivacyRequest  # the deletion being carried out
    now: datetime
    requests_about: list[PrivacyRequest]  # the person's own requests
    requests_by: list[PrivacyRequest]  # requests they made for someone else
    addresses: set[str]  # every email address of theirs
    erased: dict[str, Any] = field(default_factory=dict)  # counts, by what was erased
    opt_out_kept: bool = False


@dataclass(frozen=True)
class ErasureStep:
    name: str
    run: Callable[[Erasure], None]


def _step(name: str) -> Callable[[Callable[[Erasure], None]], ErasureStep]:
    def make(run: Callable[[Erasure], None]) -> ErasureStep:
        return ErasureStep(name, run)

    return make


@_step("opt-out kept")
def _opt_out_keep(e: Erasure) -> None:
    """The consent app's own rule for a consumer who goes away: an opt-out of sale is left as a
    waiting opt-out keyed by hashes of the email and phone (consent.signals). Only consent reads
    the sale flag (tests/test_opt_out.py), so it decides."""
    keep_opt_out_of_deleted_consumer(sender=Consumer, instance=e.consumer)
    hashes = consumer_identifier_hashes(email=e.consumer.email, phone=e.consumer.phone)
    e.opt_out_kept = PendingOptOut.objects.filter(
        _hash_pairs(hashes), applied_at__isnull=True
    ).exists()


@_step("suppression entry")
def _suppression_record(e: Erasure) -> None:
    """Keyed hashes of the email and phone, so the shop's next import does not bring the person
    back. On a second run the identifiers are gone already: the first run made the entry."""
    suppression_add(email=e.consumer.email, phone=e.consumer.phone, now=e.now)


@_step("admin log entries")
def _admin_log_entries_delete(e: Erasure) -> None:
    e.erased["admin_log_entries"] = _admin_log_delete(
        e.consumer, e.user, e.addresses, e.consumer.phone
    )


@_step("personal records")
def _records_delete(e: Erasure) -> None:
    records = PersonalRecord.objects.filter(consumer=e.consumer)
    by_category = Counter(records.values_list("category__slug", flat=True))
    e.erased["records"] = records.delete()[0]
    e.erased["records_by_category"] = dict(sorted(by_category.items()))


@_step("marketing choices")
def _marketing_erase(e: Erasure) -> None:
    e.erased.update(_consent_erase(e.consumer))


@_step("request details")
def _request_details_erase(e: Erasure) -> None:
    e.erased.update(_requests_erase(e.requests_about, e.requests_by, current=e.privacy_request))


@_step("files")
def _request_files_erase(e: Erasure) -> None:
    e.erased.update(_files_erase([r.pk for r in e.requests_about], now=e.now))


@_step("outbox")
def _outbox_emails_redact(e: Erasure) -> None:
    e.erased["outbox_emails"] = _outbox_redact(
        addresses=e.addresses, request_ids=[r.pk for r in e.requests_about]
    )


@_step("sign-in logs")
def _sign_in_logs_delete(e: Erasure) -> None:
    e.erased["sign_in_logs"] = _axes_delete(e.addresses, e.user)


@_step("sessions")
def _account_sessions_delete(e: Erasure) -> None:
    e.erased["sessions"] = _sessions_delete(e.consumer, e.user)


@_step("attempt counters")
def _attempt_counters_delete(e: Erasure) -> None:
    e.erased["attempt_counters"] = _attempts_delete(e.addresses)


@_step("login account")
def _login_account_anonymize(e: Erasure) -> None:
    e.erased["login_account"] = _account_anonymize(e.user) if e.user is not None else 0


@_step("consumer identity")
def _consumer_identity_erase(e: Erasure) -> None:
    e.erased["consumer_identity"] = _consumer_deidentify(e.consumer)


# The erasure, in order: adding a step is one line here. All of them run in one transaction, so
# the order is not about crashes (a failure rolls back every step) but about what each step
# reads: the person's identifiers, their account's username and the ids of their rows, which
# later steps remove. tests/test_deletion.py holds the order's constraints.
ERASURE_STEPS: tuple[ErasureStep, ...] = (
    # First: consent reads the sale status and the identifiers it hashes.
    _opt_out_keep,
    # Before any personal data goes, from the identifiers still on the consumer's row: the
    # suppression entry is what stops the person being imported again.
    _suppression_record,
    # Before the rows they describe go (found by those rows' ids) and before the account is
    # renamed (found by its username and addresses).
    _admin_log_entries_delete,
    _records_delete,
    _marketing_erase,
    _request_details_erase,
    _request_files_erase,
    _outbox_emails_redact,
    # Before the account is renamed: django-axes keeps the username typed at each attempt.
    _sign_in_logs_delete,
    # Before the account is anonymized: every browser signed in to it, or holding the
    # consumer's preferences link, is signed out while the account is still the person's.
    _account_sessions_delete,
    _attempt_counters_delete,
    # Once nothing that finds rows by the account's username or email is left to run.
    _login_account_anonymize,
    # Last: every step above reads the consumer's identifiers; saved blank, consent's post_save
    # finds no waiting opt-out to apply to it (the one kept first is for the person).
    _consumer_identity_erase,
)


def consumer_erase_internal(
    *, consumer: Consumer, privacy_request: PrivacyRequest, now: datetime
) -> dict[str, Any]:
    """Erase or de-identify `consumer` everywhere in the portal's database, in one transaction,
    for the deletion `privacy_request`, by running ERASURE_STEPS in order. Returns what was
    erased and what was kept under which exception, as counts (no personal data): it becomes
    the task's SystemTask.result, and the "kept" entries are told to the consumer in the answer.

    Safe to run twice: a second run finds nothing left to erase and changes nothing.
    """
    with transaction.atomic():
        consumer = Consumer.objects.select_for_update().get(pk=consumer.pk)
        user = consumer.user
        requests_about = _requests_about(consumer, user, current=privacy_request)
        erasure = Erasure(
            consumer=consumer,
            user=user,
            privacy_request=privacy_request,
            now=now,
            requests_about=requests_about,
            requests_by=_requests_made_for_others(consumer, user, about=requests_about),
            addresses=_addresses(consumer, user, requests_about),
        )
        for step in ERASURE_STEPS:
            step.run(erasure)
        return {
            "erased": erasure.erased,
            "kept": _kept(consumer),
            "retained": _retained(erasure),
            "held_until_answered": _held_until_answered(requests_about, current=privacy_request),
        }


def _retained(e: Erasure) -> list[dict[str, Any]]:
    """What the erasure keeps of the person, and why (no exception needed: no personal data)."""
    retained: list[dict[str, Any]] = []
    if e.opt_out_kept:
        retained.append(
            {
                "kind": "opt-out of sale",
                "count": 1,
                "why": "Your direction not to sell stays in force, kept with keyed hashes "
                "of your email address and phone number only.",
            }
        )
    retained.append(
        {
            "kind": "suppression entry",
            "count": 1,
            "why": "So that your information is not imported again from the shop's "
            "systems, we keep keyed hashes of your email address and phone number.",
        }
    )
    retained.append(
        {
            "kind": "records of your privacy requests",
            "count": len(e.requests_about),
            "why": "The law requires records of requests for 24 months (11 CCR 7101): "
            "dates, type, channel and our response, without your name or contact details.",
        }
    )
    return retained


def _kept(consumer: Consumer) -> list[dict[str, Any]]:
    """What the erasure keeps under an exception to deletion: the de-identified orders."""
    orders = Order.objects.filter(consumer=consumer).count()
    if not orders:
        return []
    return [
        {
            "kind": "orders",
            "exception": DeletionException.LEGAL_OBLIGATION.value,
            "count": orders,
            "why": ORDERS_KEPT_WHY,
        }
    ]


def request_personal_data_erase(*, privacy_request: PrivacyRequest) -> bool:
    """Erase what consumer_erase_internal left on a request because its answer was still owed:
    call it once the answer is queued (in the transaction that closes the request, after
    request_close), for the deletion request and for any other request of the erased person.
    The queued answer is sent, then redacted in the outbox. Returns True when it changed the
    request. Refuses a request still open: it would leave its answer with nowhere to go."""
    with transaction.atomic():
        locked = PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)
        if locked.status in OPEN_STATUSES:
            raise ValueError("The request is still open: its answer has not been queued yet.")
        addresses = {
            normalize_email(a) for a in (locked.requester_email, locked.subject_email) if a
        }
        _outbox_redact(addresses=addresses, request_ids=[locked.pk])
        fields = _request_fields(REQUEST_PERSONAL_FIELDS)
        changed = [name for name in fields if getattr(locked, name)]
        for name in changed:
            setattr(locked, name, "")
        for link in ("consumer", "requester_user"):
            if getattr(locked, f"{link}_id") is not None:
                setattr(locked, link, None)
                changed.append(link)
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return bool(changed)


# --- Whose data --------------------------------------------------------------------------------


def _iexact_any(field: str, values: Iterable[str]) -> Q:
    condition = Q(pk__in=[])
    for value in values:
        if value:
            condition |= Q(**{f"{field}__iexact": value})
    return condition


def _own_addresses(consumer: Consumer, user) -> set[str]:
    candidates = [consumer.email]
    if user is not None:
        candidates += [user.email, user.username if "@" in user.username else ""]
    return {normalize_email(a) for a in candidates if a}


def _requests_about(consumer: Consumer, user, *, current: PrivacyRequest) -> list[PrivacyRequest]:
    """The person's requests: linked to them, made from their account, or (never linked, such
    as an unverified one) naming one of their addresses as the subject's or the requester's own."""
    own = _own_addresses(consumer, user)
    condition = Q(consumer=consumer) | Q(pk=current.pk)
    if user is not None:
        condition |= Q(requester_user=user, consumer__isnull=True)
    condition |= Q(consumer__isnull=True) & (
        _iexact_any("subject_email", own)
        | (Q(requester_kind=RequesterKind.SELF) & _iexact_any("requester_email", own))
    )
    return list(PrivacyRequest.objects.select_for_update().filter(condition).order_by("pk"))


def _requests_made_for_others(
    consumer: Consumer, user, *, about: list[PrivacyRequest]
) -> list[PrivacyRequest]:
    """Requests the person made as an agent or parent for someone else: only the requester's
    details there are theirs."""
    condition = _iexact_any("requester_email", _own_addresses(consumer, user))
    if user is not None:
        condition |= Q(requester_user=user)
    return list(
        PrivacyRequest.objects.select_for_update()
        .filter(condition)
        .exclude(pk__in=[r.pk for r in about])
        .order_by("pk")
    )


def _addresses(consumer: Consumer, user, requests_about: list[PrivacyRequest]) -> set[str]:
    """Every email address of the person: their own, and those their requests name for them."""
    addresses = _own_addresses(consumer, user)
    for privacy_request in requests_about:
        if privacy_request.subject_email:
            addresses.add(normalize_email(privacy_request.subject_email))
        if privacy_request.requester_kind == RequesterKind.SELF and privacy_request.requester_email:
            addresses.add(normalize_email(privacy_request.requester_email))
    return addresses


# --- Each place the data lives -----------------------------------------------------------------


def _admin_log_delete(consumer: Consumer, user, addresses: set[str], phone: str) -> int:
    """Admin history rows about the consumer, any row that points at it (a record's
    object_repr holds its value, a consent row's the name) or their account, and any whose
    object_repr names one of their addresses or their phone number."""
    about: list[tuple[type[models.Model], list[Any]]] = [(Consumer, [consumer.pk])]
    for relation in Consumer._meta.related_objects:
        if relation.one_to_many or relation.one_to_one:
            related: type[models.Model] = relation.related_model  # type: ignore[assignment]
            rows = related._base_manager.filter(**{relation.field.name: consumer})
            about.append((related, list(rows.values_list("pk", flat=True))))
    if user is not None:
        about.append((get_user_model(), [user.pk]))
    condition = Q(pk__in=[])
    for model, pks in about:
        if pks:
            content_type = ContentType.objects.get_for_model(model)
            condition |= Q(content_type=content_type, object_id__in=[str(pk) for pk in pks])
    identifiers = [*addresses, phone]
    if user is not None and user.username and not user.is_staff:
        identifiers.append(user.username)
    for identifier in identifiers:
        if identifier:
            condition |= Q(object_repr__icontains=identifier)
    return LogEntry.objects.filter(condition).delete()[0]


def _consent_erase(consumer: Consumer) -> dict[str, int]:
    """The consent app's rows about the person hold no identifiers themselves; the opt-out of
    sale (the sale status, its partner notices, the append-only ConsentEvent history) stays,
    the marketing choices go."""
    return {
        "marketing_preferences": consumer.marketing_preferences.all().delete()[0],
        "marketing_preference_changes": consumer.preference_changes.all().delete()[0],
        "preferences_links": consumer.preferences_links.all().delete()[0],
    }


def _requests_erase(
    about: list[PrivacyRequest], made_for_others: list[PrivacyRequest], *, current: PrivacyRequest
) -> dict[str, int]:
    changed_requests = 0
    for privacy_request in about:
        is_open = privacy_request.status in OPEN_STATUSES
        is_current = privacy_request.pk == current.pk
        keep = set()
        if is_open:
            keep |= set(ANSWER_CONTACT_FIELDS)
        if is_current:
            keep |= set(SUBJECT_FIELDS)
        names = [n for n in _request_fields(REQUEST_PERSONAL_FIELDS) if n not in keep]
        links = ["requester_user"] if is_current else ["consumer", "requester_user"]
        changed_requests += _blank(privacy_request, names, links)
    for privacy_request in made_for_others:
        # Someone else's request: their answer is still owed to the requester while it is open.
        names = [] if privacy_request.status in OPEN_STATUSES else list(ANSWER_CONTACT_FIELDS)
        changed_requests += _blank(privacy_request, _request_fields(names), ["requester_user"])
    ids = [r.pk for r in about]
    return {
        "request_details": changed_requests,
        "email_challenges": EmailChallenge.objects.filter(request_id__in=ids).delete()[0],
    }


def _blank(privacy_request: PrivacyRequest, names: list[str], links: list[str]) -> int:
    changed = [name for name in names if getattr(privacy_request, name)]
    for name in changed:
        setattr(privacy_request, name, "")
    for link in links:
        if getattr(privacy_request, f"{link}_id") is not None:
            setattr(privacy_request, link, None)
            changed.append(link)
    if changed:
        privacy_request.save(update_fields=[*changed, "updated_at"])
    return int(bool(changed))


def _files_erase(request_ids: list[int], *, now: datetime) -> dict[str, int]:
    """Agent documents and export files of the person's requests. The files go at once, inside
    the transaction, not after commit: if it rolls back the rows stay and a retry finds them
    again (unlinking twice is harmless), whereas a crash after a commit would leave personal
    data in files nobody knows about any more."""
    from requests_app.services.submission import agent_documents_folder

    from .storage import export_path

    documents = list(AgentDocument.objects.filter(request_id__in=request_ids))
    for document in documents:
        (agent_documents_folder() / document.stored_name).unlink(missing_ok=True)
    AgentDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()

    exports = list(Export.objects.filter(request_id__in=request_ids, removed_at__isnull=True))
    for export in exports:
        export_path(export).unlink(missing_ok=True)
    Export.objects.filter(pk__in=[e.pk for e in exports]).update(removed_at=now)
    return {"agent_documents": len(documents), "export_files": len(exports)}


def _outbox_redact(*, addresses: set[str], request_ids: list[int]) -> int:
    """Emails to the person's addresses, or about their requests (whoever they went to): all
    flagged, so a pending one is redacted as it is sent (core.mail), and those already sent or
    failed redacted now. Flagging first, in this order, leaves no gap with a sender that marks
    one sent meanwhile. Returns how many rows this call redacted or flagged."""
    condition = _iexact_any("to", addresses)
    for pk in request_ids:
        condition |= Q(dedupe_key__startswith=f"request:{pk}:")
    to_do = Q(redact_after_send=False) | ~Q(state=OutboundEmail.State.PENDING)
    ids = list(
        OutboundEmail.objects.filter(condition & to_do).exclude(to="").values_list("pk", flat=True)
    )
    rows = OutboundEmail.objects.filter(pk__in=ids)
    rows.update(redact_after_send=True)
    rows.exclude(state=OutboundEmail.State.PENDING).update(**redaction())
    return len(ids)


def _axes_delete(addresses: set[str], user) -> int:
    """django-axes keeps the username typed at each sign-in attempt: the person's address."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    usernames = set(addresses)
    if user is not None and user.username and not user.is_staff:
        usernames.add(user.username)
    if not usernames:
        return 0
    condition = _iexact_any("username", usernames)
    return sum(
        model.objects.filter(condition).delete()[0]
        for model in (AccessAttempt, AccessLog, AccessFailureLog)
    )


def _sessions_delete(consumer: Consumer, user) -> int:
    """Sessions signed in to the account, or opened by a preferences link for the consumer."""
    if not settings.SESSION_ENGINE.endswith((".db", ".cached_db")):
        return 0  # sessions not in the database: they expire by themselves
    store = importlib.import_module(settings.SESSION_ENGINE).SessionStore
    user_id = str(user.pk) if user is not None else None
    markers = {f"consumer:{consumer.pk}"} | ({f"user:{user.pk}"} if user is not None else set())
    theirs = []
    for session in Session.objects.all().iterator():
        data = session.get_decoded()  # {} for a session that cannot be read
        preferences = data.get(PREFERENCES_SESSION_KEY)
        if (
            (user_id is not None and str(data.get("_auth_user_id")) == user_id)
            or (isinstance(preferences, dict) and preferences.get("consumer") == consumer.pk)
            or data.get(GPC_SESSION_KEY) in markers
        ):
            theirs.append(session.session_key)
    for session_key in theirs:
        store(session_key=session_key).delete()
    return len(theirs)


def _attempts_delete(addresses: set[str]) -> int:
    """Rate-limit counters keyed by the person's addresses (keyed hashes, purged within a day
    anyway): nothing left to protect once the person is gone."""
    keys = {
        ratelimit.attempt_key(*prefix, address)
        for address in addresses
        for prefix in ATTEMPT_KEY_PREFIXES
    }
    return Attempt.objects.filter(key__in=keys).delete()[0] if keys else 0


def _account_anonymize(user) -> int:
    """Anonymize the consumer's login account (deleting it would rewrite the history's actor
    column: see the module docstring). A staff account is only unlinked."""
    if user.is_staff or user.is_superuser:
        return 0
    from django_otp import devices_for_user

    for device in devices_for_user(user, confirmed=None):
        device.delete()
    user.username = f"erased-user-{user.pk}"
    user.email = ""
    user.first_name = ""
    user.last_name = ""
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    return 1


def _consumer_deidentify(consumer: Consumer) -> int:
    """The Consumer row stays as the owner of the kept orders, with nothing that identifies."""
    wanted: dict[str, Any] = {
        "full_name": "",
        "email": "",
        "phone": "",
        "birth_date": None,
        "shop_customer_id": None,
        "user": None,
    }
    changed = [name for name, value in wanted.items() if getattr(consumer, name) != value]
    if not changed:
        return 0
    for name in changed:
        setattr(consumer, name, wanted[name])
    # Saved with its identifiers blank, so consent's post_save finds no waiting opt-out to
    # apply to it (the one _opt_out_keep leaves is for the person, should they come back).
    consumer.save(update_fields=[*changed, "updated_at"])
    return 1


def _hash_pairs(hashes: list[tuple[str, str]]) -> Q:
    condition = Q(pk__in=[])
    for kind, digest in hashes:
        condition |= Q(identifier_kind=kind, identifier_hash=digest)
    return condition


def _held_until_answered(
    requests_about: list[PrivacyRequest], *, current: PrivacyRequest
) -> list[dict[str, Any]]:
    """Which open requests still hold which fields (names only) until they are answered."""
    held = []
    for privacy_request in requests_about:
        fields = [
            name
            for name in _request_fields(REQUEST_PERSONAL_FIELDS)
            if getattr(privacy_request, name)
        ]
        if fields:
            held.append(
                {
                    "request": privacy_request.reference,
                    "current": privacy_request.pk == current.pk,
                    "fields": fields,
                }
            )
    return held
