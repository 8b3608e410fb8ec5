"""The logs of a full run hold none of the personal data it handled (issue 10, proof suite 6).

A whole run, through the pages as people use them and with the tasks and the sweep as the worker
and beat run them: a consumer asks for a copy of their data, proves their email and identity
(one wrong try first), the officer searches for them, reveals their details, approves, works the
data systems and delivers; the consumer opens the answer with its code; the same consumer then
has everything deleted; a representative logs a phone request for another person; someone opts
out of sale by email and by phone, asks for a preferences link, looks a request up, and fails to
sign in; the mail server refuses an address once; the sweep runs over the following weeks.
Every value is a canary: a name, email, phone, address and order number found nowhere else.

Logging is captured at DEBUG for every logger (django.request, django.security, celery, axes,
the portal's own), through a handler on the root logger, and each record is checked three ways:
its formatted line with any traceback, its message arguments, and every attribute it carries.

One logger is left at its configured level: django.db.backends. At DEBUG it writes every SQL
statement with its parameters, which are the personal data by design. Production never runs it
below WARNING: settings.LOGGING pins it there whatever LOG_LEVEL says, and Django writes SQL
only with DEBUG on. test_sql_is_never_logged_whatever_the_log_level holds that.
"""

import logging
import re
import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.utils import timezone

from core.sweep import sweep_run
from fulfilment.models import SystemTask
from registry.models import DataSystem
from requests_app.models import PrivacyRequest, Status
from staff.roles import CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.request_helpers import deliver_emails, emails_to, last_code_for, latest_request
from tests.staff_helpers import signed_in, staff_in_role
from tests.test_settings import run_manage

NAME = "Quilla Zephyrine"
EMAIL = "zephyrine.canary@example.com"
PHONE = "+14155550147"
STREET = "8127 Canarywood Lane"
ZIP = "94133"
ORDER = "DP-731977"
CALLER_NAME = "Ottoline Vantablack"
CALLER_EMAIL = "vantablack.canary@example.com"
CALLER_PHONE = "+14155550163"
CALLER_STREET = "55 Marigoldthorpe Street"
OPT_OUT_EMAIL = "sparrowhawk.canary@example.com"
OPT_OUT_PHONE = "(628) 555-0119"
NOTE = "Called Quilla Zephyrine back at the number she gave"
# What must appear in no log, however it is written (lower case; digits are matched on each run
# of digits as people write them, "(628) 555-0119", with its separators removed).
NEEDLES = (
    "zephyrine",
    "canarywood",
    "vantablack",
    "marigoldthorpe",
    "sparrowhawk",
    "quilla",
    "ottoline",
    "731977",
)
DIGIT_NEEDLES = ("4155550147", "4155550163", "6285550119", "94133")
# Set by logging itself, never from what the portal passes: the time and the process, whose
# digits would match a short needle by chance at some instants (94133 in a timestamp).
BOOKKEEPING = {"args", "created", "msecs", "relativeCreated", "thread", "process", "lineno"}
DIGIT_RUN = re.compile(r"\d(?:[\d\s().+\-]*\d)?")


