"""Consent: the consumer's directions about their personal information. Opt-out of sale (and
opting in again), partners told of an opt-out, re-authorization, and marketing preferences.

The data inventory these refer to (categories, sources, sharings) is inventory.models.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

# --- Opt-out of sale, re-authorization, and marketing preferences ----------------------------
#
# The current state lives in one row per consumer (SaleStatus, MarketingPreference) that code
# reads and locks; every change to it also appends a ConsentEvent, which is never updated nor
# deleted. Deadlines (a partner to be told, a preference to be applied) are stored columns,
# computed by core.legal_clock when the change is made, and read by the sweep (consent/sweeps.py).


class ConsentSource(models.TextChoices):
    """Where a direction about a consumer's personal information came from."""

    WEB_FORM = "web_form", "Do Not Sell page (email address or phone number)"
    ACCOUNT = "account", "Do Not Sell page (signed in)"
    GPC = "gpc", "Global Privacy Control signal"
    EARLIER_REQUEST = "earlier_request", "An earlier opt-out, applied when the consumer appeared"
    STAFF = "staff", "Recorded by staff"
    REAUTHORIZATION = "reauthorization", "Answer to the re-authorization question"
    PREFERENCES_ACCOUNT = "preferences_account", "Preferences page (signed in)"
    PREFERENCES_LINK = "preferences_link", "Preferences page (emailed link)"
    SWEEP = "sweep", "The sweep"


class SaleStatus(models.Model):
    """Whether a consumer's personal information may be sold: the "sale flag", as data.

    No row means no direction was ever given (the same as NO_DIRECTION). An opt-out never lapses
    by itself (Civ. Code 1798.135): the notice's "valid for 12 months" is read as "no re-ask for
    12 months" (DESIGN.md), so `reauthorization_ask_from` is only the earliest day the sweep may
    ask, once, whether the consumer will authorize sale again. Sale resumes only on an explicit
    opt-in. Whether a consumer *may* be sold also depends on their age: see
    consent.selectors.consumers_whose_data_may_be_sold, the one place that decides it.
    """

    class State(models.TextChoices):
        NO_DIRECTION = "none", "No direction given"
        OPTED_OUT = "opted_out", "Opted out of sale"
        OPTED_IN = "opted_in", "Opted in to sale"

    class Authorizer(models.TextChoices):
        # A consumer aged 13 to 15 opts in themselves; under 13 only a parent or guardian may
        # (Civ. Code 1798.120(c)).
        CONSUMER = "consumer", "The consumer"
        PARENT = "parent", "A parent or guardian (verified by staff)"

    consumer = models.OneToOneField(
        "registry.Consumer", on_delete=models.CASCADE, related_name="sale_status"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.NO_DIRECTION)
    source = models.CharField(max_length=24, choices=ConsentSource.choices, blank=True)
    changed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the current direction was received."
    )
    episode = models.PositiveIntegerField(
        default=0,
        help_text="How many opt-outs this consumer has made; partner notices and the "
        "re-authorization link name the one they are about.",
    )
    opted_in_by = models.CharField(max_length=10, choices=Authorizer.choices, blank=True)
    opt_in_overrides_gpc = models.BooleanField(
        default=False,
        help_text="The opt-in was given while the browser sent a Global Privacy Control signal "
        "and after being told of the conflict (11 CCR 7025(c)(3)): that signal then no longer "
        "overrides it.",
    )
    reauthorization_ask_from = models.DateTimeField(null=True, blank=True)
    reauthorization_asked_at = models.DateTimeField(null=True, blank=True)
    reauthorization_answered_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "sale status"
        verbose_name_plural = "sale statuses"
        indexes = [
            # The re-authorization sweep step reads opt-outs not yet asked, by ask date.
            models.Index(
                fields=["reauthorization_ask_from"],
                name="salestatus_reask_due",
                condition=models.Q(state="opted_out", reauthorization_asked_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="opted_out")
                | models.Q(changed_at__isnull=False, reauthorization_ask_from__isnull=False),
                name="salestatus_opt_out_has_dates",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="opted_in") | ~models.Q(opted_in_by=""),
                name="salestatus_opt_in_says_by_whom",
            ),
            models.CheckConstraint(
                condition=models.Q(reauthorization_ask_from__isnull=True)
                | models.Q(reauthorization_ask_from__gt=models.F("changed_at")),
                name="salestatus_reask_after_opt_out",
            ),
        ]

    def __str__(self):
        return f"{self.consumer}: {self.get_state_display()}"


