"""The request's lifecycle (requests_app/services/lifecycle.py): the table of moves, the one
function that makes them, and a scan of the project that fails on a status written anywhere
else, or on a module reaching into another's private functions."""

import ast
import re
import textwrap
import threading
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from core.models import OutboundEmail
from requests_app.models import (
    OPEN_STATUSES,
    DenialReason,
    Outcome,
    PrivacyRequest,
    RequestEvent,
    Status,
    VerificationMethod,
    VerificationTier,
)
from requests_app.services import lifecycle
from requests_app.services.lifecycle import TRANSITIONS, WrongState
from staff.views.request_page import ACTIONS
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
LIFECYCLE = ROOT / "requests_app" / "services" / "lifecycle.py"

# --- The scan ------------------------------------------------------------------------------------

WRITING_METHODS = {"update", "create", "get_or_create", "update_or_create", "bulk_create"}
RAW_STATUS_UPDATE = re.compile(r"\bupdate\b.*privacyrequest.*\bset\b.*\bstatus\b", re.I | re.S)


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _mentions_status(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Constant) and n.value == "status" for n in ast.walk(node))


class StatusWrites(ast.NodeVisitor):
    """Every way Python can write a PrivacyRequest's status: an assignment to `.status`;
    status= (or a "status" default) in create/update and their kin, or in the model's
    constructor; "status" in update_fields, bulk_update or setattr; `**fields` passed to a
    PrivacyRequest write, which could hold it; and raw SQL that sets it."""

    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []
        self.classes: list[str] = []

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def _assigned(self, target: ast.AST, line: int) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._assigned(element, line)
        elif isinstance(target, ast.Attribute) and target.attr == "status":
            own = isinstance(target.value, ast.Name) and target.value.id == "self"
            if own and self.classes and self.classes[-1] != "PrivacyRequest":
                return  # another class's own attribute (an exception's HTTP status)
            self.found.append((line, "assigns .status"))

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._assigned(target, node.lineno)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._assigned(node.target, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        spread = any(k.arg is None for k in node.keywords)
        writes_rows = name in WRITING_METHODS or name == "PrivacyRequest"
        if writes_rows and "status" in keywords:
            self.found.append((node.lineno, f"status= in {name}()"))
        for key in ("defaults", "create_defaults"):
            if writes_rows and key in keywords and _mentions_status(keywords[key]):
                self.found.append((node.lineno, f'"status" in {name}({key}=...)'))
        if writes_rows and spread and "PrivacyRequest" in _names(func):
            self.found.append((node.lineno, f"**fields in PrivacyRequest {name}()"))
        if "update_fields" in keywords and _mentions_status(keywords["update_fields"]):
            self.found.append((node.lineno, '"status" in update_fields'))
        if name == "bulk_update" and any(_mentions_status(a) for a in node.args[1:]):
            self.found.append((node.lineno, '"status" in bulk_update()'))
        if name == "bulk_update" and "fields" in keywords and _mentions_status(keywords["fields"]):
            self.found.append((node.lineno, '"status" in bulk_update()'))
        if name == "setattr" and len(node.args) >= 2 and _mentions_status(node.args[1]):
            self.found.append((node.lineno, 'setattr(..., "status", ...)'))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and RAW_STATUS_UPDATE.search(node.value):
            self.found.append((node.lineno, "SQL that sets the status"))


def status_writes(source: str) -> list[tuple[int, str]]:
    visitor = StatusWrites()
    visitor.visit(ast.parse(source))
    return visitor.found


def project_modules() -> list[Path]:
    """Every module of the project's packages (pyproject's root_packages, which a test keeps
    equal to the installed apps), and manage.py; not migrations, not tests."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    modules = [ROOT / "manage.py"]
    for package in config["root_packages"]:
        modules += [
            path
            for path in sorted((ROOT / package).rglob("*.py"))
            if "migrations" not in path.relative_to(ROOT).parts
        ]
    return modules


def test_no_module_but_the_lifecycle_writes_a_requests_status():
    modules = project_modules()
    assert LIFECYCLE in modules and len(modules) > 100  # the scan sees the whole project

    writes = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in modules
        if path != LIFECYCLE
        for line, what in status_writes(path.read_text())
    ]

    assert writes == [], "Move the status through services/lifecycle.py instead:\n" + "\n".join(
        writes
    )


@pytest.mark.parametrize(
    "code",
    [
        "locked.status = Status.APPROVED",
        "request.status, other = 'denied', 1",
        "PrivacyRequest.objects.filter(pk=pk).update(status=Status.DENIED, closed_at=now)",
        "PrivacyRequest.objects.create(reference=r, status=Status.VERIFYING)",
        "PrivacyRequest(reference=r, status=Status.VERIFYING)",
        "PrivacyRequest.objects.update_or_create(pk=1, defaults={'status': 'denied'})",
        "PrivacyRequest.objects.create(**fields)",
        "locked.save(update_fields=['email_confirmed_at', 'status', 'updated_at'])",
        "PrivacyRequest.objects.bulk_update(rows, ['status'])",
        "setattr(locked, 'status', Status.VERIFIED)",
        "cursor.execute('UPDATE requests_app_privacyrequest SET status = %s', ['denied'])",
        """
        class PrivacyRequest(models.Model):
            def close(self):
                self.status = "closed"
        """,
    ],
)
def test_the_scan_finds_each_way_of_writing_the_status(code):
    assert status_writes(textwrap.dedent(code))


@pytest.mark.parametrize(
    "code",
    [
        "if request.status == Status.VERIFIED: pass",
        "PrivacyRequest.objects.filter(status=Status.EMAIL_UNCONFIRMED).update(closed_at=now)",
        "render(http_request, 'requests/not_found.html', status=404)",
        "locked.save(update_fields=['consumer', 'updated_at'])",
        """
        class LinkProblem(Exception):
            def __init__(self, message, status):
                self.status = status
        """,
    ],
)
def test_the_scan_leaves_reads_and_other_statuses_alone(code):
    assert status_writes(textwrap.dedent(code)) == []


# --- No module reaches into another's private names --------------------------------------------


# Underscored by Django, yet its documented API (the Model _meta API).
DJANGO_PUBLIC = {"_meta"}


def private_imports(source: str, packages: set[str]) -> list[tuple[int, str]]:
    """`from x import _name`, and `x._name` on a project module imported as x."""
    tree = ast.parse(source)
    found = []
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            ours = node.level > 0 or (node.module or "").split(".")[0] in packages
            for alias in node.names:
                if ours and alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append((node.lineno, f"imports {alias.name}"))
                if ours:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in packages:
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and node.attr not in DJANGO_PUBLIC
        ):
            found.append((node.lineno, f"uses {node.value.id}.{node.attr}"))
    return found


def test_no_module_uses_another_modules_private_names():
    """staff_actions once imported verification's _deny, _mark_verified and
    _downgrade_to_categories, intake its _record_checks and submission's _send_receipt: what
    two modules share is public, named as such."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    packages = set(config["root_packages"])

    found = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path in project_modules()
        for line, what in private_imports(path.read_text(), packages)
    ]

    assert found == []


