"""The periodic sweep: the one place where timed work happens (DESIGN.md, "Timers").

Beat calls core.tasks.sweep every SWEEP_INTERVAL_SECONDS. The sweep runs each registered step
in turn; a step reads deadline columns from the database, claims its rows atomically and does
its work, so running the sweep twice, or two at once, does nothing twice. A step that fails is
logged and reported in the heartbeat; it never stops the steps after it.

Apps register steps in their `sweeps.py`:

    @sweep_step("acknowledgments")
    def send_due_acknowledgments(*, now): ...
"""

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from datetime import datetime

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import SweepState

logger = logging.getLogger(__name__)

SWEEP_NAME = "sweep"

SweepStep = Callable[..., object]
_steps: dict[str, SweepStep] = {}


def sweep_step(name: str) -> Callable[[SweepStep], SweepStep]:
    """Register a function as a step of the sweep. It is called with keyword argument `now`."""

    def register(func: SweepStep) -> SweepStep:
        if name in _steps and _steps[name] is not func:
            raise ValueError(f"Two sweep steps are named {name!r}")
        _steps[name] = func
        return func

    return register


def registered_steps() -> dict[str, SweepStep]:
    return dict(_steps)


def _isolated():
    """Inside an outer transaction (a test, a caller's atomic block) a step's database error
    would abort that whole transaction on PostgreSQL, and with it every later step and the
    heartbeat: a savepoint per step keeps the failure the step's own. Outside one, nothing: each
    step commits its rows as it claims them, and must not hold one long transaction."""
    if connection.in_atomic_block:
        return transaction.atomic()
    return nullcontext()


def sweep_run(*, now: datetime | None = None) -> list[str]:
    """Run every registered step once and record the heartbeat. Returns the failed steps' names."""
    now = now or timezone.now()
    started = time.monotonic()
    SweepState.objects.update_or_create(name=SWEEP_NAME, defaults={"last_started_at": now})
    failed = []
    for name, step in _steps.items():
        try:
            with _isolated():
                step(now=now)
        except Exception:
            # One failing step must not stop the others (STYLE.md); it shows in the heartbeat.
            logger.exception("Sweep step %s failed", name)
            failed.append(name)
    SweepState.objects.filter(name=SWEEP_NAME).update(
        last_finished_at=timezone.now(),
        last_duration_ms=int((time.monotonic() - started) * 1000),
        last_failed_steps=failed,
        run_count=F("run_count") + 1,
    )
    return failed
