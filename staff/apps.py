from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff workspace: second-factor sign-in, roles, the queue, the request page, phone
    intake and the metrics. Its views call requests_app's services; no rule lives here."""

    name = "staff"
    verbose_name = "Staff workspace"
