from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """Opt-out of sale, preferences, and the inventory of what personal information is collected,
    why, and who it is sold or disclosed to (the privacy notice, section I)."""

    name = "consent"
    verbose_name = "Consent and data inventory"

    def ready(self):
        from . import signals  # noqa: F401  (connects the registry's save and delete signals)
