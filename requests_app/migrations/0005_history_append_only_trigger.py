"""On PostgreSQL, a trigger makes the request history append-only for any client, not only
for the application's models: UPDATE is always refused, DELETE unless the retention purge
has said so for its transaction (SET LOCAL portal.history_purge = 'on')."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION requests_app_history_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('portal.history_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'The request history is append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS requests_app_history_append_only ON requests_app_requestevent;
CREATE TRIGGER requests_app_history_append_only
    BEFORE UPDATE OR DELETE ON requests_app_requestevent
    FOR EACH ROW EXECUTE FUNCTION requests_app_history_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS requests_app_history_append_only ON requests_app_requestevent;
DROP FUNCTION IF EXISTS requests_app_history_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0004_staff_workspace_fields")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
