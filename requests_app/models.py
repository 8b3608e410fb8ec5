"""The request workflow's data: requests, their history, identity checks and agent documents.

Deadlines are stored columns computed by core.legal_clock when the request is received; the
sweep reads them (partial indexes below), never a month-long task.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from .history_purge import history_purge_permitted


class RequestType(models.TextChoices):
    KNOW_CATEGORIES = "know_categories", "Know the categories of personal information we hold"
    KNOW_SPECIFIC = "know_specific", "Get a copy of the specific pieces of personal information"
    DELETE = "delete", "Delete personal information"

    @classmethod
    def know_types(cls) -> list[str]:
        return [cls.KNOW_CATEGORIES, cls.KNOW_SPECIFIC]


class RequesterKind(models.TextChoices):
    SELF = "self", "Myself"
    AGENT = "agent", "Someone who authorized me as their agent"
    PARENT = "parent", "My child under 16 (I am their parent or legal guardian)"

    @property
    def actor_label(self) -> str:
        """How the history names the person asking."""
        return {"agent": "agent", "parent": "parent"}.get(self.value, "consumer")


class Channel(models.TextChoices):
    WEB = "web", "Website"
    PHONE = "phone", "Phone"
    MAIL = "mail", "Mail"
    EMAIL = "email", "Email"


class Status(models.TextChoices):
    """Where a request stands. Consumers see `label`; OPEN_STATUSES are the queue's."""

    EMAIL_UNCONFIRMED = "email_unconfirmed", "Waiting for you to confirm your email address"
    VERIFYING = "verifying", "Waiting for proof of identity"
    AWAITING_CONSUMER = "awaiting_consumer", "Waiting for the consumer to confirm the agent"
    AWAITING_DELETE_CONFIRMATION = (
        "awaiting_delete_confirmation",
        "Waiting for your final confirmation",
    )
    VERIFIED = "verified", "Identity verified; we are preparing the answer"
    APPROVED = "approved", "Approved; we are preparing the answer"
    IN_PROGRESS = "in_progress", "We are preparing the answer"
    FULFILLED = "fulfilled", "Answered"
    DENIED = "denied", "Closed: we could not act on it"
    WITHDRAWN = "withdrawn", "Withdrawn at your request"
    CLOSED_UNCONFIRMED = "closed_unconfirmed", "Closed: the email address was never confirmed"


OPEN_STATUSES = [
    Status.EMAIL_UNCONFIRMED,
    Status.VERIFYING,
    Status.AWAITING_CONSUMER,
    Status.AWAITING_DELETE_CONFIRMATION,
    Status.VERIFIED,
    Status.APPROVED,
    Status.IN_PROGRESS,
]
ANSWERED_STATUSES = [Status.FULFILLED, Status.DENIED]


class VerificationMethod(models.TextChoices):
    NONE = "", "Not verified"
    PASSWORD = "password", "Account password"
    DATA_POINTS = "data_points", "Matching data points"
    STAFF = "staff", "Verified by staff"


class VerificationTier(models.TextChoices):
    NONE = "", "None"
    TWO = "two", "Two-tier (two data points)"
    THREE = "three", "Three-tier (three data points and a signed declaration)"
    ACCOUNT = "account", "Password-protected account"


class Outcome(models.TextChoices):
    """The nature of the response, as 11 CCR 7102's metrics count it."""

    COMPLIED_WHOLE = "complied_whole", "Complied with in whole"
    COMPLIED_PART = "complied_part", "Complied with in part"
    DENIED = "denied", "Denied"


class DeletionException(models.TextChoices):
    """The exceptions of the notice (section III) under which a deletion may be refused."""

    COMPLETE_TRANSACTION = (
        "complete_transaction",
        ("Complete the transaction, provide a good or service requested, or perform our contract"),
    )
    SECURITY = "security", "Detect security incidents and protect against fraud or illegal activity"
    DEBUG = "debug", "Debug products to repair errors that impair intended functionality"
    FREE_SPEECH = "free_speech", "Exercise free speech or another right provided for by law"
    CALECPA = "calecpa", "Comply with the California Electronic Communications Privacy Act"
    INTERNAL_USES = "internal_uses", "Internal uses reasonably aligned with consumer expectations"
    LEGAL_OBLIGATION = "legal_obligation", "Comply with a legal obligation"
    COMPATIBLE_USES = (
        "compatible_uses",
        "Other internal and lawful uses compatible with the context",
    )


