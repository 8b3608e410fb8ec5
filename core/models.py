from django.db import models


class SweepState(models.Model):
    """When each periodic sweep last ran; /healthz reads it to tell whether beat is alive.

    One row per sweep name, overwritten on every run: the history of what a sweep *did* lives
    with the records it touched, this is only its pulse.
    """

    name = models.CharField(max_length=50, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_failed_steps = models.JSONField(default=list, blank=True)
    run_count = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} (last finished {self.last_finished_at})"


class OutboundEmail(models.Model):
    """The outbox: every email the portal sends is first a row here.

    The row is written in the same transaction as the change that causes it, so a request is
    never saved without its email nor an email sent for a change that rolled back. A task sends
    it right after commit; when the broker is down or a send fails, the sweep sends it later
    (with backoff), so nothing is lost and the website never waits for the broker.

    `dedupe_key` makes "each kind of notice at most once" a database rule: a second notice with
    the same key is not queued at all.

    Secrets (email codes, the tokens in links) are never stored in the bodies: the bodies hold a
    marker in their place, and the values wait in `secrets_sealed`, encrypted with
    OUTBOX_ENCRYPTION_KEY, until the moment of sending; the send that succeeds blanks them. So no
    staff role, and no database dump, can read a live code from the outbox (core.mail).
    """

    class State(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed; needs attention"

    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    kind = models.CharField(max_length=60, help_text="Which notice this is, e.g. request.received")
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The Message-ID header, the same on every attempt: a copy sent twice (see core.mail, what
    # is guaranteed) is recognisable as one message by receiving servers, mail clients and tests.
    message_id = models.CharField(max_length=200, unique=True, null=True, blank=True)
    # The secrets the bodies' markers stand for, encrypted (core.mail.seal); blank once sent.
    secrets_sealed = models.TextField(blank=True)
    # Who holds the right to send it (worker/boot/task, core.leases) until when; a crashed
    # sender's claim expires, and its own re-delivery or its restarted worker may take it over.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    # Set when the person it is addressed to was erased at their request (fulfilment.erasure):
    # once sent (or failed for good) the address, subject, bodies and error are blanked, so the
    # outbox keeps only that a notice of this kind went out, and when.
    redact_after_send = models.BooleanField(default=False)

    class Meta:
        ordering = ["created_at"]
        permissions = [
            # Only the privacy officer holds it (migration 0005): bodies say what we told whom.
            ("read_email_body", "Can read the bodies of outbound emails"),
        ]
        indexes = [
            # The sweep's outbox step reads pending emails whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_pending_due",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self):
        return f"{self.kind} to {self.to} ({self.state})"


class FormSubmission(models.Model):
    """A rendered form's token, claimed by the first POST that carried it (core.idempotency).

    The unique `key` is what makes a double click, a resubmitted page or a retry after an error
    create one thing: the claim is inserted in the same transaction as what the form creates,
    so either both are saved or neither, and a second POST with the token finds the claim and
    is sent where the first one went. The key is a hash of the form, the page and the token,
    so the table holds no token that could be replayed.
    """

    key = models.CharField(max_length=64, unique=True)
    form = models.CharField(max_length=150, help_text="Which view took the POST.")
    result_url = models.CharField(max_length=500, help_text="Where the first POST led.")
    # What the first POST created (e.g. a request's id), for a view that must give the second
    # browser the same access the first one got.
    result_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [
            # The sweep's purge reads claims older than the retention.
            models.Index(fields=["created_at"], name="form_submission_created"),
        ]

    def __str__(self):
        return f"{self.form} at {self.created_at}"


class RateLimitKey(models.Model):
    """One row per rate-limited key (requests_app.ratelimit), locked while an action counts its
    recent attempts and records its own. Without the lock a burst passes the limit: every
    request counts 19 of 20 before any has recorded its attempt."""

    kind = models.CharField(max_length=30)
    key = models.CharField(max_length=64)
    # Last locked; the purge removes keys idle for a day (no limit looks back that far).
    touched_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="rate_limit_key_unique"),
        ]

    def __str__(self):
        return f"{self.kind} (last {self.touched_at})"
