"""One escalation mechanism for every overdue thing (core/escalation.py): open requests past
their due date, partner notices, marketing preferences and data systems' tasks are all claimed
once, emailed to the officers and ESCALATION_EMAIL, and recorded in their history the same way."""

import ast
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from core import legal_clock
from requests_app.models import DeadlineNotice, RequestEvent, Status
from requests_app.services import deadlines
from tests import factories
from tests.request_helpers import deliver_emails

pytestmark = pytest.mark.django_db

LA = ZoneInfo("America/Los_Angeles")
RECEIVED = datetime(2026, 11, 25, 10, tzinfo=LA)  # due 25 December
OVERDUE = datetime(2026, 12, 27, 9, tzinfo=LA)
PROJECT = Path(__file__).resolve().parent.parent


def overdue_request(email: str = "dana@example.com"):
    return factories.PrivacyRequestFactory.create(
        received_at=RECEIVED,
        acknowledge_by=legal_clock.acknowledge_by(RECEIVED),
        due_at=legal_clock.respond_by(RECEIVED),
        status=Status.VERIFIED,
        requester_email=email,
    )


def officer_with_email(address: str = "officer@example.com"):
    officer = factories.privacy_officer()
    officer.email = address
    officer.save(update_fields=["email"])
    return officer


def escalated(privacy_request) -> bool:
    return privacy_request.events.filter(kind=RequestEvent.Kind.ESCALATED).exists()


def test_with_nobody_to_tell_nothing_is_claimed_and_the_escalation_waits(settings, caplog):
    settings.ESCALATION_EMAIL = ""
    request = overdue_request()

    with time_machine.travel(OVERDUE, tick=False):
        assert deadlines.escalations_send(now=timezone.now()) == 0
        assert "no officer has an email address" in caplog.text
        assert not DeadlineNotice.objects.filter(kind=DeadlineNotice.Kind.OVERDUE).exists()
        assert not escalated(request)

        officer_with_email()
        assert deadlines.escalations_send(now=timezone.now()) == 1

    assert escalated(request)
    (email,) = [m for m in deliver_emails() if m.subject.startswith("OVERDUE")]
    assert email.to == ["officer@example.com"]


def test_one_request_whose_escalation_fails_does_not_stop_the_others(monkeypatch):
    officer_with_email()
    broken, fine = overdue_request("one@example.com"), overdue_request("two@example.com")
    real_context = deadlines.request_context

    def context(privacy_request):
        if privacy_request.pk == broken.pk:
            raise RuntimeError("template missing")
        return real_context(privacy_request)

    monkeypatch.setattr(deadlines, "request_context", context)
    with time_machine.travel(OVERDUE, tick=False):
        assert deadlines.escalations_send(now=timezone.now()) == 1
    # The failed one was rolled back whole, claim included: the next sweep escalates it.
    assert escalated(fine) and not escalated(broken)
    assert not DeadlineNotice.objects.filter(request=broken).exists()

    monkeypatch.setattr(deadlines, "request_context", real_context)
    with time_machine.travel(OVERDUE + timedelta(hours=1), tick=False):
        assert deadlines.escalations_send(now=timezone.now()) == 1
        assert deadlines.escalations_send(now=timezone.now()) == 0
    assert escalated(broken)
    assert RequestEvent.objects.filter(kind=RequestEvent.Kind.ESCALATED).count() == 2


def test_no_module_but_core_escalation_escalates_to_the_officers_by_itself():
    """The officers' escalation addresses are read in one place: whoever escalates calls
    core.escalation.overdue_escalate."""
    readers = []
    for path in PROJECT.rglob("*.py"):
        relative = path.relative_to(PROJECT)
        if relative.parts[0] in {".venv", "var", "tests"}:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Name | ast.alias | ast.Attribute):
                name = getattr(node, "id", None) or getattr(node, "name", None) or node.attr
                if name == "escalation_addresses":
                    readers.append(str(relative))
    assert sorted(set(readers)) == ["core/escalation.py"]  # core/staff.py defines it