def test_the_private_names_scan_sees_both_forms():
    packages = {"requests_app"}
    source = textwrap.dedent(
        """
        from .verification import TWO_TIER, _mark_verified
        from requests_app.services import submission
        submission._send_receipt(request)
        import os
        os._exit(0)
        from .models import SystemTask
        SystemTask._meta.get_field("state")
        """
    )

    assert [what for _, what in private_imports(source, packages)] == [
        "imports _mark_verified",
        "uses submission._send_receipt",
    ]


# --- The table ---------------------------------------------------------------------------------


def test_the_table_reaches_every_status_and_every_open_one_has_a_way_out():
    reached = {t.target for t in TRANSITIONS}
    assert reached == set(Status.values)
    for status in OPEN_STATUSES:
        assert lifecycle.transitions_from(status), status
    for final in set(Status.values) - set(OPEN_STATUSES):
        assert lifecycle.transitions_from(final) == [], f"{final} is final"
    assert len({t.name for t in TRANSITIONS}) == len(TRANSITIONS)


def test_every_move_writes_fields_of_the_request_and_events_it_has():
    fields = {f.name for f in PrivacyRequest._meta.get_fields()}
    permissions = {codename for codename, _ in PrivacyRequest._meta.permissions}
    for transition in TRANSITIONS:
        assert set(transition.writes) <= fields, transition.name
        assert "status" not in transition.writes
        assert transition.event in RequestEvent.Kind.values
        assert transition.permission in permissions | {""}, transition.name


@pytest.mark.parametrize(
    ("action", "move"),
    [
        ("verify", lifecycle.VERIFY_BY_STAFF),
        ("approve", lifecycle.APPROVE),
        ("start", lifecycle.START_WORK),
        ("close", lifecycle.CLOSE),
        ("deny", lifecycle.DENY),
    ],
)
def test_the_staff_page_asks_the_permission_the_table_names(action, move):
    assert ACTIONS[action].permission == move.permission


# --- Performing a move -------------------------------------------------------------------------


def a_request(**fields) -> PrivacyRequest:
    return factories.PrivacyRequestFactory.create(received_at=NOW - timedelta(days=1), **fields)


NOW = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
SAMPLE_WRITES = {
    "email_confirmed_at": NOW,
    "verified_at": NOW,
    "verification_method": VerificationMethod.DATA_POINTS,
    "verification_tier": VerificationTier.TWO,
    "counts_toward_cap": False,
    "delete_confirmed_at": NOW,
    "outcome": Outcome.DENIED,
    "denial_reason": DenialReason.NOT_VERIFIED,
    "denial_exception": "",
    "denial_explanation": "We could not verify your identity.",
    "responded_at": NOW,
    "closed_at": NOW,
    "withdrawn_at": NOW,
}
# What each email's template reads besides the request.
SAMPLE_CONTEXTS: dict[str, dict[str, Any]] = {
    "denied": {"explanation": "We could not verify your identity.", "offer_opt_out": False},
    "answered": {"summary": "Your answer is ready."},
    "agent_confirm": {"link": "http://testserver/requests/agent-confirm/x/", "days": 7},
    "closed_unconfirmed": {"days": 7},
}
MOVES = [t for t in TRANSITIONS if not t.is_initial]


