"""Deletion in the portal's own database (fulfilment.erasure): erased or de-identified
everywhere, orders kept under the legal-obligation exception, the opt-out of sale kept in force,
and a suppression entry that stops the person from being imported again.

The canary test gives one person unique values, puts them everywhere the portal can hold them,
erases the person and then reads every text column of every table and every private file.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from axes.models import AccessFailureLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.test import Client
from django.utils import timezone

from consent.identifiers import identifier_hash
from consent.models import (
    ConsentSource,
    MarketingChannel,
    MarketingPreference,
    PendingOptOut,
    PreferenceChange,
    PreferencesLink,
    SaleStatus,
)
from consent.selectors import consumer_may_be_sold, consumers_whose_data_may_be_sold
from consent.services import sale_opt_out
from core.mail import MAX_ATTEMPTS, email_send, outbox_send_due
from core.models import OutboundEmail
from fulfilment import erasure
from fulfilment.erasure import (
    ERASURE_STEPS,
    consumer_erase_internal,
    request_personal_data_erase,
)
from fulfilment.models import Export
from fulfilment.storage import exports_folder
from registry.models import Consumer, DataSystem, Order, PersonalRecord, Suppression
from registry.services import consumer_import
from registry.suppression import identifier_hmac, is_suppressed
from requests_app import ratelimit
from requests_app.models import (
    AgentDocument,
    Attempt,
    EmailChallenge,
    PrivacyRequest,
    RequesterKind,
    RequestEvent,
    RequestType,
    Status,
)
from requests_app.services.history import event_record
from requests_app.services.staff_actions import request_close
from requests_app.services.submission import agent_documents_folder
from tests import factories

pytestmark = pytest.mark.django_db

NAME = "CANARY-7f3a Quill"
EMAIL = "canary-7f3a@example.com"
PHONE = "+14155550188"
# What must appear nowhere after the erasure, however it is written.
NEEDLES = ("canary-7f3a", "canary_7f3a", "4155550188", "555-0188", "555 0188", "quill")
TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def canary_hits() -> list[str]:
    """Every place a canary appears: table.column (row pk), and private files by path."""
    hits = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS)]
        if not fields:
            continue
        names = [f.attname for f in fields]
        for pk, *values in model._base_manager.values_list("pk", *names):
            for name, value in zip(names, values, strict=True):
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if any(needle in text.lower() for needle in NEEDLES):
                    hits.append(f"{model._meta.db_table}.{name} (pk {pk})")
    for session in Session.objects.all():
        if any(needle in str(session.get_decoded()).lower() for needle in NEEDLES):
            hits.append(f"session {session.pk}")
    root = settings.PRIVATE_FILES_ROOT
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if path.is_file():
            content = path.read_bytes().lower()
            if any(needle.encode() in content for needle in NEEDLES):
                hits.append(str(path.relative_to(root)))
    return hits


def database_snapshot() -> dict:
    """Every row of every table, for "a second run changes nothing"."""
    return {
        model._meta.label: sorted((repr(row) for row in model._base_manager.values()), key=str)
        for model in apps.get_models()
    }


@dataclass
class World:
    person: Consumer
    deletion: PrivacyRequest
    know: PrivacyRequest
    officer: object
    bystander: Consumer


def sign_in(client, email, password):
    return client.post("/account/sign-in/", {"username": email, "password": password})


@pytest.fixture
def world(client) -> World:
    """A consumer whose name, email and phone are canaries, in every place data can live."""
    factories.inventory()
    now = timezone.now()
    person = factories.consumer_with_account(
        full_name=NAME, email=EMAIL, phone=PHONE, birth_date=date(1990, 4, 2), orders=3
    )
    user = person.user
    user.first_name, user.last_name = "CANARY-7f3a", "Quill"
    user.save(update_fields=["first_name", "last_name"])
    orders = list(person.orders.all())
    # The name the first order was shipped to, and a record whose JSON details name the person.
    factories.address_record(
        person, line1="1 Canary-7f3a Street", name=NAME, order=orders[0].order_number
    )
    factories.PersonalRecordFactory.create(
        consumer=person,
        category=factories.CategoryFactory(slug="social-media-username"),
        value="@canary_7f3a",
        details={"profile": {"display_name": NAME, "phone": "(415) 555-0188"}},
    )
    bystander = factories.consumer(full_name="Bea Bystander", email="bea@example.com")
    officer = factories.privacy_officer()

    deletion = factories.PrivacyRequestFactory.create(
        request_type=RequestType.DELETE,
        status=Status.IN_PROGRESS,
        requester_name=NAME,
        requester_email=EMAIL,
        subject_name=NAME,
        subject_email=EMAIL,
        declaration_name=NAME,
        consumer=person,
        requester_user=user,
        verified_at=now,
    )
    if hasattr(deletion, "postal_address"):
        deletion.postal_address = "1 Canary-7f3a Street, San Francisco, CA 94110"
        deletion.save(update_fields=["postal_address"])
    event_record(privacy_request=deletion, kind=RequestEvent.Kind.SUBMITTED, actor_label="consumer")
    EmailChallenge.objects.create(
        request=deletion,
        purpose=EmailChallenge.Purpose.STATUS_ACCESS,
        code_hash="x" * 64,
        created_at=now,
        expires_at=now + timedelta(minutes=30),
    )

    # An earlier request to know, answered with files that hold the person's data.
    know = factories.PrivacyRequestFactory.create(
        request_type=RequestType.KNOW_SPECIFIC,
        status=Status.FULFILLED,
        requester_name=NAME,
        requester_email=EMAIL,
        declaration_name=NAME,
        consumer=person,
        responded_at=now - timedelta(days=40),
        closed_at=now - timedelta(days=40),
    )
    exports_folder().mkdir(parents=True, exist_ok=True)
    (exports_folder() / "k1.json").write_text(json.dumps({"name": NAME, "email": EMAIL}))
    Export.objects.create(
        request=know, format=Export.Format.JSON, stored_name="k1.json", size=60, created_at=now
    )
    # An agent's request for the person, with the signed permission naming them.
    by_agent = factories.PrivacyRequestFactory.create(
        requester_kind=RequesterKind.AGENT,
        status=Status.DENIED,
        requester_name="Avery Agent",
        requester_email="avery.agent@example.com",
        subject_name=NAME,
        subject_email=EMAIL,
        consumer=person,
        responded_at=now - timedelta(days=90),
    )
    agent_documents_folder().mkdir(parents=True, exist_ok=True)
    (agent_documents_folder() / "permission.pdf").write_bytes(
        b"%PDF-1.4 I authorize Avery Agent to act for CANARY-7f3a Quill"
    )
    AgentDocument.objects.create(
        request=by_agent,
        stored_name="permission.pdf",
        content_type="application/pdf",
        size=60,
        uploaded_at=now,
    )
    # A request never linked to the consumer (the email was never confirmed), typed in capitals.
    factories.PrivacyRequestFactory.create(
        status=Status.CLOSED_UNCONFIRMED,
        requester_name=NAME,
        requester_email="Canary-7F3A@Example.com",
        closed_at=now - timedelta(days=200),
    )

    # Consent: an opt-out of sale (which queues its confirmation email), marketing choices.
    sale_opt_out(consumer=person, source=ConsentSource.WEB_FORM)
    MarketingPreference.objects.create(
        consumer=person, channel=MarketingChannel.POSTAL, allowed=False
    )
    PreferenceChange.objects.create(
        consumer=person,
        channel=MarketingChannel.EMAIL,
        allowed=False,
        source=ConsentSource.PREFERENCES_ACCOUNT,
        data_system=DataSystem.objects.get(slug="email-marketing"),
        received_at=now,
        effective_by=now + timedelta(days=7),
    )
    PreferencesLink.objects.create(
        consumer=person, token_hash="p" * 64, expires_at=now + timedelta(hours=1)
    )

    # Sign-ins: one that worked (django-axes logs it, the session remembers the account) and
    # two wrong passwords from another browser (axes keeps the username typed).
    assert sign_in(client, EMAIL, factories.PASSWORD).status_code == 302
    other_browser = Client()
    sign_in(other_browser, EMAIL, "wrong")
    sign_in(other_browser, EMAIL.upper(), "wrong again")
    # (Failure logs are off by default; a deployment that turns them on keeps usernames too.)
    AccessFailureLog.objects.create(
        username=EMAIL,
        ip_address="203.0.113.7",
        user_agent="Firefox",
        http_accept="*/*",
        path_info="/account/sign-in/",
        locked_out=False,
    )
    preferences_session = SessionStore()
    preferences_session["consent_preferences"] = {
        "consumer": person.pk,
        "until": (now + timedelta(minutes=30)).isoformat(),
    }
    preferences_session.create()
    ratelimit.record_attempt(ratelimit.SUBMISSIONS_PER_EMAIL, ratelimit.attempt_key(EMAIL))

    # The admin's own history of edits to the consumer, the account and a record.
    for obj in [o for o in (person, user, person.records.first()) if o is not None]:
        LogEntry.objects.create(
            user=officer,
            content_type=ContentType.objects.get_for_model(obj),
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            action_flag=CHANGE,
            change_message="[]",
        )

    # Emails to the person: sent, failed for good, and still waiting to go.
    body = f"Hello {NAME},\nWe received your request."
    OutboundEmail.objects.create(
        to=EMAIL,
        subject="We received your request",
        body_text=body,
        body_html=f"<p>{body}</p>",
        kind="request.received",
        state=OutboundEmail.State.SENT,
        sent_at=now,
    )
    OutboundEmail.objects.create(
        to=EMAIL,
        subject="Your code",
        body_text=body,
        kind="request.code",
        state=OutboundEmail.State.FAILED,
        last_error=f"SMTPRecipientsRefused: {EMAIL}",
    )
    OutboundEmail.objects.create(
        to=EMAIL,
        subject=f"For {NAME}",
        body_text=body,
        kind="request.verified",
        next_attempt_at=now - timedelta(minutes=1),
    )
    OutboundEmail.objects.create(
        to="bea@example.com",
        subject="Hello Bea",
        body_text="Hello Bea Bystander",
        kind="request.received",
        state=OutboundEmail.State.SENT,
        sent_at=now,
    )
    return World(person=person, deletion=deletion, know=know, officer=officer, bystander=bystander)


def erase_and_answer(world: World) -> dict:
    """The deletion as fulfilment carries it out: the internal erase, then the answer queued
    and the request closed, then its contact erased, then the outbox sends what is waiting."""
    now = timezone.now()
    result = consumer_erase_internal(consumer=world.person, privacy_request=world.deletion, now=now)
    request_close(
        privacy_request=world.deletion,
        actor=world.officer,
        in_part=True,
        summary="We deleted your personal information; we kept your orders for tax law.",
        now=now,
    )
    request_personal_data_erase(privacy_request=world.deletion)
    outbox_send_due(now=timezone.now() + timedelta(seconds=1))
    return result


# --- The canary ---------------------------------------------------------------------------------


def test_after_deletion_no_table_column_or_private_file_holds_any_of_the_persons_data(world):
    before = canary_hits()
    # The scan sees every kind of place the test filled (so an empty result below means
    # something): the registry, the account, requests, consent, axes, admin log, outbox, files.
    for place in (
        "registry_consumer.full_name",
        "registry_personalrecord.details",
        "auth_user.username",
        "auth_user.first_name",
        "requests_app_privacyrequest.declaration_name",
        "axes_accessattempt.username",
        "axes_accesslog.username",
        "axes_accessfailurelog.username",
        "django_admin_log.object_repr",
        "core_outboundemail.body_text",
        "core_outboundemail.last_error",
        "exports/k1.json",
        "agent-documents/permission.pdf",
    ):
        assert any(hit.startswith(place) for hit in before), place

    erase_and_answer(world)

    assert canary_hits() == []
    suppression = Suppression.objects.get()
    assert suppression.email_hmac == identifier_hmac(EMAIL)
    assert suppression.phone_hmac == identifier_hmac(PHONE)


def test_the_deletion_request_keeps_its_requesters_email_until_the_answer_is_sent(world):
    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    world.deletion.refresh_from_db()
    assert world.deletion.requester_email == EMAIL
    assert world.deletion.declaration_name == ""
    request_close(privacy_request=world.deletion, actor=world.officer, summary="Done.")
    request_personal_data_erase(privacy_request=world.deletion)
    outbox_send_due(now=timezone.now() + timedelta(seconds=1))

    answers = [m for m in mail.outbox if "Our answer" in m.subject]
    assert [m.to for m in answers] == [[EMAIL]]
    assert f"Hello {NAME}," in answers[0].body
    world.deletion.refresh_from_db()
    assert (world.deletion.requester_name, world.deletion.requester_email) == ("", "")
    assert world.deletion.consumer_id is None
    answered = OutboundEmail.objects.get(kind="request.answered")
    assert answered.state == OutboundEmail.State.SENT
    assert (answered.to, answered.subject, answered.body_text, answered.body_html) == ("",) * 4


def test_an_email_still_waiting_at_erasure_is_delivered_then_redacted(world):
    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )
    waiting = OutboundEmail.objects.get(kind="request.verified")
    assert waiting.state == OutboundEmail.State.PENDING and waiting.to == EMAIL

    outbox_send_due(now=timezone.now() + timedelta(seconds=1))

    assert EMAIL in [m.to[0] for m in mail.outbox]
    waiting.refresh_from_db()
    assert waiting.state == OutboundEmail.State.SENT
    assert (waiting.to, waiting.body_text) == ("", "")


def test_a_waiting_email_that_fails_for_good_after_erasure_keeps_only_the_error_name(
    world, monkeypatch
):
    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )
    waiting = OutboundEmail.objects.get(kind="request.verified")
    OutboundEmail.objects.filter(pk=waiting.pk).update(attempts=MAX_ATTEMPTS - 1)

    def refuse(message, *args, **kwargs):
        raise ConnectionRefusedError(f"{EMAIL} refused")

    monkeypatch.setattr("django.core.mail.EmailMultiAlternatives.send", refuse)
    email_send(email_id=waiting.pk)

    waiting.refresh_from_db()
    assert waiting.state == OutboundEmail.State.FAILED
    assert (waiting.to, waiting.body_text, waiting.last_error) == ("", "", "ConnectionRefusedError")


def test_the_answer_contact_cannot_be_erased_while_the_request_is_open(world):
    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    with pytest.raises(ValueError, match="still open"):
        request_personal_data_erase(privacy_request=world.deletion)


def test_the_login_account_is_anonymized_and_can_no_longer_sign_in(world, client):
    user = world.person.user
    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    user.refresh_from_db()
    assert user.username == f"erased-user-{user.pk}"
    assert (user.email, user.first_name, user.last_name) == ("", "", "")
    assert not user.is_active and not user.has_usable_password()
    response = sign_in(Client(), EMAIL, factories.PASSWORD)
    assert response.status_code == 200  # the form again, not a redirect into an account
    assert not Session.objects.filter(
        session_key=client.session.session_key
    ).exists()  # the browser that was signed in is signed out


def test_other_people_and_the_history_are_left_alone(world):
    events = list(RequestEvent.objects.values_list("pk", "kind", "detail", "actor_id"))
    bystander_records = PersonalRecord.objects.filter(consumer=world.bystander).count()

    erase_and_answer(world)

    assert (
        list(RequestEvent.objects.values_list("pk", "kind", "detail", "actor_id"))[: len(events)]
        == events
    )
    world.bystander.refresh_from_db()
    assert world.bystander.full_name == "Bea Bystander"
    assert PersonalRecord.objects.filter(consumer=world.bystander).count() == bystander_records
    assert OutboundEmail.objects.get(to="bea@example.com").body_text == "Hello Bea Bystander"


# --- Re-import ----------------------------------------------------------------------------------


def test_reimporting_a_deleted_person_is_refused_with_the_reason_and_creates_nothing(world):
    erase_and_answer(world)
    consumers, records = Consumer.objects.count(), PersonalRecord.objects.count()

    result = consumer_import(
        rows=[
            {
                "customer_id": "C-99001",
                "full_name": "Canary Again",
                "email": " Canary-7f3a@EXAMPLE.com",
            },
            {
                "customer_id": "C-99002",
                "full_name": "Same Phone",
                "email": "new@example.com",
                "phone": "(415) 555-0188",
            },
            {"customer_id": "C-99003", "full_name": "Someone Else", "email": "else@example.com"},
        ],
        source_label="shop export",
    )

    assert [(r.number, r.reason) for r in result.rejected] == [
        (1, "deleted at the person's request; not re-imported"),
        (2, "deleted at the person's request; not re-imported"),
    ]
    assert result.created == 1  # someone else is imported as usual
    assert Consumer.objects.count() == consumers + 1
    assert not Consumer.objects.filter(email=EMAIL).exists()
    assert not Consumer.objects.filter(shop_customer_id__in=["C-99001", "C-99002"]).exists()
    assert PersonalRecord.objects.count() == records + 2  # the third row's name and email
    assert is_suppressed(email=EMAIL) and is_suppressed(phone="415 555 0188")
    assert not is_suppressed(email="else@example.com", phone="")


# --- What the result says -----------------------------------------------------------------------


def test_the_result_records_what_was_erased_and_that_orders_were_kept_under_legal_obligation(
    world,
):
    result = consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    erased = result["erased"]
    assert erased["records"] == 6
    assert erased["records_by_category"] == {
        "email-address": 1,
        "name": 1,
        "shipping-address": 2,
        "social-media-username": 1,
        "telephone-number": 1,
    }
    assert erased["login_account"] == 1
    assert erased["consumer_identity"] == 1
    assert erased["agent_documents"] == 1 and erased["export_files"] == 1
    assert erased["sign_in_logs"] >= 3
    assert erased["admin_log_entries"] == 3
    assert erased["marketing_preferences"] == 1 and erased["preferences_links"] == 1
    assert erased["attempt_counters"] == 1
    assert not Attempt.objects.filter(key=ratelimit.attempt_key(EMAIL)).exists()
    assert result["kept"] == [
        {
            "kind": "orders",
            "exception": "legal_obligation",
            "count": 3,
            "why": "Tax and accounting law requires us to keep records of sales. We kept each "
            "order's number, date, items and total, no longer linked to your name or contact "
            "details.",
        }
    ]
    assert {r["kind"] for r in result["retained"]} == {
        "opt-out of sale",
        "suppression entry",
        "records of your privacy requests",
    }
    assert result["held_until_answered"] == [
        {
            "request": world.deletion.reference,
            "current": True,
            "fields": [
                "requester_name",
                "requester_email",
                "subject_name",
                "subject_email",
                *(["postal_address"] if hasattr(world.deletion, "postal_address") else []),
            ],
        }
    ]
    assert NAME not in json.dumps(result) and EMAIL not in json.dumps(result)
    # The orders themselves: kept, with nothing that names anyone.
    orders = Order.objects.filter(consumer=world.person)
    assert orders.count() == 3
    world.person.refresh_from_db()
    assert (world.person.full_name, world.person.email, world.person.phone) == ("", "", "")
    assert world.person.birth_date is None and world.person.shop_customer_id is None
    assert world.person.user_id is None


# --- The order of the steps ----------------------------------------------------------------------


def test_the_erasure_steps_run_in_an_order_that_keeps_what_each_reads():
    order = [step.name for step in ERASURE_STEPS]

    def before(first: str, then: str) -> bool:
        return order.index(first) < order.index(then)

    assert len(order) == len(set(order))
    # The suppression entry and the kept opt-out are made before any personal record goes.
    assert before("suppression entry", "personal records")
    assert before("opt-out kept", "personal records")
    # The admin's history is found by the ids of the rows it is about.
    assert before("admin log entries", "personal records")
    assert before("admin log entries", "marketing choices")
    # The login account is anonymized after its sessions are deleted, and after every step that
    # finds rows by its username or email.
    for step in ("sessions", "sign-in logs", "admin log entries", "attempt counters"):
        assert before(step, "login account")
    # Every step reads the consumer's identifiers: they go last.
    assert order[-1] == "consumer identity"


def test_a_suppression_entry_made_after_the_identity_is_gone_would_be_empty(world, monkeypatch):
    """Why the order is data worth testing: the same steps with the suppression entry moved
    after the identity's erasure leave nothing to stop the person being imported again."""
    steps = [s for s in ERASURE_STEPS if s.name != "suppression entry"]
    suppression = next(s for s in ERASURE_STEPS if s.name == "suppression entry")
    monkeypatch.setattr(erasure, "ERASURE_STEPS", (*steps, suppression))

    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    assert not Suppression.objects.exists()


