from django.apps import AppConfig


class RegistryConfig(AppConfig):
    """The consumer registry: who the shop knows, what personal records it holds about them,
    and in which data system each record lives. The shop's systems feed it (import_consumers)."""

    name = "registry"
    verbose_name = "Consumer registry"
