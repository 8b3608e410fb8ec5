"""Business rules of the opt-out of sale, its re-authorization, and marketing preferences.

Views, admin actions, the GPC middleware, the sweep and the tests all call these functions; none
re-implements a rule. Permission checks belong to the caller: an opt-out needs none at all (it
is not a verifiable request, 11 CCR 7026(d)); staff actions are checked by the admin.

Each state change is one transaction that locks the consumer's registry row (so ten
simultaneous opt-outs for one person queue up behind each other and only the first changes
anything), checks the current state, sets the new one with `update_fields`, appends a
ConsentEvent, and queues its email in the same transaction: core.mail sends it after commit.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from core.mail import email_queue
from core.staff import escalation_addresses
from registry.models import Consumer, DataSystem
from registry.normalize import normalize_email

from .identifiers import consumer_identifier_hashes, identifier_hash, identifier_parse
from .models import (
    ConsentEvent,
    ConsentSource,
    MarketingChannel,
    MarketingPreference,
    PartnerNotice,
    PendingOptOut,
    PreferenceChange,
    PreferencesLink,
    SaleStatus,
)
from .selectors import (
    PREFERENCE_DEFAULTS,
    born_after_is_younger_than,
    business_today,
    consumer_age,
    sale_partners,
)

logger = logging.getLogger(__name__)

SWEEP_BATCH = 200
REAUTHORIZATION_SALT = "consent.reauthorization"
# Opt-outs whose confirmation is emailed to the consumer. A GPC signal is answered on the page
# itself, and an earlier opt-out applied on import was confirmed when it was given.
CONFIRMED_BY_EMAIL = {ConsentSource.WEB_FORM, ConsentSource.ACCOUNT, ConsentSource.STAFF}
# A preferences link may be asked for again after this long; until then a second request sends
# nothing, so the form cannot be used to flood someone's inbox.
PREFERENCES_LINK_RESEND_MINUTES = 10


def site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "http://127.0.0.1:8000").rstrip("/") + path


def _event(
    *,
    kind: str,
    consumer: Consumer | None,
    source: str = "",
    actor=None,
    detail: str = "",
    at: datetime | None = None,
) -> ConsentEvent:
    return ConsentEvent.objects.create(
        consumer=consumer,
        kind=kind,
        source=source,
        actor=actor,
        detail=detail[:200],
        created_at=at or timezone.now(),
    )


def _lock(consumer: Consumer) -> Consumer:
    """Lock the consumer's row for the rest of the transaction: every change of their consent
    takes this lock first, so concurrent changes for one person run one after the other."""
    return Consumer.objects.select_for_update().get(pk=consumer.pk)


def _status_for_update(consumer: Consumer) -> SaleStatus:
    """The consumer's status row, created if missing; call with the consumer's row locked."""
    status, _ = SaleStatus.objects.get_or_create(consumer=consumer)
    return status


# --- Opt-out of sale ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptOutResult:
    consumer_id: int
    newly_opted_out: bool


def sale_opt_out(
    *,
    consumer: Consumer,
    source: str,
    actor=None,
    received_at: datetime | None = None,
) -> OptOutResult:
    """Turn the consumer's sale flag off at once and record it (Civ. Code 1798.120).

    Idempotent: an opt-out already in effect is left exactly as it is (one effective opt-out,
    however many arrive). A new opt-out gets a notice to every sale partner, due 15 business
    days from now (11 CCR 7026(f)), and its confirmation email. `received_at` is when the
    consumer gave the direction (earlier than now for an opt-out that waited for the consumer
    to appear); the 12 months before re-authorization may be asked count from it.
    """
    now = timezone.now()
    received_at = received_at or now
    with transaction.atomic():
        locked = _lock(consumer)
        status = _status_for_update(locked)
        if status.state == SaleStatus.State.OPTED_OUT:
            return OptOutResult(consumer_id=locked.pk, newly_opted_out=False)
        status.state = SaleStatus.State.OPTED_OUT
        status.source = source
        status.changed_at = received_at
        status.episode += 1
        status.opted_in_by = ""
        status.opt_in_overrides_gpc = False
        status.reauthorization_ask_from = legal_clock.reauthorization_ask_from(received_at)
        status.reauthorization_asked_at = None
        status.reauthorization_answered_at = None
        status.save(
            update_fields=[
                "state",
                "source",
                "changed_at",
                "episode",
                "opted_in_by",
                "opt_in_overrides_gpc",
                "reauthorization_ask_from",
                "reauthorization_asked_at",
                "reauthorization_answered_at",
                "updated_at",
            ]
        )
        _event(kind=ConsentEvent.Kind.OPTED_OUT, consumer=locked, source=source, actor=actor)
        # The partners are told within 15 business days of the moment the portal could act on
        # the opt-out: now (for an earlier opt-out, nothing was held about them until now).
        due_at = legal_clock.opt_out_effective_by(now)
        PartnerNotice.objects.bulk_create(
            PartnerNotice(
                consumer=locked,
                partner=partner,
                episode=status.episode,
                received_at=now,
                due_at=due_at,
            )
            for partner in sale_partners()
        )
        if source in CONFIRMED_BY_EMAIL and locked.email:
            email_queue(
                to=locked.email,
                template="consent/opt_out_confirmed",
                context=_opt_out_email_context(received_at=now),
                kind="consent.opt_out",
                dedupe_key=f"consent:opt-out:{locked.pk}:{status.episode}",
            )
    return OptOutResult(consumer_id=locked.pk, newly_opted_out=True)


def _opt_out_email_context(*, received_at: datetime) -> dict:
    return {
        "received_on": legal_clock.local_date(received_at),
        "partners_by": legal_clock.local_date(legal_clock.opt_out_effective_by(received_at)),
        "do_not_sell_url": site_url(reverse("consent:do_not_sell")),
        "preferences_url": site_url(reverse("consent:preferences")),
    }


def sale_opt_out_by_identifier(*, identifier: str, source: str, actor=None) -> None:
    """An opt-out given with an email address or a phone number, without any verification.

    Every consumer with that email or phone is opted out at once; when nobody has it, the opt-out
    waits (as a keyed hash) for a consumer who does. Returns nothing on purpose: the caller must
    answer the same whether or not the identifier matched anyone. Raises IdentifierInvalid for
    input that is neither an email address nor a phone number.
    """
    kind, value = identifier_parse(identifier)
    field = "email" if kind == PendingOptOut.IdentifierKind.EMAIL else "phone"
    matches = list(Consumer.objects.filter(**{field: value}).order_by("pk"))
    for consumer in matches:
        sale_opt_out(consumer=consumer, source=source, actor=actor)
    if not matches:
        pending_opt_out_record(kind=kind, value=value, source=source, actor=actor)


def pending_opt_out_record(*, kind: str, value: str, source: str, actor=None) -> bool:
    """Keep an opt-out for an identifier that matches no consumer yet. Returns True when this
    call recorded it (False: one was already waiting for that identifier)."""
    digest = identifier_hash(kind, value)
    try:
        with transaction.atomic():
            pending, created = PendingOptOut.objects.get_or_create(
                identifier_kind=kind,
                identifier_hash=digest,
                applied_at__isnull=True,
                defaults={"source": source},
            )
            if not created:
                return False
            _event(
                kind=ConsentEvent.Kind.OPT_OUT_PENDING, consumer=None, source=source, actor=actor
            )
            if kind == PendingOptOut.IdentifierKind.EMAIL and source in CONFIRMED_BY_EMAIL:
                # The same email as a known consumer gets: the inbox learns nothing either way.
                email_queue(
                    to=value,
                    template="consent/opt_out_confirmed",
                    context=_opt_out_email_context(received_at=pending.received_at),
                    kind="consent.opt_out",
                    dedupe_key=f"consent:pending-opt-out:{pending.pk}",
                )
    except IntegrityError:
        # A simultaneous submission of the same identifier recorded it first.
        return False
    return True


def pending_opt_outs_apply(*, consumer: Consumer) -> bool:
    """Apply any waiting opt-out given with this consumer's email or phone. Called when a
    consumer is saved (consent.signals) and by the sweep's re-match step. Returns True when one
    was applied."""
    hashes = consumer_identifier_hashes(email=consumer.email, phone=consumer.phone)
    if not hashes:
        return False
    waiting = PendingOptOut.objects.filter(applied_at__isnull=True)
    candidates = [
        pending
        for kind, digest in hashes
        for pending in waiting.filter(identifier_kind=kind, identifier_hash=digest)
    ]
    if not candidates:
        return False
    now = timezone.now()
    with transaction.atomic():
        # Claimed with a conditional update: two savers of the same consumer apply it once.
        claimed = PendingOptOut.objects.filter(
            pk__in=[p.pk for p in candidates], applied_at__isnull=True
        ).update(applied_at=now, applied_to=consumer)
        if not claimed:
            return False
        first = min(candidates, key=lambda p: p.received_at)
        sale_opt_out(
            consumer=consumer,
            source=ConsentSource.EARLIER_REQUEST,
            received_at=first.received_at,
        )
    return True


def pending_opt_outs_rematch(*, now: datetime, window: timedelta = timedelta(days=2)) -> int:
    """The sweep's safety net for a race the save signal cannot see: a consumer imported in
    the same moment as an opt-out for them (each transaction saw no trace of the other). Looks
    only at opt-outs received within `window` and consumers saved since. Returns how many
    consumers it opted out."""
    recent = PendingOptOut.objects.filter(
        applied_at__isnull=True, received_at__gte=now - window
    ).values_list("identifier_kind", "identifier_hash", "received_at")
    wanted = {(kind, digest) for kind, digest, _ in recent}
    if not wanted:
        return 0
    since = min(received for _, _, received in recent) - timedelta(minutes=10)
    applied = 0
    consumers = Consumer.objects.filter(updated_at__gte=since).only("pk", "email", "phone")
    for consumer in consumers.iterator(chunk_size=2000):
        if wanted.intersection(
            consumer_identifier_hashes(email=consumer.email, phone=consumer.phone)
        ):
            applied += pending_opt_outs_apply(consumer=consumer)
    return applied


def sale_opt_out_from_signal(*, consumer: Consumer) -> bool:
    """A Global Privacy Control signal from a browser the consumer is known in: an opt-out,
    with no further question (11 CCR 7025). Reads before it writes, so a consumer already opted
    out costs one query. An opt-in the consumer confirmed while their browser sent the signal
    and after being told of the conflict is respected (11 CCR 7025(c)(3)). Returns True when it
    opted the consumer out."""
    status = SaleStatus.objects.filter(consumer=consumer).only("state", "opt_in_overrides_gpc")
    current = status.first()
    if current is not None and (
        current.state == SaleStatus.State.OPTED_OUT
        or (current.state == SaleStatus.State.OPTED_IN and current.opt_in_overrides_gpc)
    ):
        return False
    return sale_opt_out(consumer=consumer, source=ConsentSource.GPC).newly_opted_out


# --- Opt-in ---------------------------------------------------------------------------------------


class OptInRefused(Exception):
    """The opt-in cannot be accepted as given; the message says why, for the person asking."""


def _opt_in_check(consumer: Consumer, *, authorized_by: str) -> None:
    age = consumer_age(consumer)
    if (
        age is not None
        and age < settings.PARENT_OPT_IN_BELOW_AGE
        and authorized_by != SaleStatus.Authorizer.PARENT
    ):
        raise OptInRefused(
            f"Consumers under {settings.PARENT_OPT_IN_BELOW_AGE} cannot allow the sale of "
            "their personal information themselves: a parent or guardian must."
        )


def _opt_in(
    status: SaleStatus,
    *,
    consumer: Consumer,
    authorized_by: str,
    source: str,
    actor,
    despite_gpc: bool,
    now: datetime,
) -> None:
    status.state = SaleStatus.State.OPTED_IN
    status.source = source
    status.changed_at = now
    status.opted_in_by = authorized_by
    status.opt_in_overrides_gpc = despite_gpc
    status.reauthorization_ask_from = None
    status.save(
        update_fields=[
            "state",
            "source",
            "changed_at",
            "opted_in_by",
            "opt_in_overrides_gpc",
            "reauthorization_ask_from",
            "reauthorization_answered_at",
            "updated_at",
        ]
    )
    _event(
        kind=ConsentEvent.Kind.OPTED_IN,
        consumer=consumer,
        source=source,
        actor=actor,
        detail=f"by {SaleStatus.Authorizer(authorized_by).label.lower()}",
        at=now,
    )
    # Partners not yet told of the opt-out the consumer just withdrew need not be.
    withdrawn = PartnerNotice.objects.filter(
        consumer=consumer, state=PartnerNotice.State.PENDING
    ).update(state=PartnerNotice.State.WITHDRAWN, done_at=now)
    if withdrawn:
        _event(
            kind=ConsentEvent.Kind.PARTNER_NOTICE_WITHDRAWN,
            consumer=consumer,
            source=source,
            detail=f"{withdrawn} pending notice(s)",
            at=now,
        )


def sale_opt_in(
    *,
    consumer: Consumer,
    authorized_by: str,
    source: str,
    actor=None,
    despite_gpc: bool = False,
) -> bool:
    """Record an explicit authorization to sell the consumer's personal information: the only
    way sale resumes after an opt-out, and the only way a consumer known to be under 16 is ever
    sold. Under 13, only a parent's or guardian's (verified by staff) counts; OptInRefused
    otherwise. Returns True when it changed anything.

    The caller makes sure the opt-in is explicit and, for a consumer 13 to 15, given in two steps
    (asked, then confirmed: 11 CCR 7028(a)).
    """
    _opt_in_check(consumer, authorized_by=authorized_by)
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(consumer)
        status = _status_for_update(locked)
        if (
            status.state == SaleStatus.State.OPTED_IN
            and status.opted_in_by == authorized_by
            and status.opt_in_overrides_gpc == despite_gpc
        ):
            return False
        _opt_in(
            status,
            consumer=locked,
            authorized_by=authorized_by,
            source=source,
            actor=actor,
            despite_gpc=despite_gpc,
            now=now,
        )
    return True


# --- Re-authorization -----------------------------------------------------------------------------


def reauthorization_token(status: SaleStatus) -> str:
    """A signed token naming the consumer's status and the opt-out it asks about."""
    return signing.dumps({"s": status.pk, "e": status.episode}, salt=REAUTHORIZATION_SALT)