class DenialReason(models.TextChoices):
    """Why a request was not carried out; the metrics of 11 CCR 7102 count by these."""

    NOT_VERIFIED = "not_verified", "We could not verify the identity of the person asking"
    NO_DATA = "no_data", "No such consumer, or no personal information held"
    EXCEPTION = "exception", "An exception in the law applies"
    OVER_CAP = "over_cap", "More than two requests to know in 12 months"
    FRAUD = "fraud", "A documented, good-faith belief of fraud"


class PrivacyRequest(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    request_type = models.CharField(max_length=20, choices=RequestType.choices)
    # What was asked for, when verification turned a specific-pieces request into categories.
    requested_type = models.CharField(max_length=20, choices=RequestType.choices)
    requester_kind = models.CharField(max_length=10, choices=RequesterKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    status = models.CharField(max_length=30, choices=Status.choices)

    # The person asking: the consumer, or their agent or parent.
    requester_name = models.CharField(max_length=200)
    requester_email = models.EmailField()
    requester_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests",
    )
    # The consumer the request is about, once identified. For agents and parents the subject's
    # own details are what is matched.
    consumer = models.ForeignKey(
        "registry.Consumer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="privacy_requests",
    )
    subject_name = models.CharField(max_length=200, blank=True)
    subject_email = models.EmailField(blank=True)

    received_at = models.DateTimeField(db_index=True)
    acknowledge_by = models.DateTimeField()
    due_at = models.DateTimeField()
    extended_due_at = models.DateTimeField(null=True, blank=True)
    extension_reason = models.TextField(blank=True)
    extended_at = models.DateTimeField(null=True, blank=True)
    # The latest an extension may reach: the end of the 90th day after receipt in the
    # business's time zone (core.legal_clock.latest_extended_response), stored at receipt so
    # the database checks the very instant the service allows. A bound computed in SQL from
    # received_at cannot know the local day or the DST change between.
    extension_limit_at = models.DateTimeField()

    email_confirmed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(
        max_length=20, choices=VerificationMethod.choices, blank=True
    )
    verification_tier = models.CharField(
        max_length=10, choices=VerificationTier.choices, blank=True
    )
    # Requests to know that count toward the cap of two in 12 months: set at verification.
    counts_toward_cap = models.BooleanField(default=False)
    declaration_name = models.CharField(max_length=200, blank=True)
    declaration_signed_at = models.DateTimeField(null=True, blank=True)
    delete_confirmed_at = models.DateTimeField(null=True, blank=True)

    responded_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    denial_reason = models.CharField(max_length=20, choices=DenialReason.choices, blank=True)
    denial_exception = models.CharField(
        max_length=30, choices=DeletionException.choices, blank=True
    )
    denial_explanation = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The care representative who logged a phone, mail or email request (they see only theirs).
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="logged_requests",
    )
    # The officer working the request; reminders go to them, or to every officer when unset.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_requests",
    )
    # How the answer reaches a requester without an account (the notice: "by mail or
    # electronically, at your option"); account holders find it in their account.
    delivery_method = models.CharField(
        max_length=10, choices=[("email", "By email"), ("post", "By post")], default="email"
    )
    postal_address = models.TextField(blank=True)
    mailed_on = models.DateField(null=True, blank=True)
    # 24 months after the answer the sweep erases the personal data, keeping the minimal
    # record 11 CCR 7101 asks for (dates, type, channel, nature of the response, reason).
    personal_data_purged_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-received_at"]
        # What each staff role may do (staff/roles.py gives them to the groups).
        permissions = [
            ("work_queue", "See the queue and the requests in it"),
            ("see_all_requests", "See every request, not only those one logged"),
            ("log_request", "Log a request received by phone, mail or email"),
            ("verify_manually", "Verify a consumer's identity by hand"),
            ("approve_request", "Approve a request"),
            ("deny_request", "Deny a request"),
            ("extend_request", "Extend a request's deadline"),
            ("fulfil_request", "Start and complete fulfilment"),
            ("close_request", "Close a request"),
            ("assign_request", "Assign a request to an officer"),
            ("reveal_personal_data", "Reveal a consumer's masked details"),
            ("open_exports", "Open the exports of a request to know"),
            ("add_note", "Add a note to a request"),
            ("view_history", "Read the history of requests"),
            ("view_metrics", "Read the metrics"),
        ]
        indexes = [
            # The deadline sweep and the officer's queue read open requests by due date.
            models.Index(
                fields=["due_at"],
                name="request_open_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
            # The cap counts a consumer's verified requests to know of the last 12 months.
            models.Index(
                fields=["consumer", "verified_at"],
                name="request_cap_window",
                condition=Q(counts_toward_cap=True),
            ),
            models.Index(fields=["requester_email"], name="request_requester_email"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(due_at__gt=F("received_at")), name="due_after_receipt"
            ),
            models.CheckConstraint(
                condition=Q(extended_due_at__isnull=True) | Q(extended_due_at__gt=F("due_at")),
                name="extension_after_due",
            ),
            # At most 90 days from receipt (Civ. Code 1798.130(a)(2)), to the instant
            # request_extend allows: both read extension_limit_at, so they cannot disagree.
            models.CheckConstraint(
                condition=Q(extended_due_at__isnull=True)
                | Q(extended_due_at__lte=F("extension_limit_at")),
                name="extension_within_ninety_days",
            ),
            # An extension comes with the reason the consumer is told (Civ. Code 1798.130).
            models.CheckConstraint(
                condition=Q(extended_due_at__isnull=True) | ~Q(extension_reason=""),
                name="extension_has_reason",
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def current_due_at(self):
        return self.extended_due_at or self.due_at

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_know(self) -> bool:
        return self.request_type in RequestType.know_types()


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk changes: history rows are only ever added. The retention purge, the one
    exception, goes through `purge_older_than`."""

    def update(self, **kwargs):
        raise ValueError("The request history is append-only: events are never changed.")

    def delete(self):
        raise ValueError("The request history is append-only: events are never deleted.")

    def purge_older_than(self, instant) -> int:
        """Delete events older than `instant` (24 months of retention, 11 CCR 7101). On
        PostgreSQL and SQLite a trigger refuses any other deletion; this one says it is the
        purge."""
        with history_purge_permitted():
            rows = self.filter(at__lt=instant)
            return models.QuerySet.delete(rows)[0]


class RequestEvent(models.Model):
    """The request's history: append-only. Application code never updates or deletes a row
    (the model and its queryset refuse; on PostgreSQL and SQLite a trigger refuses too); it
    records the action and the actor, not copies of personal data."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Request received"
        EMAIL_CONFIRMED = "email_confirmed", "Email address confirmed"
        VERIFICATION_FAILED = "verification_failed", "Identity could not be verified"
        VERIFIED = "verified", "Identity verified"
        DOWNGRADED = "downgraded", "Answered as a request for categories"
        AGENT_DOCUMENT = "agent_document", "Agent's written permission received"
        AGENT_DETAILS_MATCHED = (
            "agent_details_matched",
            "The details matched: waiting for the consumer to confirm the agent",
        )
        CONSUMER_CONFIRMED_AGENT = "consumer_confirmed_agent", "Consumer confirmed the agent"
        DELETE_CONFIRMED = "delete_confirmed", "Deletion confirmed by the consumer"
        DENIED = "denied", "Request denied"
        WITHDRAWN = "withdrawn", "Request withdrawn"
        EMAIL_SENT = "email_sent", "Email sent"
        EXTENDED = "extended", "Deadline extended"
        REMINDER = "reminder", "Deadline reminder sent to staff"
        ESCALATED = "escalated", "Overdue: escalated"
        CLOSED = "closed", "Request closed"
        PERSONAL_DATA_PURGED = "personal_data_purged", "Personal data erased after 24 months"
        ASSIGNED = "assigned", "Assigned"
        APPROVED = "approved", "Request approved"
        FULFILMENT_STARTED = "fulfilment_started", "Work on the answer started"
        ANSWERED = "answered", "Request answered"
        NOTE = "note", "Note"
        REVEALED = "revealed", "Personal details revealed to staff"
        DOWNLOADED = "downloaded", "File downloaded"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=100, help_text="consumer, agent, system, or staff")
    detail = models.TextField(blank=True)
    visible_to_consumer = models.BooleanField(default=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self):
        return f"{self.request_id} {self.kind} at {self.at}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The request history is append-only: events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("The request history is append-only: events are never deleted.")


class DeadlineNotice(models.Model):
    """A timed notice the sweep sent for a request. The unique constraint makes "each kind of
    notice at most once per request" a database rule: the sweep claims a notice by inserting
    its row, so two sweeps at once, or one after an outage, cannot send it twice."""

    class Kind(models.TextChoices):
        ACKNOWLEDGMENT = "acknowledgment", "Acknowledgment to the consumer"
        REMINDER_10 = "reminder_10", "Reminder: 10 days left"
        REMINDER_5 = "reminder_5", "Reminder: 5 days left"
        REMINDER_1 = "reminder_1", "Reminder: 1 day left"
        OVERDUE = "overdue", "Escalation: overdue"
        CLOSED_UNCONFIRMED = "closed_unconfirmed", "Closed: email never confirmed"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    sent_at = models.DateTimeField()
    # A reminder that a later, more urgent one made pointless is recorded but not emailed.
    superseded = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "kind"], name="one_notice_per_kind")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for request {self.request_id}"


