"""The access matrix (issue 10, proof suite item 4): every URL that takes an object id or a token,
for every kind of visitor, each cell asserted.

Columns, in this order:

    anon     nobody signed in
    a        consumer A, whose request it is (an account holder)
    b        consumer B, another account holder
    care     customer care, second factor verified
    auditor  the auditor, second factor verified
    officer  a privacy officer (the role, not a superuser), second factor verified
    pw       a superuser who gave the password only, no second factor

A cell is a status code, or `Go("/prefix")` for a redirect whose Location starts so. A new URL is
one line in ROWS (or one `admin_model(...)` line for a model in the admin); the last test fails
when a URL pattern of the project takes a parameter and no row covers it.

Each cell runs in a savepoint rolled back afterwards, so a cell that spends a link or withdraws a
request leaves the world as the next cell found it. Links are bearer credentials: whoever holds
one may use it, which the rows say (everyone gets the same answer for a real link, nobody gets
anything for a forged one, and nobody downloads an answer without its separate code).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    SolarSchedule,
)
from django_otp.plugins.otp_static.models import StaticDevice

from consent.models import (
    ConsentEvent,
    ConsentSource,
    MarketingPreference,
    PartnerNotice,
    PendingOptOut,
    PreferenceChange,
    SaleStatus,
)
from consent.services import (
    preferences_change,
    preferences_link_send,
    reauthorization_token,
    sale_opt_out,
    sale_opt_out_by_identifier,
)
from core.models import OutboundEmail, SweepState
from fulfilment import services as fulfilment_services
from fulfilment.models import Export, SystemTask
from fulfilment.storage import export_path, exports_folder
from requests_app.models import (
    AgentDocument,
    Channel,
    EmailChallenge,
    RequesterKind,
    Status,
)
from requests_app.services.codes import challenge_issue, make_link_token
from requests_app.services.submission import agent_documents_folder
from staff.models import StaffAccountEvent
from staff.roles import AUDITOR, CUSTOMER_CARE, PRIVACY_OFFICER
from staff.services import second_factor_reset
from tests import factories
from tests.request_helpers import emails_to
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db

PERSONAS = ("anon", "a", "b", "care", "auditor", "officer", "pw")


@dataclass(frozen=True)
class Go:
    """A redirect whose Location starts with `to`."""

    to: str

    def __str__(self):
        return f"redirect to {self.to}"


STAFF_SIGN_IN = Go("/staff/sign-in/")
ADMIN_LOGIN = Go("/admin/login/")
ACCOUNT_SIGN_IN = Go("/account/sign-in/")


# --- The world the rows point into ---------------------------------------------------------------


class World:
    """The people and the objects; each object is made the first time a row asks for it."""

    def __init__(self):
        self.officer = staff_in_role(PRIVACY_OFFICER, "olga")
        self.care = staff_in_role(CUSTOMER_CARE, "carl")
        self.auditor = staff_in_role(AUDITOR, "audrey")
        self.root = factories.staff_member(username="root", is_superuser=True)
        self.consumer_a = factories.consumer_with_account(email="ana@example.com")
        self.consumer_b = factories.consumer_with_account(email="ben@example.com")
        self._admin_pks: dict[str, str] = {}

    def clients(self) -> dict[str, Client]:
        return {
            "anon": Client(),
            "a": _consumer_client(self.consumer_a),
            "b": _consumer_client(self.consumer_b),
            "care": signed_in(self.care),
            "auditor": signed_in(self.auditor),
            "officer": signed_in(self.officer),
            "pw": signed_in(self.root, verified=False),
        }

    @cached_property
    def request_a(self):
        """Consumer A's request to know, answered, its files in A's account."""
        request = factories.PrivacyRequestFactory.create(
            status=Status.APPROVED,
            consumer=self.consumer_a,
            requester_user=self.consumer_a.user,
            requester_email=self.consumer_a.email,
        )
        return _answered_with_files(request, self.officer)

    @cached_property
    def request_logged_by_care(self):
        return factories.PrivacyRequestFactory.create(
            channel=Channel.PHONE, logged_by=self.care, status=Status.VERIFYING
        )

    @cached_property
    def agent_request(self):
        """An agent's request for consumer A, waiting for A to confirm the agent."""
        request = factories.PrivacyRequestFactory.create(
            requester_kind=RequesterKind.AGENT,
            requester_name="Alex Agent",
            requester_email="alex@agency.example",
            subject_name=self.consumer_a.full_name,
            subject_email=self.consumer_a.email,
            consumer=self.consumer_a,
            status=Status.AWAITING_CONSUMER,
        )
        folder = agent_documents_folder()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{request.pk}.pdf").write_bytes(b"%PDF-1.4 signed permission")
        AgentDocument.objects.create(
            request=request,
            stored_name=f"{request.pk}.pdf",
            content_type="application/pdf",
            size=26,
            uploaded_at=timezone.now(),
        )
        return request

    @cached_property
    def agent_token(self) -> str:
        return self._link(self.agent_request, EmailChallenge.Purpose.CONSUMER_CONFIRMS_AGENT)

    @cached_property
    def status_token(self) -> str:
        return self._link(self.request_a, EmailChallenge.Purpose.STATUS_ACCESS)

    def _link(self, request, purpose) -> str:
        challenge, secret = challenge_issue(
            privacy_request=request,
            purpose=purpose,
            now=timezone.now(),
            lifetime=timedelta(days=1),
            link=True,
        )
        return make_link_token(challenge, secret)

    @cached_property
    def answer_token(self) -> str:
        """The emailed link to the answer of a consumer without an account."""
        lee = factories.consumer(email="lee@example.com")
        request = factories.PrivacyRequestFactory.create(
            status=Status.APPROVED, consumer=lee, requester_email=lee.email
        )
        _answered_with_files(request, self.officer)
        link = next(m for m in emails_to("lee@example.com") if "is ready" in m.subject)
        return re.search(r"/answer/([^/\s]+)/", link.body).group(1)

    @cached_property
    def preferences_token(self) -> str:
        preferences_link_send(email=self.consumer_a.email)
        message = emails_to(self.consumer_a.email)[-1]
        return re.search(r"/preferences/link/([^/\s]+)/", message.body).group(1)

    @cached_property
    def reauthorization_token(self) -> str:
        sale_opt_out(consumer=self.consumer_a, source=ConsentSource.WEB_FORM)
        SaleStatus.objects.filter(consumer=self.consumer_a).update(
            reauthorization_asked_at=timezone.now()
        )
        return reauthorization_token(SaleStatus.objects.get(consumer=self.consumer_a))

    # The admin's objects: a row of each model, existing or made for the purpose (a page for
    # an id that matches nothing would only redirect to the index, proving nothing).
    def admin_object_pk(self, app_label: str, model: str) -> str:
        key = f"{app_label}.{model}"
        if key not in self._admin_pks:
            self._admin_pks[key] = self._admin_object_make(app_label, model)
        return self._admin_pks[key]

    def _admin_object_make(self, app_label: str, model: str) -> str:
        now = timezone.now()
        makers: dict[str, Callable[[], object]] = {
            "otp_static.staticdevice": lambda: StaticDevice.objects.create(
                user=self.care, name="backup codes", confirmed=True
            ),
            "django_celery_beat.clockedschedule": lambda: ClockedSchedule.objects.create(
                clocked_time=now
            ),
            "django_celery_beat.crontabschedule": lambda: CrontabSchedule.objects.create(
                minute="0"
            ),
            "django_celery_beat.solarschedule": lambda: SolarSchedule.objects.create(
                event="sunrise", latitude=0, longitude=0
            ),
            "django_celery_beat.intervalschedule": lambda: IntervalSchedule.objects.create(
                every=5, period=IntervalSchedule.MINUTES
            ),
            "django_celery_beat.periodictask": lambda: PeriodicTask.objects.create(
                name="matrix", task="matrix", interval=IntervalSchedule.objects.create(every=1)
            ),
            "axes.accessattempt": lambda: AccessAttempt.objects.create(
                username="x",
                ip_address="203.0.113.1",
                user_agent="t",
                http_accept="",
                path_info="/",
                get_data="",
                post_data="",
                failures_since_start=1,
            ),
            "axes.accessfailurelog": lambda: AccessFailureLog.objects.create(
                username="x",
                ip_address="203.0.113.1",
                user_agent="t",
                http_accept="",
                path_info="/",
            ),
            "core.sweepstate": lambda: SweepState.objects.create(name="matrix"),
            "core.outboundemail": self._outbound_email,
            "consent.salestatus": lambda: SaleStatus.objects.get(consumer=self.consumer_a),
            "consent.consentevent": self._consent_event,
            "consent.pendingoptout": self._pending_opt_out,
            "consent.partnernotice": self._partner_notice,
            "consent.preferencechange": self._preference_change,
            "consent.marketingpreference": self._marketing_preference,
            "registry.consumer": lambda: self.consumer_a,
            "registry.personalrecord": lambda: self.consumer_a.records.first(),
            "registry.order": lambda: self.consumer_a.orders.first(),
            "requests_app.privacyrequest": lambda: self.request_a,
            "fulfilment.systemtask": lambda: self.request_a.system_tasks.first(),
            "registry.suppression": lambda: apps.get_model(
                "registry", "suppression"
            ).objects.create(email_hmac="0" * 64, created_at=now),
            "staff.staffaccount": lambda: self.care,
            "staff.staffaccountevent": self._staff_event,
        }
        key = f"{app_label}.{model}"
        model_class = ContentType.objects.get(app_label=app_label, model=model).model_class()
        assert model_class is not None, key
        maker = makers.get(key, model_class._default_manager.order_by("pk").first)
        made: Any = maker()
        assert made is not None, f"the access matrix needs a maker for {key}"
        return str(made.pk)

    def _outbound_email(self):
        self.request_a  # noqa: B018  (answering it queued emails)
        return OutboundEmail.objects.order_by("pk").first()

    def _consent_event(self):
        sale_opt_out(consumer=self.consumer_a, source=ConsentSource.WEB_FORM)
        return ConsentEvent.objects.filter(consumer=self.consumer_a).first()

    def _pending_opt_out(self):
        sale_opt_out_by_identifier(identifier="nobody@example.com", source=ConsentSource.WEB_FORM)
        return PendingOptOut.objects.first()

    def _partner_notice(self):
        sale_opt_out(consumer=self.consumer_a, source=ConsentSource.WEB_FORM)
        return PartnerNotice.objects.filter(consumer=self.consumer_a).first()

    def _preference_change(self):
        preferences_change(
            consumer=self.consumer_a, choices={"email": False}, source=ConsentSource.STAFF
        )
        return PreferenceChange.objects.filter(consumer=self.consumer_a).first()

    def _marketing_preference(self):
        self._preference_change()
        return MarketingPreference.objects.filter(consumer=self.consumer_a).first()

    def _staff_event(self):
        colleague = staff_in_role(CUSTOMER_CARE, "lost-phone")
        second_factor_reset(account=colleague, actor=self.officer, reason="Lost phone.")
        return StaffAccountEvent.objects.get()