class LinkInvalid(Exception):
    """A link is unknown, expired, or already used."""


def reauthorization_status_for(token: str) -> SaleStatus:
    """The status a re-authorization link asks about, while the question is still open."""
    try:
        data = signing.loads(
            token,
            salt=REAUTHORIZATION_SALT,
            max_age=timedelta(days=settings.REAUTHORIZATION_LINK_DAYS),
        )
        status = SaleStatus.objects.select_related("consumer").get(pk=data["s"])
    except (signing.BadSignature, SaleStatus.DoesNotExist, KeyError, TypeError):
        raise LinkInvalid from None
    if not _question_open(status, episode=data["e"]):
        raise LinkInvalid
    return status


def _question_open(status: SaleStatus, *, episode: int) -> bool:
    return (
        status.state == SaleStatus.State.OPTED_OUT
        and status.episode == episode
        and status.reauthorization_asked_at is not None
        and status.reauthorization_answered_at is None
    )


def reauthorization_answer(*, token: str, allow: bool, despite_gpc: bool = False) -> bool:
    """The consumer's answer to the one re-authorization question. Only an explicit yes
    resumes sale (recorded as an opt-in); a no keeps the opt-out. Either answer closes the
    question: the link works once. Raises LinkInvalid for a bad, expired or used link. Returns
    True when sale was authorized."""
    status = reauthorization_status_for(token)
    episode = status.episode
    now = timezone.now()
    with transaction.atomic():
        locked = _lock(status.consumer)
        status = SaleStatus.objects.get(pk=status.pk)
        if not _question_open(status, episode=episode):
            raise LinkInvalid
        status.reauthorization_answered_at = now
        if not allow:
            status.save(update_fields=["reauthorization_answered_at", "updated_at"])
            _event(
                kind=ConsentEvent.Kind.REAUTHORIZATION_DECLINED,
                consumer=locked,
                source=ConsentSource.REAUTHORIZATION,
                at=now,
            )
            return False
        _opt_in_check(locked, authorized_by=SaleStatus.Authorizer.CONSUMER)
        _opt_in(
            status,
            consumer=locked,
            authorized_by=SaleStatus.Authorizer.CONSUMER,
            source=ConsentSource.REAUTHORIZATION,
            actor=None,
            despite_gpc=despite_gpc,
            now=now,
        )
    return True


