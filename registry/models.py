"""The consumer registry: consumers, their personal records and orders, and the data systems
that hold them. Requests to know are answered from here; deletions are carried out through each
data system's connector."""

from django.conf import settings
from django.db import models


class DataSystem(models.Model):
    """A place where consumers' personal information lives (DESIGN.md, "Where the consumer's
    data lives"). Its connector says how a request reaches it: the portal's own database is
    automated; a manual system becomes a task a staff member confirms."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", "Internal system"
        SERVICE_PROVIDER = "service_provider", "Service provider"
        THIRD_PARTY = "third_party", "Third party"

    class Connector(models.TextChoices):
        INTERNAL = "internal", "Automated (the portal's database)"
        MANUAL = "manual", "Manual task for staff"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    connector = models.CharField(max_length=10, choices=Connector.choices)
    description = models.TextField(blank=True)
    contact_email = models.EmailField(blank=True, help_text="Where manual requests are sent.")

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Consumer(models.Model):
    """A person the shop holds personal information about, with or without a login account.

    The identity fields are normalized on the way in (registry.normalize) so that verification
    and imports compare like with like: email lower-cased, phone in E.164.
    """

    shop_customer_id = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="The shop's own customer id; imports are idempotent on it.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consumer",
    )
    full_name = models.CharField(max_length=200)
    email = models.EmailField(db_index=True)
    phone = models.CharField(max_length=20, blank=True, db_index=True, help_text="E.164")
    birth_date = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["full_name"]

    def __str__(self):
        return self.full_name


class PersonalRecord(models.Model):
    """One piece of personal information about a consumer: what it is (its category in the
    inventory), its value, when and from which source it was collected, and which data system
    holds it. `details` carries the structured parts some categories need, such as an address's
    zip code for verification."""

    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="records")
    category = models.ForeignKey(
        "inventory.Category", on_delete=models.PROTECT, related_name="records"
    )
    value = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    source = models.ForeignKey("inventory.Source", on_delete=models.PROTECT, related_name="records")
    data_system = models.ForeignKey(DataSystem, on_delete=models.PROTECT, related_name="records")
    collected_at = models.DateTimeField()

    class Meta:
        ordering = ["consumer", "category__display_order", "-collected_at"]
        indexes = [
            # The know report reads a consumer's records of the 12 months before receipt; the
            # retention purge reads records by category and age.
            models.Index(fields=["consumer", "collected_at"], name="record_consumer_collected"),
            models.Index(fields=["category", "collected_at"], name="record_category_collected"),
        ]

    def __str__(self):
        return f"{self.category}: {self.value}"


class Order(models.Model):
    """A purchase. The most recent one is a verification data point (the notice, section III)."""

    consumer = models.ForeignKey(Consumer, on_delete=models.CASCADE, related_name="orders")
    order_number = models.CharField(max_length=40, unique=True)
    placed_at = models.DateTimeField()
    items = models.TextField(help_text="What was bought, as the shop describes it.")
    total = models.DecimalField(max_digits=10, decimal_places=2)
    data_system = models.ForeignKey(DataSystem, on_delete=models.PROTECT, related_name="orders")

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["consumer", "-placed_at"], name="order_consumer_recent")]

    def __str__(self):
        return self.order_number


class Suppression(models.Model):
    """A deleted person, kept only as keyed hashes (HMAC, key in settings) of their normalized
    email address and phone number, so that a later import of the same person is recognized
    and not re-created (DESIGN.md, delete)."""

    email_hmac = models.CharField(max_length=64, blank=True, db_index=True)
    phone_hmac = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()

    class Meta:
        # Created by fulfilment's migration 0001 and moved here without moving a row
        # (registry 0003, fulfilment 0004): the registry refuses to re-import these people.
        db_table = "fulfilment_suppression"

    def __str__(self):
        return f"Suppression {self.pk}"