class DataPoint(models.TextChoices):
    EMAIL = "email", "Email address"
    ADDRESS = "address", "Street address"
    ZIP_CODE = "zip_code", "Zip code"
    RECENT_PURCHASE = "recent_purchase", "Most recent purchase (order number)"
    PHONE = "phone", "Phone number"


class VerificationCheck(models.Model):
    """One data point compared with the registry: only whether it matched. What the person
    typed is never stored (11 CCR 7060)."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="checks")
    data_point = models.CharField(max_length=20, choices=DataPoint.choices)
    matched = models.BooleanField()
    checked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["request", "data_point"], name="one_check_per_point")
        ]

    def __str__(self):
        return f"{self.data_point}: {'matched' if self.matched else 'no match'}"


class EmailChallenge(models.Model):
    """A one-time code sent to prove an email address: stored hashed, expires, single use."""

    class Purpose(models.TextChoices):
        CONFIRM_EMAIL = "confirm_email", "Confirm the requester's email"
        STATUS_ACCESS = "status_access", "Open the status page"
        CONSUMER_CONFIRMS_AGENT = "agent_confirm", "Consumer confirms the agent"

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="challenges")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    code_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="challenge_expiry")]

    def __str__(self):
        return f"{self.purpose} for request {self.request_id}"


class AgentDocument(models.Model):
    """An authorized agent's signed permission, stored under PRIVATE_FILES_ROOT (no URL)."""

    request = models.OneToOneField(
        PrivacyRequest, on_delete=models.CASCADE, related_name="agent_document"
    )
    stored_name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    uploaded_at = models.DateTimeField()
    consumer_confirmed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Agent document for request {self.request_id}"


class Attempt(models.Model):
    """A submission or verification attempt, counted for rate limits and lock-outs. `key` is a
    keyed hash of the address or consumer, so the table holds no personal data."""

    class Kind(models.TextChoices):
        SUBMISSION = "submission", "Request submitted"
        CODE_FAILED = "code_failed", "Wrong email code"
        VERIFICATION_FAILED = "verification_failed", "Data points did not match"
        STATUS_LOOKUP = "status_lookup", "Status link asked for"
        CODE_RESENT = "code_resent", "New email code sent"

    kind = models.CharField(max_length=30, choices=Kind.choices)
    key = models.CharField(max_length=64)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "at"], name="attempt_window")]

    def __str__(self):
        return f"{self.kind} at {self.at}"
