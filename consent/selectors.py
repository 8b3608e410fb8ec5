from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core import legal_clock
from registry.models import Consumer, DataSystem, PersonalRecord

from .models import (
    ConsentEvent,
    ConsentSource,
    MarketingChannel,
    MarketingPreference,
    PendingOptOut,
    PreferenceChange,
    SaleStatus,
)

# --- Sale -------------------------------------------------------------------------------------


def business_today(now: datetime | None = None) -> date:
    """Today in the business's time zone: a consumer's age is counted there."""
    return legal_clock.local_date(now or timezone.now())


def born_after_is_younger_than(age: int, *, today: date) -> date:
    """Anyone born after the returned day is younger than `age` today."""
    return legal_clock.add_months(today, -12 * age)


def consumer_age(consumer: Consumer, *, today: date | None = None) -> int | None:
    """The consumer's age in whole years in the business's time zone; None when unknown."""
    if consumer.birth_date is None:
        return None
    today = today or business_today()
    born = consumer.birth_date
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def sellable_condition(*, today: date) -> Q:
    """The rule, as one condition on Consumer, that says whose personal information may be sold:

    - never a consumer who opted out (Civ. Code 1798.120), until they explicitly opt in again;
    - a consumer known to be under SALE_MINIMUM_AGE (16) only with an opt-in: their own from 13,
      a parent's or guardian's under 13 (Civ. Code 1798.120(c));
    - everyone else (adults, and consumers whose age we do not know) unless they opted out.
    """
    under_minimum = Q(
        birth_date__gt=born_after_is_younger_than(settings.SALE_MINIMUM_AGE, today=today)
    )
    under_parent_age = Q(
        birth_date__gt=born_after_is_younger_than(settings.PARENT_OPT_IN_BELOW_AGE, today=today)
    )
    opted_in = Q(sale_status__state=SaleStatus.State.OPTED_IN)
    parent_opted_in = opted_in & Q(sale_status__opted_in_by=SaleStatus.Authorizer.PARENT)
    not_opted_out = ~Q(sale_status__state=SaleStatus.State.OPTED_OUT)
    return not_opted_out & (
        ~under_minimum | (under_minimum & ~under_parent_age & opted_in) | parent_opted_in
    )


def consumers_whose_data_may_be_sold(*, now: datetime | None = None) -> QuerySet[Consumer]:
    """Every consumer whose personal information may be sold today. Any sale feed and the
    partners' suppression list read this, and nothing else decides it. A consumer erased at
    their request (no email address left) has nothing to sell."""
    return Consumer.objects.filter(sellable_condition(today=business_today(now))).exclude(email="")


def consumer_may_be_sold(consumer: Consumer, *, now: datetime | None = None) -> bool:
    return consumers_whose_data_may_be_sold(now=now).filter(pk=consumer.pk).exists()


def sale_status_of(consumer: Consumer) -> SaleStatus:
    """The consumer's sale status; an unsaved NO_DIRECTION one when they never gave any."""
    status = SaleStatus.objects.filter(consumer=consumer).first()
    return status or SaleStatus(consumer=consumer)


def sale_partners() -> QuerySet[DataSystem]:
    """The data systems personal information is sold to (settings.SALE_PARTNER_SYSTEMS)."""
    return DataSystem.objects.filter(slug__in=settings.SALE_PARTNER_SYSTEMS).order_by("pk")


def sale_suppression_list(*, now: datetime | None = None) -> QuerySet[Consumer]:
    """Consumers whose personal information may not be sold (opted out, or under 16 without
    an opt-in), for the partners' suppression list. Only their email address is read: the list
    carries its SHA-256, nothing else (README, "Opt-out of sale")."""
    return (
        Consumer.objects.exclude(sellable_condition(today=business_today(now)))
        .exclude(email="")  # erased consumers: their suppression entry lives in the registry
        .order_by("pk")
        .only("pk", "email")
    )


# --- Sale over a past period ---------------------------------------------------------------------
#
# sellable_condition says who may be sold today. Whether someone could be sold at a moment in the
# past (the answer to know: "personal information we sold in the 12 months") is the same rule
# replayed over the consumer's append-only consent history (ConsentEvent "opted_out" and
# "opted_in"), never over the current status row, which only says how things stand now.

OPTED_OUT = "opted_out"
OPTED_IN = "opted_in"
NO_DIRECTION = "none"


@dataclass(frozen=True)
class SaleHistory:
    """Whether the consumer's personal information could be sold during a period."""

    allowed: list[tuple[datetime, datetime]]  # the stretches of the period, oldest first
    opted_out_at_start: bool  # an opt-out given before the period was in force when it began


def sale_history(consumer: Consumer, *, start: datetime, end: datetime) -> SaleHistory:
    """The stretches of [start, end] during which the consumer's personal information could be
    sold, by sellable_condition's rule replayed over their consent history: never while opted
    out; a consumer known to be under SALE_MINIMUM_AGE only after an opt-in (the services
    refuse an opt-in the consumer's age does not allow, so a recorded opt-in is a valid one);
    anyone else unless opted out. An opt-out takes effect the moment it is received (DESIGN.md:
    "the sale flag off for this person at once"). Two queries."""
    directions = _sale_directions(consumer, until=end)
    return SaleHistory(
        allowed=_sale_allowed_stretches(consumer, directions, start=start, end=end),
        opted_out_at_start=_direction_at(directions, start) == OPTED_OUT,
    )