# --- Twice --------------------------------------------------------------------------------------


def test_erasing_twice_is_safe_and_the_second_run_changes_nothing(world):
    first = consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )
    snapshot = database_snapshot()

    second = consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    assert database_snapshot() == snapshot
    assert not any(v for k, v in second["erased"].items() if k != "records_by_category")
    assert second["kept"] == first["kept"]
    assert Suppression.objects.count() == 1


def test_erasing_again_after_the_answer_changes_nothing(world):
    erase_and_answer(world)
    snapshot = database_snapshot()

    consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    assert database_snapshot() == snapshot


# --- The opt-out of sale ------------------------------------------------------------------------


def test_an_opt_out_of_sale_stays_in_force_after_deletion(world):
    erase_and_answer(world)

    world.person.refresh_from_db()
    assert SaleStatus.objects.get(consumer=world.person).state == SaleStatus.State.OPTED_OUT
    assert not consumer_may_be_sold(world.person)
    assert world.person not in consumers_whose_data_may_be_sold()
    # Kept for the person too, as keyed hashes only: should they ever appear again (say the
    # suppression is lifted), they are opted out at once.
    assert PendingOptOut.objects.filter(
        identifier_hash=identifier_hash("email", EMAIL), applied_at__isnull=True
    ).exists()
    returning = Consumer.objects.create(full_name="Returning", email=EMAIL)
    assert not consumer_may_be_sold(returning)


def test_a_person_who_never_opted_out_leaves_no_waiting_opt_out(world):
    SaleStatus.objects.filter(consumer=world.person).update(state=SaleStatus.State.NO_DIRECTION)

    result = consumer_erase_internal(
        consumer=world.person, privacy_request=world.deletion, now=timezone.now()
    )

    assert not PendingOptOut.objects.exists()
    assert "opt-out of sale" not in {r["kind"] for r in result["retained"]}
