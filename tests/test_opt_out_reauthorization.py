"""Re-authorization: no sooner than 12 months after an opt-out, the sweep asks once whether the
consumer will authorize sale again; only an explicit yes resumes it (Civ. Code 1798.135)."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from consent.models import ConsentEvent, ConsentSource, SaleStatus
from consent.selectors import consumer_may_be_sold
from consent.services import (
    reauthorization_asks_send,
    reauthorization_token,
    sale_opt_in,
    sale_opt_out,
)
from core import legal_clock
from core.mail import outbox_send_due
from tests.consent_factories import minor, opted_out, status_of

pytestmark = pytest.mark.django_db

OPTED_OUT_AT = "2026-03-02 10:00 -0800"
ASKED_AT = "2027-03-02 09:00 -0800"  # 12 months later: the sweep asks
# The consumer answers that evening: the link works for 60 days from the ask, whenever the
# suite runs.
answering = time_machine.travel("2027-03-02 19:00 -0800")


def asks():
    return [m for m in mail.outbox if m.subject.startswith("Would you like to allow")]


def sweep(at) -> int:
    """The re-authorization step, then the outbox, at a moment."""
    with time_machine.travel(at, tick=False):
        now = timezone.now()
        asked = reauthorization_asks_send(now=now)
        outbox_send_due(now=now)
        return asked


def answer_path(message) -> str:
    match = re.search(r"https?://[^/\s]+(/do-not-sell/authorize/[^\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def dana():
    with time_machine.travel(OPTED_OUT_AT, tick=False):
        return opted_out(email="dana@example.com")


def test_nobody_is_asked_before_twelve_months(dana):
    assert sweep("2027-03-01 23:59 -0800") == 0
    assert asks() == []


def test_the_consumer_is_asked_once_twelve_months_later_and_never_again(dana):
    assert sweep("2027-03-02 00:01 -0800") == 1
    assert sweep("2027-03-02 00:06 -0800") == 0
    assert sweep("2028-06-01 09:00 -0700") == 0

    assert len(asks()) == 1
    assert asks()[0].to == ["dana@example.com"]
    assert "We are asking you once" in asks()[0].body
    assert ConsentEvent.objects.filter(consumer=dana, kind="reauth_asked").count() == 1
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT


def test_two_sweeps_at_once_ask_once(dana):
    with time_machine.travel("2027-04-01 09:00 -0700", tick=False):
        now = timezone.now()
        assert reauthorization_asks_send(now=now) + reauthorization_asks_send(now=now) == 1


def test_opening_the_link_changes_nothing(client, dana):
    sweep(ASKED_AT)
    path = answer_path(asks()[0])

    with answering:
        page = client.get(path)
        client.get(path)

    assert page.status_code == 200
    assert "Allow the sale of your personal information again?" in page.text
    assert "On 2 March 2026 you told us not to sell" in page.text
    assert "we may again sell your name, email address and shipping address" in page.text
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT
    assert status_of(dana).reauthorization_answered_at is None


def test_an_explicit_yes_resumes_sale_recorded_as_an_opt_in(client, dana):
    sweep(ASKED_AT)

    with answering:
        response = client.post(answer_path(asks()[0]), {"answer": "yes"})

    assert response.status_code == 200
    assert "You allowed the sale of your personal information again." in response.text
    status = status_of(dana)
    assert status.state == SaleStatus.State.OPTED_IN
    assert status.source == ConsentSource.REAUTHORIZATION
    assert status.opted_in_by == SaleStatus.Authorizer.CONSUMER
    assert consumer_may_be_sold(dana)
    event = ConsentEvent.objects.get(consumer=dana, kind="opted_in")
    assert event.source == ConsentSource.REAUTHORIZATION


def test_no_keeps_the_opt_out_and_the_link_works_only_once(client, dana):
    sweep(ASKED_AT)
    path = answer_path(asks()[0])

    with answering:
        no = client.post(path, {"answer": "no"})
        yes_afterwards = client.post(path, {"answer": "yes"})

    assert "Your opt-out stays in place. We will not ask you again." in no.text
    assert yes_afterwards.status_code == 404
    assert "This link no longer works" in yes_afterwards.text
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT
    assert ConsentEvent.objects.filter(consumer=dana, kind="reauth_declined").count() == 1
    assert sweep("2029-01-01 09:00 -0800") == 0


@pytest.mark.parametrize("answer", ["", "maybe", "YES please"])
def test_anything_but_an_explicit_answer_keeps_the_opt_out(client, dana, answer):
    sweep(ASKED_AT)

    with answering:
        response = client.post(answer_path(asks()[0]), {"answer": answer})

    assert response.status_code == 200
    assert "Choose one of the two answers." in response.text
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT


def test_an_ignored_question_keeps_the_opt_out_for_good(dana):
    sweep(ASKED_AT)

    with time_machine.travel("2031-01-01 09:00 -0800"):
        assert status_of(dana).state == SaleStatus.State.OPTED_OUT
        assert not consumer_may_be_sold(dana)


def test_the_link_expires(client, dana, settings):
    settings.REAUTHORIZATION_LINK_DAYS = 60
    sweep(ASKED_AT)
    path = answer_path(asks()[0])

    with time_machine.travel("2027-05-15 09:00 -0700"):
        response = client.post(path, {"answer": "yes"})

    assert response.status_code == 404
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT


@pytest.mark.parametrize("token", ["nonsense", "eyJzIjoxLCJlIjoxfQ:1uAAAA:forged"])
def test_a_forged_link_is_refused(client, dana, token):
    response = client.post(f"/do-not-sell/authorize/{token}/", {"answer": "yes"})

    assert response.status_code == 404
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT


def test_a_link_never_sent_does_not_work(client, dana):
    # A token for a question the sweep has not asked is refused: the ask is what opens it.
    response = client.post(
        f"/do-not-sell/authorize/{reauthorization_token(status_of(dana))}/", {"answer": "yes"}
    )

    assert response.status_code == 404


def test_a_new_opt_out_after_an_opt_in_gets_its_own_single_question(dana):
    sweep(ASKED_AT)
    with time_machine.travel("2027-04-01 09:00 -0700", tick=False):
        sale_opt_in(
            consumer=dana,
            authorized_by=SaleStatus.Authorizer.CONSUMER,
            source=ConsentSource.ACCOUNT,
        )
        sale_opt_out(consumer=dana, source=ConsentSource.ACCOUNT)

    assert sweep("2027-06-01 09:00 -0700") == 0
    assert sweep("2028-04-01 09:00 -0700") == 1
    assert sweep("2028-05-01 09:00 -0700") == 0


def test_a_link_for_an_earlier_opt_out_dies_with_it(client, dana):
    sweep(ASKED_AT)
    old_path = answer_path(asks()[0])

    with answering:  # within the link's 60 days: it dies with the opt-out, not of age
        sale_opt_in(
            consumer=dana,
            authorized_by=SaleStatus.Authorizer.CONSUMER,
            source=ConsentSource.ACCOUNT,
        )
        sale_opt_out(consumer=dana, source=ConsentSource.ACCOUNT)
        assert client.post(old_path, {"answer": "yes"}).status_code == 404
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT


def test_consumers_under_sixteen_are_never_asked():
    with time_machine.travel(OPTED_OUT_AT, tick=False):
        teen = opted_out(minor(14))

    assert sweep("2027-03-10 09:00 -0800") == 0
    assert status_of(teen).reauthorization_asked_at is None


def test_the_ask_date_is_stored_twelve_months_after_the_opt_out(dana):
    status = status_of(dana)

    assert status.reauthorization_ask_from is not None and status.changed_at is not None
    assert timezone.localtime(status.reauthorization_ask_from).isoformat() == (
        "2027-03-02T00:00:00-08:00"
    )
    assert status.reauthorization_ask_from > status.changed_at + timedelta(days=364)


def test_the_sweep_has_the_reauthorization_step():
    from core.sweep import registered_steps

    assert "consent-reauthorization" in registered_steps()


def test_a_yes_from_a_consumer_found_to_be_under_13_is_refused_with_a_reason(client, dana):
    sweep(ASKED_AT)
    with answering:
        # The shop's systems correct the birth date after the question went out.
        dana.birth_date = legal_clock.today() - timedelta(days=365 * 10)
        dana.save(update_fields=["birth_date"])
        response = client.post(answer_path(asks()[0]), {"answer": "yes"})

    assert response.status_code == 200
    assert "a parent or guardian must" in response.text
    assert status_of(dana).state == SaleStatus.State.OPTED_OUT
    assert status_of(dana).reauthorization_answered_at is None
