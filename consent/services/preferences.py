"""Marketing preferences: the consumer's choice per channel, applied within 5 business days (the
notice, "Email address"), at once in the portal's own systems, else confirmed by staff."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core import legal_clock
from core.escalation import Escalation, OfficerEmail, escalated_at_claim, overdue_escalate
from core.mail import email_queue
from registry.models import Consumer, DataSystem

from ..models import (
    ConsentEvent,
    ConsentSource,
    MarketingChannel,
    MarketingPreference,
    PreferenceChange,
)
from ..selectors import PREFERENCE_DEFAULTS
from ._shared import SWEEP_BATCH, consent_event, consumer_lock, site_url


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
        locked = consumer_lock(consumer)
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
            consent_event(
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
            consent_event(
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
    officers, once (core.escalation). Returns how many it escalated."""
    overdue = (
        PreferenceChange.objects.filter(
            state=PreferenceChange.State.PENDING, escalated_at__isnull=True, effective_by__lt=now
        )
        .select_related("data_system", "consumer")
        .order_by("effective_by")[:SWEEP_BATCH]
    )
    return overdue_escalate(rows=overdue, escalation=_preference_change_escalation(now))


def _system_name(change: PreferenceChange) -> str:
    return change.data_system.name if change.data_system else "(no system set)"


def _preference_change_escalation(now: datetime) -> Escalation[PreferenceChange]:
    def claim(change: PreferenceChange) -> bool:
        return escalated_at_claim(change, now=now, state=PreferenceChange.State.PENDING)

    def email(change: PreferenceChange, to: str) -> OfficerEmail:
        return OfficerEmail(
            template="consent/preference_change_overdue",
            context={
                "channel": change.get_channel_display(),
                "allowed": change.allowed,
                "system": _system_name(change),
                "received_on": legal_clock.local_date(change.received_at),
                "due_on": legal_clock.local_date(change.effective_by),
                "admin_url": site_url(
                    reverse("admin:consent_preferencechange_change", args=[change.pk])
                ),
            },
            kind="consent.preference_change_overdue",
            dedupe_key=f"consent:preference-change:{change.pk}:overdue:{to}",
        )

    def record(change: PreferenceChange, recipients: list[str]) -> None:
        consent_event(
            kind=ConsentEvent.Kind.PREFERENCE_ESCALATED,
            consumer=change.consumer,
            source=ConsentSource.SWEEP,
            detail=f"{change.get_channel_display()} in {_system_name(change)}",
            at=now,
        )

    return Escalation(name="preference change", claim=claim, email=email, record=record)
