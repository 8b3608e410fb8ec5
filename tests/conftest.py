"""Shared fixtures, and the rule for tests that need real services.

Tests marked `services` need PostgreSQL, Redis and a Celery worker. Without DATABASE_URL
pointing at PostgreSQL and REDIS_URL set, they are skipped with the reason shown by `-ra`.
CI sets REQUIRE_SERVICES=1, which turns that skip into an error: CI never passes by skipping.
The same holds for `browser` tests and Debian's Chromium with REQUIRE_BROWSER=1.
"""

import os
from pathlib import Path

import pytest

# `--at INSTANT` runs the whole session at that instant (tests/session_clock.py).
pytest_plugins = ["tests.session_clock"]

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


def pytest_configure(config):
    from django.conf import settings

    # Real hashers are slow on purpose; tests create and check many passwords.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _sqlite_flush_permitted_to_empty_the_history()


def _sqlite_flush_permitted_to_empty_the_history():
    """Transactional tests end with `flush`. On PostgreSQL it truncates, which no row trigger
    sees; on SQLite it deletes row by row, which the history's append-only trigger refuses.
    Emptying the test database is a purge, so the test flush takes the purge's permit (inside
    the flush's single transaction, so no one else ever sees it)."""
    # The backend's module first: importing its operations module alone is a circular import.
    from django.db.backends.sqlite3 import base  # noqa: F401
    from django.db.backends.sqlite3.operations import DatabaseOperations

    from requests_app.history_purge import SQLITE_PURGE_PERMIT_TABLE

    flush_sql = DatabaseOperations.sql_flush

    def sql_flush_with_permit(self, style, tables, **kwargs):
        statements = flush_sql(self, style, tables, **kwargs)
        if not statements:
            return statements
        return [
            f"INSERT INTO {SQLITE_PURGE_PERMIT_TABLE} (granted) VALUES (1);",  # noqa: S608
            *statements,
            f"DELETE FROM {SQLITE_PURGE_PERMIT_TABLE};",  # noqa: S608
        ]

    DatabaseOperations.sql_flush = sql_flush_with_permit  # type: ignore[method-assign]


def _transactional_tests_restore_the_database(items) -> None:
    """Every transactional test restores the migrated database (serialized_rollback). A plain one
    ends with a flush that empties the migrations' rows (the roles, the inventory, the data
    systems) and makes the content types again under new ids: any serialized test after it then
    fails to restore its copy of them, and any plain one finds no role to sign in with."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        plain = marker and "serialized_rollback" not in marker.kwargs
        if plain and marker.kwargs.get("transaction"):
            item.add_marker(
                pytest.mark.django_db(*marker.args, **marker.kwargs, serialized_rollback=True),
                append=False,
            )


def pytest_collection_modifyitems(config, items):
    _transactional_tests_restore_the_database(items)
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


SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-results" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in the test thread, and Django refuses ORM calls
    # from a thread with a running loop. Only the browser tests need this; set it just for them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    seeded = _serialized_database_copies()
    with sync_playwright() as playwright:
        _serialized_database_copies_restore(seeded)
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def _serialized_database_copies() -> dict:
    from django.db import connections

    return {
        alias: getattr(connections[alias], "_test_serialized_contents", None)
        for alias in connections
    }


def _serialized_database_copies_restore(copies: dict) -> None:
    """Starting Playwright leaves this thread in another contextvars context, where Django's
    connections (an asgiref Local) are new objects without the copy of the migrated database
    that serialized_rollback restores: every such test after the first browser test ran on an
    emptied database (no staff groups, no inventory). Hand the copies to the new objects."""
    from django.db import connections

    for alias, contents in copies.items():
        if contents is not None and not hasattr(connections[alias], "_test_serialized_contents"):
            setattr(connections[alias], "_test_serialized_contents", contents)  # noqa: B010


@pytest.fixture
def page(chromium):
    """A fresh browser tab; `page.screenshot_as(name)` saves test-results/screenshots/NAME.png."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()

    def screenshot_as(name, **kwargs):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True, **kwargs)

    tab.screenshot_as = screenshot_as
    yield tab
    context.close()


@pytest.fixture(autouse=True)
def _tasks_run_in_process(request):
    """Unit tests run Celery tasks in the test process, never through var/broker. Tests marked
    `services` use the real broker and a real worker instead."""
    from privacy_portal.celery import app

    if "services" in request.keywords:
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def email_templates(settings):
    """Adds tests/templates, which holds an example email, to the template folders."""
    templates = [dict(engine) for engine in settings.TEMPLATES]
    templates[0]["DIRS"] = [*templates[0]["DIRS"], Path(__file__).parent / "templates"]
    settings.TEMPLATES = templates


@pytest.fixture
def broker_unreachable():
    """The broker is down: nothing listens where the app sends its tasks."""
    from django.conf import settings

    from privacy_portal.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url, app.conf.broker_transport_options)
    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # type: ignore[misc]  # port 1: refused at once
    app.conf.broker_transport_options = settings.REDIS_BROKER_TRANSPORT_OPTIONS
    _forget_broker_connections(app)
    yield
    (
        app.conf.task_always_eager,
        app.conf.broker_url,  # type: ignore[misc]
        app.conf.broker_transport_options,
    ) = saved
    _forget_broker_connections(app)


def _forget_broker_connections(app):
    # Celery caches its connection and producer pools on first use; drop them so the next
    # publish connects to whatever broker_url says now.
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def officer_client(client):
    """A browser signed in as a privacy officer who has entered their second factor."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests import factories

    officer = factories.privacy_officer()
    client.force_login(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=officer).persistent_id
    session.save()
    client.officer = officer
    return client
