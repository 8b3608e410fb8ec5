"""The one permission to delete history rows: the retention purge's (requests_app.models,
AppendOnlyQuerySet.purge_older_than). It reads no model, so the models can use it."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

# Migration 0008: on SQLite the history's DELETE trigger lets a row go only while this table
# holds a row, which only the purge's own transaction ever sees.
SQLITE_PURGE_PERMIT_TABLE = "requests_app_history_purge_permit"


@contextmanager
def history_purge_permitted() -> Iterator[None]:
    """A transaction in which the database lets history rows be deleted: the 24-month
    retention purge's (11 CCR 7101), and nothing else. On PostgreSQL the trigger of migration
    0005 reads `portal.history_purge`; on SQLite the trigger of migration 0008 reads the permit
    table. Either is withdrawn when the block ends, not only when the outermost transaction
    does: a purge run inside a larger transaction (a sweep's, a test's) must not leave the
    rest of it free to delete history. If the block fails, its savepoint's rollback withdraws
    the permission with the deletions."""
    with transaction.atomic():
        _purge_permission_set(granted=True)
        yield
        _purge_permission_set(granted=False)


def _purge_permission_set(*, granted: bool) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL portal.history_purge = %s", ["on" if granted else "off"])
        elif connection.vendor == "sqlite" and granted:
            cursor.execute(f"INSERT INTO {SQLITE_PURGE_PERMIT_TABLE} (granted) VALUES (1)")  # noqa: S608 - a constant
        elif connection.vendor == "sqlite":
            cursor.execute(f"DELETE FROM {SQLITE_PURGE_PERMIT_TABLE}")  # noqa: S608 - a constant
