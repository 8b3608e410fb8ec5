"""The check `extension_within_ninety_days` compared UTC instants with `received_at + 91 days`
while the service counts local days: for a request received between midnight and 1 a.m. during
daylight time whose 90th day falls in standard time, the service allowed an instant the database
refused (a 500). It now compares with the stored limit the service reads too."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0009_extension_limit_stored")]

    operations = [
        migrations.AlterField(
            model_name="privacyrequest",
            name="extension_limit_at",
            field=models.DateTimeField(),
        ),
        migrations.RemoveConstraint(
            model_name="privacyrequest",
            name="extension_within_ninety_days",
        ),
        migrations.AddConstraint(
            model_name="privacyrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("extended_due_at__isnull", True),
                    ("extended_due_at__lte", models.F("extension_limit_at")),
                    _connector="OR",
                ),
                name="extension_within_ninety_days",
            ),
        ),
    ]