class ConsentEvent(models.Model):
    """The append-only history of consent: who did what, when, from where. It records the
    action and the actor, never a copy of the personal data (STYLE.md)."""

    class Kind(models.TextChoices):
        OPTED_OUT = "opted_out", "Opted out of sale"
        OPT_OUT_PENDING = "opt_out_pending", "Opt-out kept for an identifier matching nobody yet"
        OPTED_IN = "opted_in", "Opted in to sale"
        REAUTHORIZATION_ASKED = "reauth_asked", "Asked once whether to authorize sale again"
        REAUTHORIZATION_DECLINED = "reauth_declined", "Declined to authorize sale again"
        PARTNER_TOLD = "partner_told", "Partner told of the opt-out"
        PARTNER_NOTICE_WITHDRAWN = "partner_withdrawn", "Partner notice no longer needed"
        PARTNER_NOTICE_ESCALATED = "partner_escalated", "Partner notice overdue: escalated"
        PREFERENCE_CHANGED = "pref_changed", "Marketing preference changed"
        PREFERENCE_APPLIED = "pref_applied", "Marketing preference applied"
        PREFERENCE_ESCALATED = "pref_escalated", "Marketing preference overdue: escalated"

    consumer = models.ForeignKey(
        "registry.Consumer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consent_events",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    source = models.CharField(max_length=24, choices=ConsentSource.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who acted; empty for the consumer, a signal or the sweep.",
    )
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["consumer", "created_at"], name="consentevent_consumer")]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Consent history is append-only: an event is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Consent history is append-only: an event is never deleted.")


