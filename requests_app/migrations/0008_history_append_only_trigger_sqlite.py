"""On SQLite too, triggers make the request history append-only for any client (raw SQL, the
base manager, a cascade delete), as 0005 does on PostgreSQL.

SQLite has no session variable like PostgreSQL's `SET LOCAL`, so the retention purge's
permission is a row in `requests_app_history_purge_permit` that the purge inserts and removes
inside its own transaction (requests_app.history_purge.history_purge_permitted): SQLite has
one writer at a time and readers see only committed rows, so no other connection ever sees it.
The table has no model, which also keeps it out of `manage.py flush`.

SQLite drops a table's triggers with the table: a later migration that makes Django rebuild
`requests_app_requestevent` on SQLite (most column changes do) must create them again.
tests/test_history.py fails if they are missing.
"""

from django.db import migrations

CREATE = [
    "CREATE TABLE IF NOT EXISTS requests_app_history_purge_permit (granted INTEGER NOT NULL)",
    """
    CREATE TRIGGER IF NOT EXISTS requests_app_history_no_update
    BEFORE UPDATE ON requests_app_requestevent
    BEGIN
        SELECT RAISE(ABORT, 'The request history is append-only (UPDATE refused)');
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS requests_app_history_no_delete
    BEFORE DELETE ON requests_app_requestevent
    WHEN NOT EXISTS (SELECT 1 FROM requests_app_history_purge_permit)
    BEGIN
        SELECT RAISE(ABORT, 'The request history is append-only (DELETE refused)');
    END
    """,
]

DROP = [
    "DROP TRIGGER IF EXISTS requests_app_history_no_delete",
    "DROP TRIGGER IF EXISTS requests_app_history_no_update",
    "DROP TABLE IF EXISTS requests_app_history_purge_permit",
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in CREATE:
            schema_editor.execute(statement, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in DROP:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0007_delivery_method")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