class CapturedLogs(logging.Handler):
    """Keeps every record, and the line a production handler would have written."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.lines: list[str] = []

    def emit(self, record):
        self.records.append(record)
        self.lines.append(self.format(record))

    def texts(self):
        """For each record: its formatted line (with traceback), its arguments, its attributes."""
        for record, line in zip(self.records, self.lines, strict=True):
            yield record.name, line
            yield record.name, repr(record.args)
            yield record.name, repr({k: v for k, v in vars(record).items() if k not in BOOKKEEPING})


def canaries_in(text: str) -> list[str]:
    lowered = text.lower()
    runs = [re.sub(r"\D", "", run) for run in DIGIT_RUN.findall(text)]
    return [n for n in NEEDLES if n in lowered] + [
        n for n in DIGIT_NEEDLES if any(n in run for run in runs)
    ]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Sending to (628) 555-0119", ["6285550119"]),
        ("{'msg': 'call +1 415-555-0147'}", ["4155550147"]),
        ("San Francisco, CA 94133", ["94133"]),
        ("10:09:41,330 DEBUG took 94 ms, 133 rows", []),  # digits of separate numbers
    ],
)
def test_the_canary_search_finds_numbers_as_written_and_not_across_a_line(text, found):
    assert canaries_in(text) == found


@pytest.fixture
def captured_logs():
    """Every logger at DEBUG, except the SQL one (module docstring), into one handler."""
    handler = CapturedLogs()
    root = logging.getLogger()
    loggers = [root] + [
        logging.getLogger(name)
        for name in list(logging.root.manager.loggerDict)
        if not name.startswith("django.db.backends")
    ]
    levels = {logger: logger.level for logger in loggers}
    disabled = {logger: logger.disabled for logger in loggers}
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for logger in loggers:
        logger.setLevel(levels[logger])
        logger.disabled = disabled[logger]


class RefusesOnce(LocmemBackend):
    """A mail server that refuses the canary's address the first time, as a full mailbox or a
    typo'd domain does, the way smtplib reports it: with the address in the exception."""

    refused: set[str] = set()

    def send_messages(self, email_messages):
        for message in email_messages:
            address = message.to[0]
            if address == EMAIL and address not in self.refused:
                self.refused.add(address)
                raise smtplib.SMTPRecipientsRefused(
                    {address: (550, f"5.1.1 <{address}>: mailbox unavailable".encode())}
                )
        return super().send_messages(email_messages)


# --- The run --------------------------------------------------------------------------------------


def the_people():
    factories.inventory()
    DataSystem.objects.get_or_create(
        slug="warehouse",
        defaults={"name": "Warehouse", "kind": DataSystem.Kind.SERVICE_PROVIDER},
    )
    quilla = factories.consumer(full_name=NAME, email=EMAIL, phone=PHONE, zip_code=ZIP, orders=1)
    quilla.records.filter(category__slug="shipping-address").update(
        value=f"{STREET}, San Francisco, CA {ZIP}",
        details={
            "line1": STREET,
            "line2": "",
            "city": "San Francisco",
            "state": "CA",
            "zip_code": ZIP,
        },
    )
    quilla.orders.update(order_number=ORDER)
    ottoline = factories.consumer_with_account(
        full_name=CALLER_NAME, email=CALLER_EMAIL, phone=CALLER_PHONE, orders=1
    )
    ottoline.records.filter(category__slug="shipping-address").update(
        value=f"{CALLER_STREET}, San Francisco, CA 94110",
        details={
            "line1": CALLER_STREET,
            "line2": "",
            "city": "San Francisco",
            "state": "CA",
            "zip_code": "94110",
        },
    )
    return quilla, ottoline


