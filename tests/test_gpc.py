"""Global Privacy Control: `Sec-GPC: 1` is an opt-out for the browser and, when the visitor is
known, for the consumer, with no further question (11 CCR 7025)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consent.models import ConsentEvent, ConsentSource, SaleStatus
from consent.selectors import consumer_may_be_sold
from consent.services import preferences_link_send, sale_opt_in
from tests import factories
from tests.consent_factories import GPC, status_of

pytestmark = pytest.mark.django_db

HONORED = "Opt-out preference signal honored"


def test_the_do_not_sell_page_says_the_signal_is_honored(client):
    response = client.get("/do-not-sell/", headers=GPC)

    assert response.status_code == 200
    banner = response.text[response.text.index('class="gpc-banner"') :]
    assert HONORED in banner[:300]
    assert "this browser is opted out" in response.text


@pytest.mark.parametrize("page", ["/", "/what-we-collect/", "/preferences/"])
def test_every_page_footer_says_the_signal_is_honored(client, page):
    html = client.get(page, headers=GPC).text

    footer = html[html.index('<footer class="site-footer">') :]
    assert HONORED in footer


@pytest.mark.parametrize("value", [None, "0", "yes", ""])
def test_without_the_signal_nothing_is_said(client, value):
    headers = {"Sec-GPC": value} if value is not None else {}

    response = client.get("/do-not-sell/", headers=headers)

    assert HONORED not in response.text
    assert "dp_sale_opt_out" not in response.cookies


def test_the_signal_opts_this_browser_out_with_a_cookie(client):
    response = client.get("/", headers=GPC)

    assert response.cookies["dp_sale_opt_out"].value == "1"
    assert response.cookies["dp_sale_opt_out"]["samesite"] == "Lax"


def test_an_anonymous_visitor_with_the_signal_costs_no_database_write(client):
    with CaptureQueriesContext(connection) as queries:
        client.get("/do-not-sell/", headers=GPC)

    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == []
    assert not ConsentEvent.objects.exists()


def test_a_signed_in_consumer_is_opted_out_with_source_gpc_and_no_question(client):
    dana = factories.consumer_with_account()
    client.force_login(dana.user)

    response = client.get("/", headers=GPC)

    assert response.status_code == 200
    status = status_of(dana)
    assert status.state == SaleStatus.State.OPTED_OUT
    assert status.source == ConsentSource.GPC
    assert not consumer_may_be_sold(dana)
    event = ConsentEvent.objects.get(consumer=dana)
    assert (event.kind, event.source) == (ConsentEvent.Kind.OPTED_OUT, ConsentSource.GPC)
    page = client.get("/do-not-sell/", headers=GPC)
    assert "this browser is opted out, and so is your account" in page.text
    assert "You have opted out" in page.text


def test_the_signal_is_recorded_once_and_later_requests_do_not_touch_the_database(client):
    dana = factories.consumer_with_account()
    client.force_login(dana.user)
    client.get("/", headers=GPC)

    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            client.get("/what-we-collect/", headers=GPC)

    consent_queries = [q["sql"] for q in queries if "consent_salestatus" in q["sql"]]
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert consent_queries == []
    assert writes == []
    assert ConsentEvent.objects.filter(consumer=dana).count() == 1


def test_a_consumer_already_opted_out_gets_no_second_opt_out_from_the_signal(client):
    dana = factories.consumer_with_account()
    client.force_login(dana.user)
    client.post("/do-not-sell/", {"action": "opt-out-account"})

    client.get("/", headers=GPC)

    assert ConsentEvent.objects.filter(consumer=dana, kind="opted_out").count() == 1
    assert status_of(dana).source == ConsentSource.ACCOUNT


def test_a_consumer_known_through_a_preferences_link_is_opted_out_too(
    client, django_capture_on_commit_callbacks
):
    from django.core import mail

    dana = factories.consumer(email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        preferences_link_send(email="dana@example.com")
    link = mail.outbox[0].body.split("http://127.0.0.1:8000")[1].split()[0]
    client.post(link)

    client.get("/preferences/", headers=GPC)

    assert status_of(dana).source == ConsentSource.GPC


def test_a_plain_opt_in_is_overridden_by_the_signal_in_a_new_session(client):
    dana = factories.consumer_with_account()
    sale_opt_in(
        consumer=dana, authorized_by=SaleStatus.Authorizer.CONSUMER, source=ConsentSource.ACCOUNT
    )
    client.force_login(dana.user)

    client.get("/", headers=GPC)

    assert status_of(dana).state == SaleStatus.State.OPTED_OUT


def test_an_opt_in_confirmed_while_the_signal_was_sent_is_respected(client):
    dana = factories.consumer_with_account()
    client.force_login(dana.user)
    client.get("/", headers=GPC)  # opted out by the signal
    confirm = client.get("/do-not-sell/allow/", headers=GPC)
    assert "Your browser is sending an opt-out preference signal." in confirm.text

    client.post("/do-not-sell/allow/", headers=GPC)
    client.logout()
    client.force_login(dana.user)  # a new session with the same browser
    client.get("/", headers=GPC)

    status = status_of(dana)
    assert status.state == SaleStatus.State.OPTED_IN
    assert status.opt_in_overrides_gpc


def test_a_failure_while_honoring_the_signal_never_breaks_the_page(client, monkeypatch):
    from consent import middleware

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(middleware, "sale_opt_out_from_signal", broken)
    dana = factories.consumer_with_account()
    client.force_login(dana.user)

    response = client.get("/do-not-sell/", headers=GPC)

    assert response.status_code == 200
    assert HONORED in response.text