def _consumer_client(consumer) -> Client:
    assert consumer.user is not None
    client = Client()
    client.force_login(consumer.user)
    return client


def _answered_with_files(request, officer):
    fulfilment_services.request_fulfilment_start(privacy_request=request, actor=officer)
    request.refresh_from_db()
    exports_folder().mkdir(parents=True, exist_ok=True)
    for fmt in ("json", "html"):
        export = Export.objects.create(
            request=request,
            format=fmt,
            stored_name=f"{request.pk}-{fmt}",
            created_at=timezone.now(),
        )
        export_path(export).write_text(f"answer as {fmt}")
    request.system_tasks.update(state=SystemTask.State.DONE, done_at=timezone.now())
    fulfilment_services.fulfilment_finish(privacy_request=request, actor=officer)
    request.refresh_from_db()
    return request


# --- The rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    name: str  # the URL's name ("requests:detail"), or its route when it has no name
    method: str
    url: Callable[[World], str]
    expected: tuple
    data: Callable[[World], dict] | None = None
    label: str = ""
    says: str = ""  # text each 200 must contain

    @property
    def id(self) -> str:
        return f"{self.method} {self.name}{' ' + self.label if self.label else ''}"


GET, POST = "GET", "POST"
FORGED = "1-not-the-secret-at-all"

