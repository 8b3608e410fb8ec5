"""A personal record's category and source are the inventory app's models now (inventory 0001
took them over from consent). Only the state changes: the columns, their foreign key
constraints and the tables they point at are the same."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0003_suppression_moved_from_fulfilment"),
        ("inventory", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="personalrecord",
                    name="category",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="records",
                        to="inventory.category",
                    ),
                ),
                migrations.AlterField(
                    model_name="personalrecord",
                    name="source",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="records",
                        to="inventory.source",
                    ),
                ),
            ],
        ),
    ]
