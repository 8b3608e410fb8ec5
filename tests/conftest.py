"""Shared fixtures, and the rule for tests that need real services.

Tests marked `services` need PostgreSQL, Redis and a Celery worker. Without DATABASE_URL
pointing at PostgreSQL and REDIS_URL set, they are skipped with the reason shown by `-ra`.
CI sets REQUIRE_SERVICES=1, which turns that skip into an error: CI never passes by skipping.
The same holds for `browser` tests and Debian's Chromium with REQUIRE_BROWSER=1.
"""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


def services_available() -> tuple[bool, str]:
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return False, "needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    if not os.environ.get("REDIS_URL"):
        return False, "needs Redis: set REDIS_URL=redis://... (CI does)"
    return True, ""


def browser_available() -> tuple[bool, str]:
    if not CHROMIUM.exists():
        return False, "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    return True, ""


def pytest_collection_modifyitems(config, items):
    rules = [
        ("services", services_available, "REQUIRE_SERVICES"),
        ("browser", browser_available, "REQUIRE_BROWSER"),
    ]
    for marker, available, required_by in rules:
        ok, reason = available()
        if ok:
            continue
        marked = [item for item in items if marker in item.keywords]
        if marked and os.environ.get(required_by):
            raise pytest.UsageError(f"{required_by} is set but {len(marked)} tests {reason}")
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _private_files_in_tmp(settings, tmp_path):
    """Files a test writes (exports, uploads) go to a folder of its own, never var/."""
    settings.PRIVATE_FILES_ROOT = tmp_path / "private"