# Cells, written short: a status code, or a letter for a redirect.
SHORT = {
    "S": STAFF_SIGN_IN,
    "L": ADMIN_LOGIN,
    "R": Go("/requests/"),  # back to the consumer's request page
    "Q": Go("/staff/requests/"),  # back to the staff request page
}


def row(name, method, url, cells: str, *, data=None, label="", says=""):
    expected = tuple(SHORT[c] if c in SHORT else int(c) for c in cells.split())
    assert len(expected) == len(PERSONAS), name
    return Row(name, method, url, expected, data, label, says)


def of_a(suffix=""):
    """A page of consumer A's request."""
    return lambda w: f"/requests/{w.request_a.reference}/{suffix}"


def staff_page(request_of, suffix=""):
    return lambda w: f"/staff/requests/{request_of(w).reference}/{suffix}"


def request_a(w):
    return w.request_a


def logged_by_care(w):
    return w.request_logged_by_care


def agent_request(w):
    return w.agent_request


def totp_device(suffix):
    return lambda w: (
        f"/admin/otp_totp/totpdevice/{w.admin_object_pk('otp_totp', 'totpdevice')}/{suffix}"
    )


def view_on_site(w):
    content_type = ContentType.objects.get_for_model(w.request_a)
    return f"/admin/r/{content_type.pk}/{w.request_a.pk}/"


