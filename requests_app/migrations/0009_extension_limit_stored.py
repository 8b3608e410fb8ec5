"""Store each request's latest extended due instant (the end of the 90th day after receipt in
the business's time zone), computed by core.legal_clock, so the database's check reads the same
instant the service allows. 0010 makes it required and checks extensions against it.

Two migrations, not one: on PostgreSQL, altering a table in the transaction that has just
updated its rows can fail with "pending trigger events".
"""

from django.db import migrations, models

BATCH = 500


def store_extension_limits(apps, schema_editor):
    from core.legal_clock import latest_extended_response

    PrivacyRequest = apps.get_model("requests_app", "PrivacyRequest")
    batch = []
    for privacy_request in PrivacyRequest.objects.only("pk", "received_at").iterator(BATCH):
        privacy_request.extension_limit_at = latest_extended_response(privacy_request.received_at)
        batch.append(privacy_request)
        if len(batch) == BATCH:
            PrivacyRequest.objects.bulk_update(batch, ["extension_limit_at"])
            batch = []
    PrivacyRequest.objects.bulk_update(batch, ["extension_limit_at"])


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0008_history_append_only_trigger_sqlite")]

    operations = [
        migrations.AddField(
            model_name="privacyrequest",
            name="extension_limit_at",
            field=models.DateTimeField(null=True),
        ),
        migrations.RunPython(store_extension_limits, migrations.RunPython.noop),
    ]
