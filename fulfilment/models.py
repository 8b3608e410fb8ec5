"""Fulfilment's data: one task per data system and action, the files of an answer, and the links
that deliver them. (The suppression list that keeps deleted people deleted is the registry's:
registry.models.Suppression.)"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class SystemTask(models.Model):
    """What one data system must do for one request: export the consumer's data, or erase it.

    The portal's own database is automated (a Celery task runs it); every other system is a
    manual task a staff member confirms. A request is complete only when every task is done.
    """

    class Action(models.TextChoices):
        EXPORT = "export", "Export the consumer's data"
        ERASE = "erase", "Erase the consumer's data"
        NOTIFY = "notify", "Direct the service provider or third party to delete"

    class State(models.TextChoices):
        PENDING = "pending", "To do"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed; will retry"

    request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="system_tasks"
    )
    data_system = models.ForeignKey(
        "registry.DataSystem", on_delete=models.PROTECT, related_name="tasks"
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # Manual tasks are due at least 5 days before the request, so staff have time to answer.
    due_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # The lease of a running automated task (core.leases): who runs it (worker/boot/task id)
    # and until when. The runner renews it while it works; once it lapses, or when the same
    # Celery task is delivered again, or the worker restarts, another run may take it over.
    claimed_by = models.CharField(max_length=200, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # What the system did, without personal data: counts per kind of record, and for an erase,
    # which exception kept what ({"kept": [{"kind": "orders", "exception": "...", "count": 3}]}).
    result = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["request", "action", "data_system__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "data_system", "action"], name="one_task_per_system_action"
            )
        ]
        indexes = [
            # The sweep and the staff's task list read open tasks by due date.
            models.Index(fields=["due_at"], name="task_open_due", condition=~Q(state="done")),
        ]

    def __str__(self):
        return f"{self.get_action_display()} in {self.data_system} for {self.request_id}"


class Export(models.Model):
    """One file of an answer to know (JSON, CSV, HTML or PDF), stored under PRIVATE_FILES_ROOT
    where no URL reaches it; served only through a delivery check, and removed when the link
    expires."""

    class Format(models.TextChoices):
        JSON = "json", "JSON (machine-readable)"
        CSV = "csv", "CSV (spreadsheet)"
        HTML = "html", "Web page"
        PDF = "pdf", "PDF"

    request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="exports"
    )
    format = models.CharField(max_length=5, choices=Format.choices)
    stored_name = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    removed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "format"], name="one_export_per_format")
        ]

    def __str__(self):
        return f"{self.format} for request {self.request_id}"


class DeliveryLink(models.Model):
    """A link emailed to a requester without an account: it works only with the code sent
    separately to the same address, for 7 days, and every download is logged."""

    request = models.ForeignKey(
        "requests_app.PrivacyRequest", on_delete=models.CASCADE, related_name="delivery_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)
    failed_codes = models.PositiveSmallIntegerField(default=0)
    downloads = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"Delivery link for request {self.request_id}"