def consumer_asks(browser: Client, request_type: str) -> PrivacyRequest:
    response = browser.post(
        f"/requests/new/details/?type={request_type}&who=self",
        {"requester_name": NAME, "requester_email": EMAIL, "delivery_method": "email"},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    privacy_request = latest_request()
    browser.post(
        f"/requests/{privacy_request.reference}/confirm-email/", {"code": last_code_for(EMAIL)}
    )
    wrong = {"address": "1 Nowhere Road", "zip_code": "10001", "recent_purchase": "DP-000000"}
    right = {"address": STREET, "zip_code": ZIP, "recent_purchase": ORDER, "phone": PHONE}
    if request_type == "know_specific":
        right |= {"declaration_name": NAME, "declaration": "on"}
    browser.post(f"/requests/{privacy_request.reference}/verify/", wrong)
    browser.post(f"/requests/{privacy_request.reference}/verify/", right)
    privacy_request.refresh_from_db()
    return privacy_request


def officer_works(officer: Client, privacy_request: PrivacyRequest) -> None:
    reference = privacy_request.reference
    officer.get("/staff/", {"q": EMAIL, "status": "all"})
    officer.get("/staff/", {"q": NAME})
    officer.get(f"/staff/requests/{reference}/")
    officer.post(f"/staff/requests/{reference}/reveal/")
    officer.post(f"/staff/requests/{reference}/note/", {"note-text": NOTE})
    assert officer.post(f"/staff/requests/{reference}/approve/").status_code == 302
    assert officer.post(f"/staff/requests/{reference}/start/").status_code == 302
    today = timezone.localdate().isoformat()
    for task in SystemTask.objects.filter(request=privacy_request, state=SystemTask.State.PENDING):
        officer.post(
            f"/staff/requests/{reference}/task/",
            {"task-task": task.pk, "task-done_on": today, "task-note": NOTE},
        )
    officer.get(f"/staff/requests/{reference}/")
    response = officer.post(f"/staff/requests/{reference}/close/")
    assert response.status_code == 302, response.content.decode()[-3000:]
    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.FULFILLED


def consumer_opens_the_answer(browser: Client) -> None:
    sent = emails_to(EMAIL)
    link = next(m for m in sent if "is ready" in m.subject).body
    code_email = next(m for m in sent if m.subject.startswith("The code for your answer")).body
    path = re.search(r"https?://[^/\s]+(/answer/\S+/)", link).group(1)
    code = re.search(r": (\d{6})", code_email).group(1)
    browser.post(path, {"code": "000000"})
    browser.post(path, {"code": code})
    assert browser.get(path + "json/").status_code == 200


def consumer_deletes(browser: Client, officer: Client) -> None:
    privacy_request = consumer_asks(browser, "delete")
    reference = privacy_request.reference
    browser.post(f"/requests/{reference}/confirm-delete/", {"confirm": "on"})
    officer_works(officer, privacy_request)


def representative_logs_a_call(care: Client) -> None:
    response = care.post(
        "/staff/intake/?channel=phone",
        {
            "adult": "on",
            "request_type": "know_categories",
            "requester_kind": "self",
            "caller_name": CALLER_NAME,
            "caller_email": CALLER_EMAIL,
            "address": CALLER_STREET,
            "zip_code": "94110",
            "phone": CALLER_PHONE,
        },
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    care.get(response["Location"])


def someone_opts_out_and_follows_up(browser: Client) -> None:
    browser.post("/do-not-sell/", {"identifier": OPT_OUT_EMAIL})
    browser.post("/do-not-sell/", {"identifier": OPT_OUT_PHONE})
    browser.post("/do-not-sell/", {"identifier": CALLER_EMAIL}, HTTP_SEC_GPC="1")
    browser.post("/preferences/link/", {"email": CALLER_EMAIL})
    browser.post("/requests/status/", {"reference": "PR-2026-000001", "email": CALLER_EMAIL})
    for _ in range(3):
        browser.post("/account/sign-in/", {"username": CALLER_EMAIL, "password": "not it"})
    browser.post("/account/sign-in/", {"username": OPT_OUT_EMAIL, "password": "not it"})
    browser.post("/staff/sign-in/", {"username": CALLER_EMAIL, "password": "not it"})


@pytest.mark.django_db(transaction=True)
def test_the_logs_of_a_full_run_hold_none_of_the_personal_data(captured_logs, settings):
    # Transactional: emails and tasks go out after commit, as with a real worker (eagerly).
    settings.EMAIL_BACKEND = "tests.test_logs_canary.RefusesOnce"
    RefusesOnce.refused = set()
    the_people()
    officer = signed_in(staff_in_role(PRIVACY_OFFICER, "olga"))
    care = signed_in(staff_in_role(CUSTOMER_CARE, "carl"))
    browser = Client()

    know = consumer_asks(browser, "know_specific")
    assert know.status == Status.VERIFIED, know.status
    officer_works(officer, know)
    deliver_emails()
    consumer_opens_the_answer(browser)
    consumer_deletes(browser, officer)
    representative_logs_a_call(care)
    someone_opts_out_and_follows_up(Client())
    for days in (0, 3, 11, 25, 40):
        with time_machine.travel(timezone.now() + timedelta(days=days)):
            sweep_run()
            deliver_emails()

    assert RefusesOnce.refused == {EMAIL}  # the refusal happened, and was logged
    assert captured_logs.records, "nothing was logged: the capture is broken"
    leaks = [
        f"{logger}: {hits}: {text[:300]}"
        for logger, text in captured_logs.texts()
        if (hits := canaries_in(text))
    ]
    assert not leaks, "\n".join(leaks)


def test_sql_is_never_logged_whatever_the_log_level():
    result = run_manage(
        "shell",
        "--no-imports",
        "-c",
        "import logging; print(logging.getLogger('django.db.backends').getEffectiveLevel())",
        LOG_LEVEL="DEBUG",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(logging.WARNING)
