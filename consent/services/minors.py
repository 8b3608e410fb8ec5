"""Minors and the sale of their personal information (Civ. Code 1798.120(c)): a consumer known
to be under SALE_MINIMUM_AGE (16) is sold only with an opt-in, their own from 13, a parent's or
guardian's under PARENT_OPT_IN_BELOW_AGE (13). Who may be sold today is
consent.selectors.sellable_condition; here is who may opt in."""

from __future__ import annotations

from django.conf import settings

from registry.models import Consumer

from ..models import SaleStatus
from ..selectors import consumer_age


class OptInRefused(Exception):
    """The opt-in cannot be accepted as given; the message says why, for the person asking."""


def opt_in_age_check(consumer: Consumer, *, authorized_by: str) -> None:
    """Raise OptInRefused unless `authorized_by` may allow sale for a consumer of this age:
    under 13, only a parent or guardian (verified by staff) may. The two-step confirmation a
    consumer of 13 to 15 gives is the caller's (11 CCR 7028(a))."""
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
