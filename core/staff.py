"""Who on the staff receives reminders and escalations."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q


def privacy_officers():
    """Active privacy officers: members of the officers' group, or superusers until roles are
    given out."""
    return (
        get_user_model()
        .objects.filter(
            Q(is_superuser=True) | Q(groups__name=settings.PRIVACY_OFFICER_GROUP),
            is_active=True,
        )
        .distinct()
    )


def officer_email_addresses() -> list[str]:
    return sorted({user.email for user in privacy_officers() if user.email})


def escalation_addresses() -> list[str]:
    """Where overdue work is escalated: every officer, and the configured escalation address."""
    addresses = set(officer_email_addresses())
    if settings.ESCALATION_EMAIL:
        addresses.add(settings.ESCALATION_EMAIL)
    return sorted(addresses)
