from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core import legal_clock
from registry.models import Consumer, DataSystem, PersonalRecord

from .models import (
    MarketingChannel,
    MarketingPreference,
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
