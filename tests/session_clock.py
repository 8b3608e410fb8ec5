"""`pytest --at 2026-11-01T00:30-07:00`: run the whole session as if it were that instant.

The suite must pass whenever it runs (a deadline falls on 31 December, a receipt at 00:30 in
daylight time, a leap day). This option makes any instant reproducible: time-machine travels
there with the clock ticking, from pytest_configure, so before pytest-django creates the test
database, and everything in this process (Django, the ORM's timestamps, Celery's in-process
worker, TOTP codes) sees the same clock. Tests that travel themselves still do; when they stop,
the clock is back at the session's instant.

Not covered: other processes (a subprocess, the PostgreSQL and Redis servers). Nothing of ours
reads the database server's clock; `faketime` runs a whole process tree at an instant instead.
"""

from datetime import datetime

import pytest
import time_machine

EXAMPLE = "2026-11-01T00:30-07:00"
_TRAVEL = pytest.StashKey[time_machine.travel]()
_INSTANT = pytest.StashKey[datetime]()


def pytest_addoption(parser):
    parser.addoption(
        "--at",
        metavar="INSTANT",
        default=None,
        help=(
            "run the whole session as if it were INSTANT, an ISO 8601 time with its UTC "
            f"offset (e.g. {EXAMPLE}); the clock ticks from there"
        ),
    )


def session_instant(value: str) -> datetime:
    """The instant `--at` names; a time without its offset is refused, since the same local
    time happens twice on the night the clocks go back."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(
            f"--at {value!r} is not an ISO 8601 time: write it like {EXAMPLE}"
        ) from None
    if instant.tzinfo is None:
        raise pytest.UsageError(
            f"--at {value!r} has no UTC offset: write it like {EXAMPLE}, since the same local "
            "time happens twice on the night the clocks go back"
        )
    return instant


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    value = config.getoption("--at")
    if not value:
        return
    instant = session_instant(value)
    travel = time_machine.travel(instant, tick=True)
    travel.start()
    config.stash[_TRAVEL] = travel
    config.stash[_INSTANT] = instant


def pytest_unconfigure(config):
    travel = config.stash.get(_TRAVEL, None)
    if travel is not None:
        travel.stop()
        del config.stash[_TRAVEL]


def pytest_report_header(config):
    instant = config.stash.get(_INSTANT, None)
    if instant is None:
        return None
    return f"clock: the session started at {instant.isoformat()} (--at), ticking"
