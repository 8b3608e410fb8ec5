from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    """The request workflow: submitting, verifying, deadlines, staff actions and fulfilment."""

    name = "requests_app"
    verbose_name = "Privacy requests"
