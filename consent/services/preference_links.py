"""One-time links to the preferences page, emailed to the consumer's address."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.mail import email_queue
from registry.models import Consumer
from registry.normalize import normalize_email

from ..models import PreferencesLink
from ._shared import LinkInvalid, site_url

# A preferences link may be asked for again after this long; until then a second request sends
# nothing, so the form cannot be used to flood someone's inbox.
PREFERENCES_LINK_RESEND_MINUTES = 10


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def preferences_link_send(*, email: str) -> None:
    """Email a one-time link to the preferences page to the consumer with this address, if
    there is one. Returns nothing on purpose: the caller answers the same whether or not the
    address belongs to a customer. At most one link per consumer every 10 minutes."""
    address = normalize_email(email)
    consumer = Consumer.objects.filter(email=address).order_by("pk").first()
    if consumer is None:
        return
    now = timezone.now()
    token = secrets.token_urlsafe(32)
    window = int(now.timestamp() // (PREFERENCES_LINK_RESEND_MINUTES * 60))
    with transaction.atomic():
        link = PreferencesLink.objects.create(
            consumer=consumer,
            token_hash=_token_digest(token),
            created_at=now,
            expires_at=now + timedelta(hours=settings.PREFERENCES_LINK_HOURS),
        )
        queued = email_queue(
            to=consumer.email,
            template="consent/preferences_link",
            context={
                "link_url": site_url(reverse("consent:preferences_link", args=[token])),
                "hours": settings.PREFERENCES_LINK_HOURS,
            },
            kind="consent.preferences_link",
            dedupe_key=f"consent:preferences-link:{consumer.pk}:{window}",
        )
        if queued is None:
            # A link went out minutes ago; this one was never sent, so it must not work.
            link.delete()


def preferences_link_valid(*, token: str) -> bool:
    return PreferencesLink.objects.filter(
        token_hash=_token_digest(token), used_at__isnull=True, expires_at__gt=timezone.now()
    ).exists()


def preferences_link_redeem(*, token: str) -> Consumer:
    """Use a preferences link, once. Raises LinkInvalid for an unknown, expired or used one."""
    now = timezone.now()
    digest = _token_digest(token)
    claimed = PreferencesLink.objects.filter(
        token_hash=digest, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not claimed:
        raise LinkInvalid
    return PreferencesLink.objects.select_related("consumer").get(token_hash=digest).consumer


def preferences_links_purge(*, now: datetime) -> int:
    """The sweep's housekeeping: links expired for a day are deleted."""
    deleted, _ = PreferencesLink.objects.filter(expires_at__lt=now - timedelta(days=1)).delete()
    return deleted
