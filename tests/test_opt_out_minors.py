"""Consumers known to be under 16 are never sold unless opted in: by the consumer from 13 to
15, by a parent or guardian under 13 (Civ. Code 1798.120(c)). Age is counted in the business's
time zone."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from consent.models import ConsentEvent, ConsentSource, SaleStatus
from consent.selectors import consumer_may_be_sold, consumers_whose_data_may_be_sold
from consent.services import OptInRefused, sale_opt_in, sale_opt_out
from tests import factories
from tests.consent_factories import (
    adult,
    minor,
    minor_with_account,
    privacy_officer_with_email,
    sign_in_with_second_factor,
    status_of,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("age", [0, 5, 12, 13, 15])
def test_a_consumer_under_sixteen_is_never_sold_without_an_opt_in(age):
    child = minor(age)

    assert not consumer_may_be_sold(child)
    assert child not in consumers_whose_data_may_be_sold()


def test_a_consumer_of_sixteen_is_sold_unless_they_opt_out():
    assert consumer_may_be_sold(minor(16))


def test_a_consumer_whose_age_we_do_not_know_is_treated_as_an_adult():
    assert consumer_may_be_sold(factories.ConsumerFactory.create(birth_date=None))


def test_age_is_counted_in_the_business_time_zone():
    teen = factories.ConsumerFactory.create(birth_date=date(2010, 6, 15))

    # 23:30 on 14 June in California is already 15 June in UTC: still 15 years old here.
    with time_machine.travel("2026-06-14 23:30 -0700", tick=False):
        assert not consumer_may_be_sold(teen)
    with time_machine.travel("2026-06-15 00:30 -0700", tick=False):
        assert consumer_may_be_sold(teen)


@pytest.mark.parametrize("age", [13, 14, 15])
def test_a_consumer_aged_13_to_15_may_opt_in_themselves(age):
    teen = minor(age)

    sale_opt_in(
        consumer=teen, authorized_by=SaleStatus.Authorizer.CONSUMER, source=ConsentSource.ACCOUNT
    )

    assert consumer_may_be_sold(teen)


@pytest.mark.parametrize("age", [3, 12])
def test_a_child_under_13_cannot_opt_in_themselves(age):
    child = minor(age)

    with pytest.raises(OptInRefused, match="a parent or guardian must"):
        sale_opt_in(
            consumer=child,
            authorized_by=SaleStatus.Authorizer.CONSUMER,
            source=ConsentSource.ACCOUNT,
        )

    assert not consumer_may_be_sold(child)
    assert not ConsentEvent.objects.filter(kind="opted_in").exists()


def test_a_parents_opt_in_for_a_child_under_13_is_recorded_by_staff(client):
    child = minor(11)
    officer = privacy_officer_with_email()
    sign_in_with_second_factor(client, officer)

    client.post(
        reverse("admin:consent_salestatus_changelist"),
        {"action": "record_parent_opt_in", "_selected_action": [child.sale_status.pk]},
    )

    status = status_of(child)
    assert status.opted_in_by == SaleStatus.Authorizer.PARENT
    assert consumer_may_be_sold(child)
    assert ConsentEvent.objects.get(consumer=child, kind="opted_in").actor == officer


def test_a_childs_own_opt_in_from_before_does_not_count_under_13():
    # Should an opt-in by the consumer ever be stored for a child (a birth date corrected
    # later), the selector still refuses it: under 13 only a parent's counts.
    child = minor(10)
    SaleStatus.objects.filter(consumer=child).update(
        state=SaleStatus.State.OPTED_IN, opted_in_by=SaleStatus.Authorizer.CONSUMER
    )

    assert not consumer_may_be_sold(child)


def test_an_opted_in_teen_who_opts_out_is_not_sold():
    teen = minor(14)
    sale_opt_in(
        consumer=teen, authorized_by=SaleStatus.Authorizer.CONSUMER, source=ConsentSource.ACCOUNT
    )

    sale_opt_out(consumer=teen, source=ConsentSource.ACCOUNT)

    assert not consumer_may_be_sold(teen)


def test_a_signed_in_teen_opts_in_in_two_steps(client):
    teen = minor_with_account(14)
    client.force_login(teen.user)

    page = client.get("/do-not-sell/")
    assert "You are under 16, so we never sell or share your personal information" in page.text
    assert 'href="/do-not-sell/allow/"' in page.text
    confirm = client.get("/do-not-sell/allow/")  # step one: asking changes nothing
    assert confirm.status_code == 200
    assert not consumer_may_be_sold(teen)
    assert "You are under 16: we only do this because you ask us to." in confirm.text

    client.post("/do-not-sell/allow/")  # step two: confirming

    assert consumer_may_be_sold(teen)
    assert status_of(teen).opted_in_by == SaleStatus.Authorizer.CONSUMER


def test_a_signed_in_child_is_told_a_parent_must_opt_in(client):
    child = minor_with_account(12)
    client.force_login(child.user)

    page = client.get("/do-not-sell/")
    confirm = client.get("/do-not-sell/allow/")
    client.post("/do-not-sell/allow/")

    assert "Under 13, only a parent or guardian can allow it" in page.text
    assert "cannot allow this themselves" in confirm.text
    assert not consumer_may_be_sold(child)


def test_an_adult_who_may_be_sold_has_nothing_to_allow(client):
    dana = factories.consumer_with_account(birth_date=date(1990, 4, 12))
    client.force_login(dana.user)

    response = client.get("/do-not-sell/allow/")

    assert response.status_code == 302
    assert response["Location"] == "/do-not-sell/"
    assert adult() in consumers_whose_data_may_be_sold()
