"""Keeping opt-outs attached to people as the registry changes.

- A new consumer gets their SaleStatus row (no direction given yet).
- A consumer saved (imported, created, or their email or phone changed) picks up any opt-out
  that was waiting for their email address or phone number.
- A consumer who had opted out and is then deleted leaves a waiting opt-out (keyed hashes of
  their email and phone only), so that if the shop's systems import them again their personal
  information is still never sold.
"""

import logging

from django.db import transaction
from django.db.models.signals import post_save, pre_delete
from django.dispatch import receiver

from registry.models import Consumer

from .identifiers import consumer_identifier_hashes
from .models import ConsentSource, PendingOptOut, SaleStatus
from .services import pending_opt_outs_apply

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Consumer, dispatch_uid="consent.apply_pending_opt_outs")
def apply_pending_opt_outs(sender, instance: Consumer, created=False, raw=False, **kwargs):
    if raw:
        return
    try:
        with transaction.atomic():
            if created:
                # Every consumer has a status row, so the officer's list shows everyone.
                SaleStatus.objects.get_or_create(consumer=instance)
            pending_opt_outs_apply(consumer=instance)
    except Exception:
        # Saving the consumer (an import) must not fail because of this; the sweep's re-match
        # step tries again.
        logger.exception("Applying waiting opt-outs to consumer %s failed", instance.pk)


@receiver(pre_delete, sender=Consumer, dispatch_uid="consent.keep_opt_out_of_deleted")
def keep_opt_out_of_deleted_consumer(sender, instance: Consumer, **kwargs):
    opted_out = SaleStatus.objects.filter(
        consumer=instance, state=SaleStatus.State.OPTED_OUT
    ).first()
    if opted_out is None:
        return
    for kind, digest in consumer_identifier_hashes(email=instance.email, phone=instance.phone):
        PendingOptOut.objects.get_or_create(
            identifier_kind=kind,
            identifier_hash=digest,
            applied_at__isnull=True,
            defaults={"source": opted_out.source or ConsentSource.EARLIER_REQUEST},
        )
