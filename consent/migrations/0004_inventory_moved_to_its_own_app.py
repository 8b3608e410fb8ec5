"""The data inventory is the inventory app's now (inventory 0001): consent forgets its models.
Only the state changes; the tables and their rows stay, under the same names."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0003_opt_out_and_preferences"),
        ("inventory", "0001_initial"),
        # No model still points at consent's copies once the records point at inventory's.
        ("registry", "0004_records_point_at_the_inventory_app"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="Sharing"),
                migrations.DeleteModel(name="Category"),
                migrations.DeleteModel(name="ThirdPartyCategory"),
                migrations.DeleteModel(name="BusinessPurpose"),
                migrations.DeleteModel(name="Source"),
            ],
        ),
    ]
