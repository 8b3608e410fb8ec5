"""Staff accounts' second factor: who enrolled, replaced or reset an authenticator, and when."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models


class StaffAccount(get_user_model()):  # type: ignore[misc]
    """The staff users, as the privacy officer sees them in the admin: a list with one action,
    resetting a lost second factor. A proxy: no table of its own."""

    class Meta:
        proxy = True
        verbose_name = "staff account"
        permissions = [("reset_second_factor", "Can reset a staff member's second factor")]


class StaffAccountEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ValueError("The staff account history is append-only: events are never changed.")

    def delete(self):
        raise ValueError("The staff account history is append-only: events are never deleted.")


class StaffAccountEvent(models.Model):
    """Append-only, like the request history: the action, the account and the actor."""

    class Kind(models.TextChoices):
        ENROLLED = "enrolled", "Authenticator enrolled"
        REPLACED = "replaced", "Authenticator replaced (signed in with the second factor)"
        RESET = "reset", "Second factor reset by an officer"

    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The usernames are kept beside the links so the history outlives a removed account.
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="staff_account_events",
    )
    account_username = models.CharField(max_length=150)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_username = models.CharField(max_length=150)
    detail = models.TextField(blank=True)

    objects = StaffAccountEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.account_username} by {self.actor_username}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The staff account history is append-only: events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The staff account history is append-only: events are never deleted.")
