"""The suppression list is the registry's now (registry 0003 took the model): fulfilment forgets
it. Only the state changes: the table and its rows stay where they are."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("fulfilment", "0003_task_lease"),
        ("registry", "0003_suppression_moved_from_fulfilment"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Suppression")],
            database_operations=[],
        ),
    ]
