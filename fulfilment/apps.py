from django.apps import AppConfig


class FulfilmentConfig(AppConfig):
    """Carrying out a verified request: gathering the consumer's data from every data system,
    the reports to know, deletion with its exceptions and suppression, and safe delivery."""

    name = "fulfilment"
