from django.apps import AppConfig


class ConsentConfig(AppConfig):
    """Opt-out of sale, its partners and re-authorization, and marketing preferences. The
    inventory of what personal information is collected (the notice, section I) is inventory's."""

    name = "consent"
    verbose_name = "Consent"

    def ready(self):
        from . import signals  # noqa: F401  (connects the registry's save and delete signals)