def note(w):
    return {"note-text": "Called back."}


# Cells, in the order of PERSONAS:
#        anon a   b   care aud off pw
ROWS = [
    # The consumer's request pages: only the account that made it (or a browser it granted).
    row("requests:detail", GET, of_a(),
        "404 200 404 404 404 404 404"),
    row("requests:confirm_email", GET, of_a("confirm-email/"),
        "404 R   404 404 404 404 404"),
    row("requests:resend_code", POST, of_a("new-code/"),
        "404 R   404 404 404 404 404"),
    row("requests:verify", GET, of_a("verify/"),
        "404 R   404 404 404 404 404"),
    row("requests:confirm_delete", GET, of_a("confirm-delete/"),
        "404 R   404 404 404 404 404"),
    row("requests:withdraw", POST, of_a("withdraw/"),
        "404 R   404 404 404 404 404"),
    row("fulfilment:account_reauthenticate", POST, of_a("answer/confirm/"),
        "404 R   404 404 404 404 404",
        data=lambda w: {"password": factories.PASSWORD}),
    row("fulfilment:account_file", GET, of_a("answer/json/"),
        "404 200 404 404 404 404 404"),
    # Emailed links are bearer credentials: a real one works for whoever holds it (GET shows a
    # button, POST spends it), a forged one for nobody.
    row("requests:status_open", GET, lambda w: f"/requests/status/{w.status_token}/",
        "200 200 200 200 200 200 200"),
    row("requests:status_open", POST, lambda w: f"/requests/status/{w.status_token}/",
        "R   R   R   R   R   R   R",
        label="spent"),
    row("requests:status_open", POST, lambda w: f"/requests/status/{FORGED}/",
        "200 200 200 200 200 200 200",
        label="forged", says="This link is not valid"),
    row("requests:agent_confirm", GET, lambda w: f"/requests/agent-confirm/{w.agent_token}/",
        "200 200 200 200 200 200 200"),
    row("requests:agent_confirm", POST, lambda w: f"/requests/agent-confirm/{FORGED}/",
        "200 200 200 200 200 200 200",
        label="forged", says="This link is not valid"),
    row("consent:reauthorize", GET, lambda w: f"/do-not-sell/authorize/{w.reauthorization_token}/",
        "200 200 200 200 200 200 200"),
    row("consent:reauthorize", POST, lambda w: f"/do-not-sell/authorize/{FORGED}/",
        "404 404 404 404 404 404 404",
        data=lambda w: {"answer": "yes"}, label="forged"),
    row("consent:preferences_link", GET, lambda w: f"/preferences/link/{w.preferences_token}/",
        "200 200 200 200 200 200 200"),
    row("consent:preferences_link", POST, lambda w: f"/preferences/link/{FORGED}/",
        "404 404 404 404 404 404 404",
        label="forged"),
    row("fulfilment:answer", GET, lambda w: f"/answer/{w.answer_token}/",
        "200 200 200 200 200 200 200", says="code that we sent you in a separate email"),
    row("fulfilment:answer", GET, lambda w: f"/answer/{FORGED}/",
        "404 404 404 404 404 404 404",
        label="forged"),
    # Nobody downloads an answer without its separate code: not the officer, not a superuser.
    row("fulfilment:answer_file", GET, lambda w: f"/answer/{w.answer_token}/json/",
        "404 404 404 404 404 404 404"),
    # The staff pages: verified staff by role; care sees only the requests it logged.
    row("staff:request", GET, staff_page(request_a),
        "S   S   S   404 200 200 S"),
    row("staff:request", GET, staff_page(logged_by_care),
        "S   S   S   200 200 200 S",
        label="logged by care"),
    row("staff:reveal", POST, staff_page(request_a, "reveal/"),
        "S   S   S   403 403 200 S"),
    row("staff:document", GET, staff_page(agent_request, "document/"),
        "S   S   S   403 403 200 S"),
    row("staff:export", GET, staff_page(request_a, "answer/json/"),
        "S   S   S   403 403 200 S"),
    row("staff:act", POST, staff_page(request_a, "note/"),
        "S   S   S   404 403 Q   S",
        data=note, label="note"),
    row("staff:act", POST, staff_page(logged_by_care, "deny/"),
        "S   S   S   403 403 400 S",
        label="deny, without a reason"),
    # The admin's own pages with an id.
    row("admin:requests_app_privacyrequest_extend", GET,
        lambda w: f"/admin/requests_app/privacyrequest/{w.request_a.pk}/extend/",
        "L   L   L   403 403 403 L"),
    row("admin:auth_user_password_change", GET, lambda w: f"/admin/auth/user/{w.care.pk}/password/",
        "L   L   L   403 403 403 L"),
    # A staff member's TOTP key and QR code are shown to nobody (OTP_ADMIN_HIDE_SENSITIVE_DATA).
    row("admin:otp_totp_totpdevice_config", GET, totp_device("config/"),
        "L   L   L   403 403 403 L"),
    row("admin:otp_totp_totpdevice_qrcode", GET, totp_device("qrcode/"),
        "L   L   L   403 403 403 L"),
    # No model of the portal has a public page to "view on site".
    row("admin:view_on_site", GET, view_on_site,
        "L   L   L   404 404 404 L"),
]  # fmt: skip