def reauthorization_asks_send(*, now: datetime) -> int:
    """The sweep's step: ask once, no sooner than 12 months after an opt-out, whether the
    consumer will authorize sale again (Civ. Code 1798.135(c)(4)). Never asked twice: the row is
    claimed with a conditional update before the email is queued, and the email has a dedupe
    key. Consumers known to be under 16 are not asked. Returns how many were asked."""
    under_minimum = born_after_is_younger_than(settings.SALE_MINIMUM_AGE, today=business_today(now))
    due = (
        SaleStatus.objects.filter(
            state=SaleStatus.State.OPTED_OUT,
            reauthorization_asked_at__isnull=True,
            reauthorization_ask_from__lte=now,
        )
        .exclude(consumer__email="")
        .exclude(consumer__birth_date__gt=under_minimum)
        .order_by("reauthorization_ask_from")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    asked = 0
    for pk in list(due):
        try:
            asked += _reauthorization_ask(pk, now=now)
        except Exception:
            # One failing consumer must not stop the others; it is retried next sweep.
            logger.exception("Re-authorization ask for sale status %s failed", pk)
    return asked


def _reauthorization_ask(pk: int, *, now: datetime) -> bool:
    with transaction.atomic():
        claimed = SaleStatus.objects.filter(
            pk=pk, state=SaleStatus.State.OPTED_OUT, reauthorization_asked_at__isnull=True
        ).update(reauthorization_asked_at=now)
        if not claimed:
            return False
        status = SaleStatus.objects.select_related("consumer").get(pk=pk)
        _event(
            kind=ConsentEvent.Kind.REAUTHORIZATION_ASKED,
            consumer=status.consumer,
            source=ConsentSource.SWEEP,
            at=now,
        )
        assert status.changed_at is not None  # an opt-out always has its date (constraint)
        email_queue(
            to=status.consumer.email,
            template="consent/reauthorization_ask",
            context={
                "opted_out_on": legal_clock.local_date(status.changed_at),
                "answer_url": site_url(
                    reverse("consent:reauthorize", args=[reauthorization_token(status)])
                ),
                "link_days": settings.REAUTHORIZATION_LINK_DAYS,
            },
            kind="consent.reauthorization_ask",
            dedupe_key=f"consent:reauthorization:{status.pk}:{status.episode}",
        )
    return True


# --- Partners -------------------------------------------------------------------------------------


def partner_notices_mark_told(*, notice_ids: Iterable[int], actor) -> int:
    """Staff confirm the partner was told (the suppression list sent). Records who and when.
    Returns how many notices it closed; notices already closed are left alone."""
    now = timezone.now()
    told = 0
    with transaction.atomic():
        notices = (
            PartnerNotice.objects.select_for_update(of=("self",))
            .filter(pk__in=list(notice_ids), state=PartnerNotice.State.PENDING)
            .select_related("partner", "consumer")
            .order_by("pk")
        )
        for notice in notices:
            notice.state = PartnerNotice.State.TOLD
            notice.done_at = now
            notice.done_by = actor
            notice.save(update_fields=["state", "done_at", "done_by"])
            _event(
                kind=ConsentEvent.Kind.PARTNER_TOLD,
                consumer=notice.consumer,
                source=ConsentSource.STAFF,
                actor=actor,
                detail=f"{notice.partner.name}, opt-out #{notice.episode}",
                at=now,
            )
            told += 1
    return told


def _escalate_overdue(*, model, deadline: str, now: datetime, related: tuple, escalate) -> int:
    """Claim each pending row past its deadline with a conditional update (two sweeps never
    escalate one twice) and hand it to `escalate(row, recipients)` in the same transaction.
    One failing row does not stop the others. Returns how many were escalated."""
    recipients = escalation_addresses()
    if not recipients:
        logger.error("Overdue consent deadlines, but no officer has an email address to tell")
        return 0
    pending = model.State.PENDING
    overdue = (
        model.objects.filter(state=pending, escalated_at__isnull=True, **{f"{deadline}__lt": now})
        .order_by(deadline)
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    escalated = 0
    for pk in list(overdue):
        try:
            with transaction.atomic():
                claimed = model.objects.filter(
                    pk=pk, state=pending, escalated_at__isnull=True
                ).update(escalated_at=now)
                if not claimed:
                    continue
                escalate(model.objects.select_related(*related).get(pk=pk), recipients)
            escalated += 1
        except Exception:
            logger.exception("Escalating %s %s failed", model._meta.verbose_name, pk)
    return escalated


def partner_notices_escalate_overdue(*, now: datetime) -> int:
    """The sweep's step: a partner notice still pending after its deadline is escalated to the
    officers, once. Returns how many it escalated."""

    def escalate(notice: PartnerNotice, recipients: list[str]) -> None:
        _event(
            kind=ConsentEvent.Kind.PARTNER_NOTICE_ESCALATED,
            consumer=notice.consumer,
            source=ConsentSource.SWEEP,
            detail=notice.partner.name,
            at=now,
        )
        for to in recipients:
            email_queue(
                to=to,
                template="consent/partner_notice_overdue",
                context={
                    "partner": notice.partner.name,
                    "received_on": legal_clock.local_date(notice.received_at),
                    "due_on": legal_clock.local_date(notice.due_at),
                    "admin_url": site_url(
                        reverse("admin:consent_partnernotice_change", args=[notice.pk])
                    ),
                },
                kind="consent.partner_notice_overdue",
                dedupe_key=f"consent:partner-notice:{notice.pk}:overdue:{to}",
            )

    return _escalate_overdue(
        model=PartnerNotice,
        deadline="due_at",
        now=now,
        related=("partner", "consumer"),
        escalate=escalate,
    )


# --- Marketing preferences ------------------------------------------------------------------------


def _channel_systems() -> dict[str, DataSystem]:
    slugs = settings.PREFERENCE_CHANNEL_SYSTEMS
    systems = {s.slug: s for s in DataSystem.objects.filter(slug__in=slugs.values())}
    return {channel: systems[slug] for channel, slug in slugs.items() if slug in systems}


def preferences_change(
    *,
    consumer: Consumer,
    choices: Mapping[str, bool],
    source: str,
    actor=None,
) -> list[PreferenceChange]:
    """Record the consumer's marketing choices. Each channel whose choice changed gets a
    PreferenceChange due in 5 business days (the notice, "Email address"), applied at once when
    the system that sends that channel is the portal's own, else a task staff confirm. An
    earlier change of the same channel still pending is superseded: only the latest choice needs
    applying. Returns the changes made (none when nothing changed)."""
    unknown = set(choices) - set(MarketingChannel.values)
    if unknown:
        raise ValueError(f"unknown marketing channels: {sorted(unknown)}")
    now = timezone.now()
    effective_by = legal_clock.marketing_preference_effective_by(now)
    systems = _channel_systems()
    changes: list[PreferenceChange] = []
    with transaction.atomic():
        locked = _lock(consumer)
        current = {p.channel: p for p in MarketingPreference.objects.filter(consumer=locked)}
        for channel, allowed in choices.items():
            stored = current.get(channel)
            before = stored.allowed if stored else PREFERENCE_DEFAULTS[MarketingChannel(channel)]
            if before == allowed:
                continue
            if stored:
                stored.allowed = allowed
                stored.updated_at = now
                stored.save(update_fields=["allowed", "updated_at"])
            else:
                MarketingPreference.objects.create(
                    consumer=locked, channel=channel, allowed=allowed, updated_at=now
                )
            PreferenceChange.objects.filter(
                consumer=locked, channel=channel, state=PreferenceChange.State.PENDING
            ).update(state=PreferenceChange.State.SUPERSEDED)
            system = systems.get(channel)
            automatic = system is not None and system.connector == DataSystem.Connector.INTERNAL
            change = PreferenceChange.objects.create(
                consumer=locked,
                channel=channel,
                allowed=allowed,
                source=source,
                actor=actor,
                data_system=system,
                received_at=now,
                effective_by=effective_by,
                state=PreferenceChange.State.APPLIED
                if automatic
                else PreferenceChange.State.PENDING,
                applied_at=now if automatic else None,
            )
            label = MarketingChannel(channel).label
            _event(
                kind=ConsentEvent.Kind.PREFERENCE_CHANGED,
                consumer=locked,
                source=source,
                actor=actor,
                detail=f"{label}: {'yes' if allowed else 'no'}",
                at=now,
            )
            changes.append(change)
        if changes and locked.email:
            email_queue(
                to=locked.email,
                template="consent/preferences_changed",
                context={
                    "changes": [
                        {
                            "label": c.get_channel_display(),
                            "allowed": c.allowed,
                        }
                        for c in changes
                    ],
                    "effective_on": legal_clock.local_date(effective_by),
                    "preferences_url": site_url(reverse("consent:preferences")),
                },
                kind="consent.preferences_changed",
                dedupe_key=f"consent:preferences-changed:{changes[0].pk}",
            )
    return changes


def preference_changes_mark_applied(*, change_ids: Iterable[int], actor) -> int:
    """Staff confirm a change was applied in the system that sends the channel. Returns how
    many changes it closed."""
    now = timezone.now()
    applied = 0
    with transaction.atomic():
        changes = (
            PreferenceChange.objects.select_for_update(of=("self",))
            .filter(pk__in=list(change_ids), state=PreferenceChange.State.PENDING)
            .select_related("consumer", "data_system")
            .order_by("pk")
        )
        for change in changes:
            change.state = PreferenceChange.State.APPLIED
            change.applied_at = now
            change.applied_by = actor
            change.save(update_fields=["state", "applied_at", "applied_by"])
            where = change.data_system.name if change.data_system else "its system"
            _event(
                kind=ConsentEvent.Kind.PREFERENCE_APPLIED,
                consumer=change.consumer,
                source=ConsentSource.STAFF,
                actor=actor,
                detail=f"{change.get_channel_display()} in {where}",
                at=now,
            )
            applied += 1
    return applied


def preference_changes_escalate_overdue(*, now: datetime) -> int:
    """The sweep's step: a preference change not applied by its deadline is escalated to the
    officers, once. Returns how many it escalated."""

    def escalate(change: PreferenceChange, recipients: list[str]) -> None:
        system = change.data_system.name if change.data_system else "(no system set)"
        _event(
            kind=ConsentEvent.Kind.PREFERENCE_ESCALATED,
            consumer=change.consumer,
            source=ConsentSource.SWEEP,
            detail=f"{change.get_channel_display()} in {system}",
            at=now,
        )
        for to in recipients:
            email_queue(
                to=to,
                template="consent/preference_change_overdue",
                context={
                    "channel": change.get_channel_display(),
                    "allowed": change.allowed,
                    "system": system,
                    "received_on": legal_clock.local_date(change.received_at),
                    "due_on": legal_clock.local_date(change.effective_by),
                    "admin_url": site_url(
                        reverse("admin:consent_preferencechange_change", args=[change.pk])
                    ),
                },
                kind="consent.preference_change_overdue",
                dedupe_key=f"consent:preference-change:{change.pk}:overdue:{to}",
            )

    return _escalate_overdue(
        model=PreferenceChange,
        deadline="effective_by",
        now=now,
        related=("data_system", "consumer"),
        escalate=escalate,
    )


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def preferences_link_send(*, email: str) -> None:
    """Email a one-time link to the preferences page to the consumer with this address, if
    there is one. Returns nothing on purpose: the caller answers the same whether or not the
    address belongs to a customer. At most one link per consumer every 10 minutes."""
    address = normalize_email(email)
    consumer = Consumer.objects.filter(email=address).order_by("pk").first()
    if consumer is None:
        return
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    window = int(now.timestamp() // (PREFERENCES_LINK_RESEND_MINUTES * 60))
    with transaction.atomic():
        link = PreferencesLink.objects.create(
            consumer=consumer,
            token_hash=_token_digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.PREFERENCES_LINK_HOURS),
        )
        queued = email_queue(
            to=consumer.email,
            template="consent/preferences_link",
            context={
                "link_url": site_url(reverse("consent:preferences_link", args=[token])),
                "hours": settings.PREFERENCES_LINK_HOURS,
            },
            kind="consent.preferences_link",
            dedupe_key=f"consent:preferences-link:{consumer.pk}:{window}",
        )
        if queued is None:
            # A link went out minutes ago; this one was never sent, so it must not work.
            link.delete()


def preferences_link_valid(*, token: str) -> bool:
    return PreferencesLink.objects.filter(
        token_hash=_token_digest(token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def preferences_link_redeem(*, token: str) -> Consumer:
    """Use a preferences link, once. Raises LinkInvalid for an unknown, expired or used one."""
    now = timezone.now()
    digest = _token_digest(token)
    claimed = PreferencesLink.objects.filter(
        token_hash=digest, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        raise LinkInvalid
    return PreferencesLink.objects.select_related("consumer").get(token_hash=digest).consumer


def preferences_links_purge(*, now: datetime) -> int:
    """The sweep's housekeeping: links expired for a day are deleted."""
    deleted, _ = PreferencesLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted
