"""`pytest --at INSTANT` runs a whole session at that instant (tests/session_clock.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.session_clock import session_instant

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from core import legal_clock

INSTANT = datetime.fromisoformat("2028-02-29T23:30-08:00")


@pytest.mark.django_db
def test_the_session_runs_at_the_instant_given():
    assert INSTANT <= timezone.now() < INSTANT + timedelta(minutes=5)  # ticking from there
    assert legal_clock.today() == date(2028, 2, 29)
    # The test database was created after the journey began: its migrations are dated then.
    first = MigrationRecorder.Migration.objects.earliest("applied")
    assert INSTANT <= first.applied < INSTANT + timedelta(minutes=5)
    # A test's own travel still works, and the session's instant comes back after it.
    with time_machine.travel(datetime(2030, 1, 1, tzinfo=UTC), tick=False):
        assert timezone.now() == datetime(2030, 1, 1, tzinfo=UTC)
    assert INSTANT <= timezone.now() < INSTANT + timedelta(minutes=5)
"""


def test_a_session_started_with_at_runs_at_that_instant_from_before_the_database_exists(
    tmp_path,
):
    (tmp_path / "test_probe.py").write_text(PROBE)
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nDJANGO_SETTINGS_MODULE = privacy_portal.settings\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_ADDOPTS"}}
    env["PYTHONPATH"] = str(ROOT)  # SQLite in memory: the outer session keeps its database

    run = subprocess.run(  # noqa: S603  (our own interpreter and arguments)
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.session_clock",
            "-p",
            "no:cacheprovider",
            "--at",
            "2028-02-29T23:30-08:00",
            str(tmp_path / "test_probe.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "clock: the session started at 2028-02-29T23:30:00-08:00 (--at), ticking" in run.stdout
    assert "1 passed" in run.stdout


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-11-01T01:30", "has no UTC offset"),
        ("1 November", "is not an ISO 8601 time"),
    ],
)
def test_at_refuses_an_instant_without_its_offset_or_not_in_iso_8601(value, message):
    with pytest.raises(pytest.UsageError, match=message):
        session_instant(value)