def admin_model(app_label: str, model: str, *, viewers: tuple[str, ...] = ()) -> list[Row]:
    """The four id pages the admin makes for a model: change (a read-only view for roles that
    may only view), history, delete, and the bare id that redirects to change. `viewers` are
    the roles that may view it; no role may delete anything; superusers need a second factor."""
    base = f"admin/{app_label}/{model}/"

    def url(suffix):
        return lambda w: f"/{base}{w.admin_object_pk(app_label, model)}/{suffix}"

    def staff_cells(allowed):
        return tuple(allowed if role in viewers else 403 for role in ("care", "auditor", "officer"))

    outside = (ADMIN_LOGIN, ADMIN_LOGIN, ADMIN_LOGIN)
    change = Go(f"/{base}")
    return [
        Row(f"admin:{app_label}_{model}_change", GET, url("change/"),
            (*outside, *staff_cells(200), ADMIN_LOGIN)),
        Row(f"admin:{app_label}_{model}_history", GET, url("history/"),
            (*outside, *staff_cells(200), ADMIN_LOGIN)),
        Row(f"admin:{app_label}_{model}_delete", GET, url("delete/"),
            (*outside, 403, 403, 403, ADMIN_LOGIN)),
        Row(f"{base}<path:object_id>/", GET, url(""),
            (*outside, change, change, change, ADMIN_LOGIN)),
    ]  # fmt: skip


