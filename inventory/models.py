"""The data inventory: the privacy notice's section I as data.

A data migration seeded it from the notice (consent's 0002, from before these models moved here);
the privacy officer edits it in the admin. The public page /what-we-collect/ and the "know"
reports are generated from these rows, never from hard-coded text, so the notice and the portal
cannot drift apart.

Reference data that every other app refers to: the registry's records name a category and a
source, consent and fulfilment read the sharings. So it sits low, above core only, and imports
no other app. The tables keep the names they had in consent (db_table): the move (inventory
0001, registry 0004, consent 0004) changed Django's idea of them, not a row.
"""

from django.db import models


class InventoryEntry(models.Model):
    """What the reference tables share: a stable slug, a name, a description and an order."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    display_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["display_order", "name"]

    def __str__(self):
        return self.name


class Source(InventoryEntry):
    """A category of sources from which personal information is collected."""

    class Meta(InventoryEntry.Meta):
        db_table = "consent_source"
        verbose_name = "category of sources"
        verbose_name_plural = "categories of sources"


class BusinessPurpose(InventoryEntry):
    """A business or commercial purpose for collecting, using or selling personal information."""

    class Meta(InventoryEntry.Meta):
        db_table = "consent_businesspurpose"
        verbose_name = "business purpose"


class ThirdPartyCategory(InventoryEntry):
    """A category of third parties to whom personal information is sold or disclosed."""

    class Meta(InventoryEntry.Meta):
        db_table = "consent_thirdpartycategory"
        verbose_name = "category of third parties"
        verbose_name_plural = "categories of third parties"


class Category(InventoryEntry):
    """A category of personal information, with the notice's own statements about it."""

    class Kind(models.TextChoices):
        # The eight headed sections of the notice's section I.
        CATEGORY = "category", "Category of personal information"
        # Further details the notice names in passing: demographics, clothing size, cookies...
        DETAIL = "detail", "Further detail"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CATEGORY)
    purpose_statement = models.TextField(
        help_text="How the notice says this information is used, in its own words."
    )
    sale_statement = models.TextField(
        blank=True, help_text="What the notice says about selling this information."
    )
    disclosure_statement = models.TextField(
        blank=True, help_text="What the notice says about disclosing this information."
    )
    retention_statement = models.TextField(
        blank=True, help_text="How long it is kept, as told to consumers."
    )
    retention_days = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Kept this many days after collection, then purged by the sweep. Empty: no "
        "fixed period.",
    )
    sources = models.ManyToManyField(Source, blank=True, related_name="categories")
    purposes = models.ManyToManyField(BusinessPurpose, blank=True, related_name="categories")

    class Meta(InventoryEntry.Meta):
        db_table = "consent_category"
        verbose_name = "category of personal information"
        verbose_name_plural = "categories of personal information"

    @property
    def is_sold(self) -> bool:
        """Sold when any sharing of this category is a sale. Derived, so it cannot disagree."""
        return any(s.kind == Sharing.Kind.SALE for s in self.sharings.all())


class Sharing(models.Model):
    """One category of personal information sold or disclosed to one category of third parties,
    and why."""

    class Kind(models.TextChoices):
        SALE = "sale", "Sold"
        DISCLOSURE = "disclosure", "Disclosed for a business purpose"

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="sharings")
    third_party = models.ForeignKey(
        ThirdPartyCategory, on_delete=models.PROTECT, related_name="sharings"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    reason = models.TextField(help_text="Why it is sold or disclosed to them.")
    unless_opted_out = models.BooleanField(
        default=False,
        help_text="Only while the consumer has not opted out (for sales, always true).",
    )

    class Meta:
        db_table = "consent_sharing"
        ordering = ["category__display_order", "kind", "third_party__display_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "third_party", "kind"], name="sharing_unique_per_kind"
            ),
            # A sale stops when the consumer opts out (Civ. Code 1798.120): the row must say so.
            models.CheckConstraint(
                condition=~models.Q(kind="sale") | models.Q(unless_opted_out=True),
                name="sale_stops_on_opt_out",
            ),
        ]

    def __str__(self):
        return f"{self.category} {self.get_kind_display().lower()} to {self.third_party}"