@pytest.mark.django_db
@pytest.mark.parametrize("move", MOVES, ids=[t.name for t in MOVES])
def test_each_move_writes_its_status_fields_history_and_email(move):
    consumer = factories.consumer(email="dana@example.com")
    request = a_request(
        status=move.sources[0], consumer=consumer, requester_email="alex@example.com"
    )
    writes = {field: SAMPLE_WRITES[field] for field in move.writes}
    context = SAMPLE_CONTEXTS.get(move.message.template, {}) if move.message else {}

    written = lifecycle.transition_perform(
        request, move, writes=writes, detail="why", message_context=context, at=NOW
    )

    request.refresh_from_db()
    assert (written.status, request.status) == (move.target, move.target)
    assert {field: getattr(request, field) for field in writes} == writes
    event = request.events.get(kind=move.event)
    assert (event.detail, event.at) == ("why", NOW)
    emails = OutboundEmail.objects.filter(kind__startswith="request.")
    if move.message is None:
        assert not emails.exists()
    else:
        (email,) = emails
        assert email.kind == f"request.{move.message.template}"
        to_consumer = move.message.to == "consumer"
        assert email.to == ("dana@example.com" if to_consumer else "alex@example.com")


@pytest.mark.django_db
def test_a_move_from_another_status_is_refused_in_words_and_writes_nothing():
    request = a_request(status=Status.VERIFYING)

    with pytest.raises(WrongState, match="Cannot approve it: the request is waiting for proof"):
        lifecycle.transition_perform(request, lifecycle.APPROVE, at=NOW)

    request.refresh_from_db()
    assert request.status == Status.VERIFYING
    assert not request.events.exists()


@pytest.mark.django_db
def test_the_status_is_checked_as_stored_not_as_the_caller_last_read_it():
    request = a_request(status=Status.VERIFIED)
    stale = PrivacyRequest.objects.get(pk=request.pk)
    lifecycle.transition_perform(request, lifecycle.WITHDRAW, writes={"withdrawn_at": NOW}, at=NOW)

    with pytest.raises(WrongState, match="Cannot approve it: the request is withdrawn"):
        lifecycle.transition_perform(stale, lifecycle.APPROVE, at=NOW)

    request.refresh_from_db()
    assert request.status == Status.WITHDRAWN
    assert not request.events.filter(kind=RequestEvent.Kind.APPROVED).exists()


@pytest.mark.django_db
def test_a_move_writes_only_the_fields_the_table_declares():
    request = a_request(status=Status.VERIFIED)

    with pytest.raises(ValueError, match="approve does not write outcome"):
        lifecycle.transition_perform(
            request, lifecycle.APPROVE, writes={"outcome": Outcome.DENIED}, at=NOW
        )

    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.VERIFIED, "")


@pytest.mark.django_db
def test_a_move_whose_email_fails_leaves_no_trace():
    """Status, history and email are one transaction: the email's failure undoes the rest."""
    request = a_request(status=Status.IN_PROGRESS)

    def broken_context(_):
        raise RuntimeError("the template's context could not be built")

    with pytest.raises(RuntimeError):
        lifecycle.transition_perform(
            request,
            lifecycle.CLOSE,
            writes={"outcome": Outcome.COMPLIED_WHOLE, "responded_at": NOW, "closed_at": NOW},
            message_context=broken_context,
            at=NOW,
        )

    request.refresh_from_db()
    assert (request.status, request.outcome) == (Status.IN_PROGRESS, "")
    assert not request.events.exists()
    assert not OutboundEmail.objects.exists()


def _approve_in_thread(request_pk, barrier, outcomes):
    try:
        request = PrivacyRequest.objects.get(pk=request_pk)
        barrier.wait(timeout=30)
        lifecycle.transition_perform(request, lifecycle.APPROVE, at=timezone.now())
        outcomes.append("approved")
    except WrongState:
        outcomes.append("refused")
    except Exception as exc:  # a failure must show in the assertion, not vanish in a thread
        outcomes.append(repr(exc))
    finally:
        connection.close()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_moves_of_one_request_make_it_once():
    """Each reads the status under the row's lock: the second waits, then finds it moved."""
    request = a_request(status=Status.VERIFIED)
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    threads = [
        threading.Thread(target=_approve_in_thread, args=(request.pk, barrier, outcomes))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["approved"] + ["refused"] * 7
    assert request.events.filter(kind=RequestEvent.Kind.APPROVED).count() == 1