def _sale_directions(consumer: Consumer, *, until: datetime) -> list[tuple[datetime, str]]:
    """The consumer's directions about sale up to `until`, oldest first: (when, OPTED_OUT or
    OPTED_IN). An opt-out that waited for the consumer to appear (PendingOptOut, applied as an
    "earlier request") dates from when the consumer gave it, as
    consent.services.pending_opt_outs_apply records it, not from when it was applied."""
    events = ConsentEvent.objects.filter(
        consumer=consumer,
        kind__in=[ConsentEvent.Kind.OPTED_OUT, ConsentEvent.Kind.OPTED_IN],
        created_at__lte=until,
    ).order_by("created_at", "pk")
    waiting = [
        (applied, received)
        for applied, received in PendingOptOut.objects.filter(
            applied_to=consumer, applied_at__isnull=False
        ).values_list("applied_at", "received_at")
        if applied is not None
    ]
    directions: list[tuple[datetime, str]] = []
    for event in events:
        when = event.created_at
        if event.kind == ConsentEvent.Kind.OPTED_OUT:
            if event.source == ConsentSource.EARLIER_REQUEST:
                given = [received for applied, received in waiting if applied <= when]
                if given:
                    when = min(when, min(given))
            directions.append((when, OPTED_OUT))
        else:
            directions.append((when, OPTED_IN))
    directions.sort(key=lambda d: d[0])
    return directions


def _direction_at(directions: list[tuple[datetime, str]], moment: datetime) -> str:
    state = NO_DIRECTION
    for when, direction in directions:
        if when <= moment:
            state = direction
    return state


def _sale_allowed_stretches(
    consumer: Consumer,
    directions: list[tuple[datetime, str]],
    *,
    start: datetime,
    end: datetime,
) -> list[tuple[datetime, datetime]]:
    coming_of_age: datetime | None = None
    if consumer.birth_date is not None:
        coming_of_age = legal_clock.start_of_day(
            legal_clock.add_months(consumer.birth_date, 12 * settings.SALE_MINIMUM_AGE)
        )

    def allowed_at(moment: datetime) -> bool:
        state = _direction_at(directions, moment)
        if state == OPTED_OUT:
            return False
        if state == OPTED_IN:
            return True
        return coming_of_age is None or moment >= coming_of_age

    cuts = {start, end}
    cuts.update(when for when, _ in directions if start < when < end)
    if coming_of_age is not None and start < coming_of_age < end:
        cuts.add(coming_of_age)
    points = sorted(cuts)
    stretches: list[tuple[datetime, datetime]] = []
    for begin, finish in zip(points, points[1:], strict=False):
        if not allowed_at(begin):
            continue
        if stretches and stretches[-1][1] == begin:
            stretches[-1] = (stretches[-1][0], finish)
        else:
            stretches.append((begin, finish))
    return stretches


# --- Marketing preferences ----------------------------------------------------------------------

# What a consumer who never said anything gets. The notice tells customers that we
# "occasionally send you special offers and promotions" by email and catalog unless they opt
# out; marketing texts need the consumer's prior consent, so they are off until asked for.
PREFERENCE_DEFAULTS = {
    MarketingChannel.EMAIL: True,
    MarketingChannel.POSTAL: True,
    MarketingChannel.SMS: False,
}


@dataclass(frozen=True)
class ChannelPreference:
    channel: str
    label: str
    allowed: bool
    pending: PreferenceChange | None  # the latest change still being applied, if any


def preferences_of(consumer: Consumer) -> list[ChannelPreference]:
    """The consumer's choice for each channel, and the change still being applied, if any.
    Two queries."""
    stored = {p.channel: p.allowed for p in MarketingPreference.objects.filter(consumer=consumer)}
    pending: dict[str, PreferenceChange] = {}
    for change in PreferenceChange.objects.filter(
        consumer=consumer, state=PreferenceChange.State.PENDING
    ).order_by("received_at", "pk"):
        pending[change.channel] = change
    return [
        ChannelPreference(
            channel=channel.value,
            label=channel.label,
            allowed=stored.get(channel.value, PREFERENCE_DEFAULTS[channel]),
            pending=pending.get(channel.value),
        )
        for channel in MarketingChannel
    ]


def postal_suppression_list() -> list[tuple[Consumer, PersonalRecord | None]]:
    """Consumers who asked for no postal marketing, each with their most recent shipping
    address: the list the notice says marketing partners receive "to ensure that you're added to
    a suppression list and no longer receive postal marketing from us" (section I, "Name").
    Two queries, however long the list."""
    suppressed = Consumer.objects.filter(
        Exists(
            MarketingPreference.objects.filter(
                consumer=OuterRef("pk"), channel=MarketingChannel.POSTAL, allowed=False
            )
        )
    )
    consumers = list(suppressed.order_by("pk").only("pk", "full_name"))
    latest: dict[int, PersonalRecord] = {}
    for record in PersonalRecord.objects.filter(
        consumer__in=suppressed.values("pk"), category__slug="shipping-address"
    ).order_by("consumer_id", "-collected_at", "-pk"):
        latest.setdefault(record.consumer_id, record)
    return [(consumer, latest.get(consumer.pk)) for consumer in consumers]