INVENTORY_READERS = ("officer", "auditor")
# One group per model: its four pages share one world (the pages are alike; it saves time).
ADMIN_GROUPS = [
    admin_model("auth", "group"),
    admin_model("auth", "user"),
    admin_model("otp_totp", "totpdevice"),
    admin_model("otp_static", "staticdevice"),
    admin_model("django_celery_beat", "periodictask"),
    admin_model("django_celery_beat", "clockedschedule"),
    admin_model("django_celery_beat", "crontabschedule"),
    admin_model("django_celery_beat", "solarschedule"),
    admin_model("django_celery_beat", "intervalschedule"),
    admin_model("axes", "accessattempt"),
    admin_model("axes", "accesslog"),
    admin_model("axes", "accessfailurelog"),
    admin_model("core", "sweepstate"),
    admin_model("core", "outboundemail", viewers=("officer",)),
    admin_model("inventory", "source", viewers=INVENTORY_READERS),
    admin_model("inventory", "businesspurpose", viewers=INVENTORY_READERS),
    admin_model("inventory", "thirdpartycategory", viewers=INVENTORY_READERS),
    admin_model("inventory", "category", viewers=INVENTORY_READERS),
    admin_model("inventory", "sharing", viewers=INVENTORY_READERS),
    admin_model("consent", "salestatus", viewers=("care", "officer")),
    admin_model("consent", "consentevent"),
    admin_model("consent", "pendingoptout"),
    admin_model("consent", "partnernotice", viewers=("officer",)),
    admin_model("consent", "preferencechange", viewers=("officer",)),
    admin_model("consent", "marketingpreference"),
    admin_model("registry", "datasystem", viewers=("officer",)),
    admin_model("registry", "consumer", viewers=("officer",)),
    admin_model("registry", "personalrecord"),
    admin_model("registry", "order"),
    admin_model("requests_app", "privacyrequest"),
    admin_model("fulfilment", "systemtask", viewers=("officer",)),
    admin_model("registry", "suppression"),
    admin_model("staff", "staffaccount", viewers=("officer",)),
    admin_model("staff", "staffaccountevent", viewers=("officer", "auditor")),
]

ALL_ROWS = ROWS + [matrix_row for group in ADMIN_GROUPS for matrix_row in group]
CASES = [pytest.param([matrix_row], id=matrix_row.id) for matrix_row in ROWS] + [
    pytest.param(group, id=f"admin {group[0].name.split(':')[1].rsplit('_', 1)[0]}")
    for group in ADMIN_GROUPS
]


# --- The cells -----------------------------------------------------------------------------------


@dataclass
class Cell:
    persona: str
    expected: object
    status: int
    location: str = ""
    text: str = ""

    def matches(self, says: str) -> bool:
        if isinstance(self.expected, Go):
            return self.status in (301, 302) and self.location.startswith(self.expected.to)
        return self.status == self.expected and (self.status != 200 or says in self.text)


def visit(client: Client, matrix_row: Row, world: World) -> Cell:
    url = matrix_row.url(world)
    data = matrix_row.data(world) if matrix_row.data else {}
    # Each cell in a savepoint, rolled back: a link spent or a request withdrawn by one visitor
    # is whole again for the next.
    with transaction.atomic():
        send = client.get if matrix_row.method == GET else client.post
        response = send(url, data)
        transaction.set_rollback(True)
    if hasattr(response, "streaming_content"):
        # Read to the end: the test client then closes the file and the request properly.
        text = b"".join(response.streaming_content).decode(errors="replace")
    else:
        text = response.content.decode(errors="replace")
    return Cell("", None, response.status_code, response.get("Location", ""), text)


@pytest.mark.parametrize("matrix_rows", CASES)
def test_access_matrix(matrix_rows):
    world = World()
    clients = world.clients()
    wrong = []
    for matrix_row in matrix_rows:
        for persona, expected in zip(PERSONAS, matrix_row.expected, strict=True):
            cell = visit(clients[persona], matrix_row, world)
            cell.persona, cell.expected = persona, expected
            if not cell.matches(matrix_row.says):
                wrong.append(
                    f"{matrix_row.id} {persona}: expected {expected}, "
                    f"got {cell.status} {cell.location}".rstrip()
                )
    assert not wrong, "\n".join(wrong)


# --- Every URL with a parameter has a row --------------------------------------------------------

# Admin routes whose parameter is not an object: the app's index and the catch-all 404.
NOT_OBJECT_ROUTES = {"admin/(?P<url>.*)$"}


def routes_with_parameters(resolver=None, prefix="", namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes_with_parameters(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            route = prefix + str(entry.pattern)
            if "<" in route and "(?P<app_label>" not in route and route not in NOT_OBJECT_ROUTES:
                name = f"{namespace}{entry.name}" if entry.name else route
                yield name, route


def test_every_url_that_takes_an_id_or_a_token_has_a_row_in_the_matrix():
    covered = {matrix_row.name for matrix_row in ALL_ROWS}
    routes = dict(routes_with_parameters())

    missing = sorted(route for name, route in routes.items() if name not in covered)
    unknown = sorted(name for name in covered if name not in routes)

    assert not missing, f"URLs with no row in the access matrix: {missing}"
    assert not unknown, f"rows for URLs that no longer exist: {unknown}"
    assert len(routes) > 100