class PendingOptOut(models.Model):
    """An opt-out given with an email address or phone number that matches no consumer yet.

    Only a keyed hash (HMAC-SHA256 with settings.CONSENT_HASH_KEY) of the normalized identifier
    is kept, never the identifier itself: enough to recognise the person when a consumer with
    that email or phone appears (consent.signals), useless to anyone who reads the table.
    """

    class IdentifierKind(models.TextChoices):
        EMAIL = "email", "Email address"
        PHONE = "phone", "Phone number"

    identifier_kind = models.CharField(max_length=5, choices=IdentifierKind.choices)
    identifier_hash = models.CharField(max_length=64)
    source = models.CharField(max_length=24, choices=ConsentSource.choices)
    received_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_to = models.ForeignKey(
        "registry.Consumer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "pending opt-out"
        ordering = ["-received_at"]
        constraints = [
            # One waiting opt-out per identifier: ten identical submissions keep one row. The
            # consumer-save signal looks rows up by this pair.
            models.UniqueConstraint(
                fields=["identifier_kind", "identifier_hash"],
                condition=models.Q(applied_at__isnull=True),
                name="pendingoptout_one_waiting_per_identifier",
            ),
        ]
        indexes = [
            # The sweep's re-match step reads recent opt-outs still waiting.
            models.Index(
                fields=["received_at"],
                name="pendingoptout_waiting",
                condition=models.Q(applied_at__isnull=True),
            ),
        ]

    def __str__(self):
        state = "applied" if self.applied_at else "waiting"
        return f"Opt-out by {self.get_identifier_kind_display().lower()} ({state})"


class PartnerNotice(models.Model):
    """One opt-out to be told to one partner to whom personal information is sold, with its
    deadline: 15 business days from receipt (11 CCR 7026(f)). Staff mark it told; the sweep
    escalates it once when the deadline passes."""

    class State(models.TextChoices):
        PENDING = "pending", "To tell the partner"
        TOLD = "told", "Partner told"
        WITHDRAWN = "withdrawn", "No longer needed (the consumer opted in again)"

    consumer = models.ForeignKey(
        "registry.Consumer", on_delete=models.CASCADE, related_name="partner_notices"
    )
    partner = models.ForeignKey(
        "registry.DataSystem", on_delete=models.PROTECT, related_name="partner_notices"
    )
    episode = models.PositiveIntegerField(help_text="Which of the consumer's opt-outs.")
    received_at = models.DateTimeField()
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "partner", "episode"], name="partnernotice_once_per_opt_out"
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gte=models.F("received_at")),
                name="partnernotice_due_after_receipt",
            ),
            models.CheckConstraint(
                condition=models.Q(state="pending") | models.Q(done_at__isnull=False),
                name="partnernotice_done_has_time",
            ),
        ]
        indexes = [
            # The overdue sweep step and the officer's "to tell" list read pending notices by
            # deadline.
            models.Index(
                fields=["due_at"],
                name="partnernotice_pending_due",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self):
        return f"Opt-out #{self.episode} of consumer {self.consumer_id} to {self.partner}"


class MarketingChannel(models.TextChoices):
    EMAIL = "email", "Marketing email"
    POSTAL = "postal", "Postal marketing"
    SMS = "sms", "Marketing text messages"


class MarketingPreference(models.Model):
    """A consumer's current choice for one marketing channel. No row: the channel's default
    (consent.selectors.PREFERENCE_DEFAULTS)."""

    consumer = models.ForeignKey(
        "registry.Consumer", on_delete=models.CASCADE, related_name="marketing_preferences"
    )
    channel = models.CharField(max_length=6, choices=MarketingChannel.choices)
    allowed = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "channel"], name="marketingpreference_one_per_channel"
            )
        ]

    def __str__(self):
        return f"{self.get_channel_display()}: {'yes' if self.allowed else 'no'}"


class PreferenceChange(models.Model):
    """One change of a marketing preference, to be applied in the system that sends that
    channel within 5 business days (the notice, "Email address"). A system the portal runs
    itself (connector "internal") applies it at once; any other is a task staff confirm. The
    sweep escalates, once, a change still pending after its deadline."""

    class State(models.TextChoices):
        PENDING = "pending", "To apply"
        APPLIED = "applied", "Applied"
        SUPERSEDED = "superseded", "Superseded by a later change"

    consumer = models.ForeignKey(
        "registry.Consumer", on_delete=models.CASCADE, related_name="preference_changes"
    )
    channel = models.CharField(max_length=6, choices=MarketingChannel.choices)
    allowed = models.BooleanField(help_text="The new choice.")
    source = models.CharField(max_length=24, choices=ConsentSource.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data_system = models.ForeignKey(
        "registry.DataSystem",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="preference_changes",
        help_text="Where the change must be applied.",
    )
    received_at = models.DateTimeField()
    effective_by = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_by", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_by__gte=models.F("received_at")),
                name="preferencechange_due_after_receipt",
            ),
            models.CheckConstraint(
                condition=~models.Q(state="applied") | models.Q(applied_at__isnull=False),
                name="preferencechange_applied_has_time",
            ),
        ]
        indexes = [
            # The overdue sweep step and the staff's "to apply" list read pending changes by
            # deadline.
            models.Index(
                fields=["effective_by"],
                name="preferencechange_pending_due",
                condition=models.Q(state="pending"),
            ),
            models.Index(fields=["consumer", "channel"], name="preferencechange_consumer"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} {'on' if self.allowed else 'off'}"


class PreferencesLink(models.Model):
    """A one-time link, emailed on request, that opens the preferences page without an account.
    Only the SHA-256 of its random token is stored."""

    consumer = models.ForeignKey(
        "registry.Consumer", on_delete=models.CASCADE, related_name="preferences_links"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Preferences link for consumer {self.consumer_id}"
