from django.apps import AppConfig


class InventoryConfig(AppConfig):
    """The inventory of what personal information is collected, where from, why, and who it is
    sold or disclosed to (the privacy notice, section I): reference data every other app reads,
    published at /what-we-collect/."""

    name = "inventory"
    verbose_name = "Data inventory"
