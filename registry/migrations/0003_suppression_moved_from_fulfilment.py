"""The suppression list (deleted people, as keyed hashes) becomes the registry's: the registry
refuses to re-import them, and it sits below fulfilment. Only Django's idea of the model moves;
the table keeps its name (fulfilment_suppression) and every row. fulfilment 0004 forgets it."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_seed_data_systems"),
        ("fulfilment", "0003_task_lease"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Suppression",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("email_hmac", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("phone_hmac", models.CharField(blank=True, db_index=True, max_length=64)),
                        ("created_at", models.DateTimeField()),
                    ],
                    options={"db_table": "fulfilment_suppression"},
                ),
            ],
            database_operations=[],
        ),
    ]
