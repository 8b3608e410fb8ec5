"""docs/architecture.md cannot drift: its lifecycle diagram and table are what the lifecycle's
table draws (`manage.py lifecycle_diagram`), and every file and function it names exists."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from requests_app.management.commands.lifecycle_diagram import DOC, doc_blocks, doc_refreshed
from requests_app.services import lifecycle

ROOT = Path(__file__).resolve().parent.parent
GENERATED = re.compile(r"<!-- (lifecycle-[a-z]+): generated .*?<!-- /\1 -->", re.S)


def test_the_documents_lifecycle_is_the_one_the_table_draws():
    text = DOC.read_text()

    assert doc_refreshed(text) == text, (
        "docs/architecture.md differs from the lifecycle's table: run "
        "`python manage.py lifecycle_diagram --write-doc`"
    )
    for block in doc_blocks().values():
        assert block in text


def test_a_move_added_to_the_table_is_missing_from_the_document(monkeypatch):
    """What the test above guards against: the table changes, the document does not."""
    reopen = lifecycle.Transition(
        name="reopen",
        sources=(lifecycle.Status.DENIED,),
        target=lifecycle.Status.VERIFYING,
        who="nobody: a move the document has never heard of",
        event=lifecycle.RequestEvent.Kind.NOTE,
        action="reopen it",
    )
    monkeypatch.setattr(lifecycle, "TRANSITIONS", (*lifecycle.TRANSITIONS, reopen))

    text = DOC.read_text()

    assert doc_refreshed(text) != text
    assert "denied --> verifying: reopen" in doc_refreshed(text)


def test_the_command_prints_the_diagram_and_the_table():
    diagram, table = StringIO(), StringIO()

    call_command("lifecycle_diagram", stdout=diagram)
    call_command("lifecycle_diagram", "--table", stdout=table)

    assert diagram.getvalue().startswith("stateDiagram-v2\n")
    assert "    verified --> approved: approve\n" in diagram.getvalue()
    assert "| `approve` | `verified` | `approved` | a privacy officer; permission " in (
        table.getvalue()
    )


def _prose() -> str:
    return GENERATED.sub("", DOC.read_text())


def _found(path: str) -> bool:
    """A path as the document writes it: from the repository or within an app, or a module
    named after the package it belongs to (`email_proof.py` after `services/verification/`)."""
    if "/" not in path:
        return any(ROOT.glob(f"[!.]*/**/{path}"))
    bases = [ROOT, ROOT / "requests_app", ROOT / "fulfilment"]
    return any((base / path.rstrip("/")).exists() for base in bases)


def test_every_file_the_document_names_exists():
    paths = {name for name in re.findall(r"`([\w./-]+)`", _prose()) if "/" in name or ".py" in name}
    assert len(paths) > 30
    assert sorted(p for p in paths if not _found(p)) == []


def _defined_names() -> set[str]:
    """Definitions in the project's code, the lifecycle's moves, management commands and the
    apps."""
    names = {t.name for t in lifecycle.TRANSITIONS}
    names |= {p.stem for p in ROOT.glob("*/management/commands/*.py")}
    names |= {p.parent.name for p in ROOT.glob("*/__init__.py")}
    pattern = re.compile(r"^\s*(?:def|class)\s+(\w+)|^\s*(\w+)\s*[:=]", re.M)
    for path in ROOT.glob("*/**/*.py"):
        if ".venv" in path.parts:
            continue
        for match in pattern.finditer(path.read_text()):
            names.add(match.group(1) or match.group(2))
    return names


@pytest.mark.parametrize("qualified", [False, True])
def test_every_function_the_document_names_exists(qualified):
    """`request_verified_mark`, `fulfilment.services.task_confirm`, `_tier_reached`: each is
    a definition (a def, a class or a name) somewhere in the project."""
    code = re.findall(r"`([A-Za-z_][\w.]*)(?:\(\))?`", _prose())
    code = [c for c in code if not re.search(r"\.(py|md|toml)$", c)]
    names = {c.rsplit(".", 1)[-1] for c in code if ("." in c) == qualified and "_" in c}
    names -= {"update_fields", "lint-imports"}  # Django's save argument; a command

    assert names
    assert sorted(names - _defined_names()) == []
