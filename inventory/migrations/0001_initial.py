"""The data inventory moves from consent to this app, which sits below the registry (whose
records name a category and a source) and below consent. Only Django's idea of the models moves:
the tables keep their names (consent_category, consent_category_sources, ...) and every row, the
officer's edits included. registry 0004 points the records' foreign keys here; consent 0004
forgets the models; staff 0005 moves their content types and permissions."""

import django.db.models.deletion
from django.db import migrations, models

ENTRY_FIELDS = [
    ("slug", models.SlugField(max_length=60, unique=True)),
    ("name", models.CharField(max_length=120)),
    ("description", models.TextField(blank=True)),
    ("display_order", models.PositiveSmallIntegerField(default=0)),
]


def _id():
    return (
        "id",
        models.BigAutoField(
            auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
        ),
    )


def _entry(name, options):
    return migrations.CreateModel(
        name=name,
        fields=[_id(), *ENTRY_FIELDS],
        options={"ordering": ["display_order", "name"], "abstract": False, **options},
    )


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        # The tables exist and are seeded (consent 0001 and 0002, from before the move).
        ("consent", "0002_seed_inventory"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                _entry(
                    "BusinessPurpose",
                    {"db_table": "consent_businesspurpose", "verbose_name": "business purpose"},
                ),
                _entry(
                    "Source",
                    {
                        "db_table": "consent_source",
                        "verbose_name": "category of sources",
                        "verbose_name_plural": "categories of sources",
                    },
                ),
                _entry(
                    "ThirdPartyCategory",
                    {
                        "db_table": "consent_thirdpartycategory",
                        "verbose_name": "category of third parties",
                        "verbose_name_plural": "categories of third parties",
                    },
                ),
                migrations.CreateModel(
                    name="Category",
                    fields=[
                        _id(),
                        *ENTRY_FIELDS,
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("category", "Category of personal information"),
                                    ("detail", "Further detail"),
                                ],
                                default="category",
                                max_length=10,
                            ),
                        ),
                        (
                            "purpose_statement",
                            models.TextField(
                                help_text="How the notice says this information is used, in its own words."
                            ),
                        ),
                        (
                            "sale_statement",
                            models.TextField(
                                blank=True,
                                help_text="What the notice says about selling this information.",
                            ),
                        ),
                        (
                            "disclosure_statement",
                            models.TextField(
                                blank=True,
                                help_text="What the notice says about disclosing this information.",
                            ),
                        ),
                        (
                            "retention_statement",
                            models.TextField(
                                blank=True, help_text="How long it is kept, as told to consumers."
                            ),
                        ),
                        (
                            "retention_days",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="Kept this many days after collection, then purged by the sweep. Empty: no fixed period.",
                                null=True,
                            ),
                        ),
                        (
                            "purposes",
                            models.ManyToManyField(
                                blank=True,
                                related_name="categories",
                                to="inventory.businesspurpose",
                            ),
                        ),
                        (
                            "sources",
                            models.ManyToManyField(
                                blank=True, related_name="categories", to="inventory.source"
                            ),
                        ),
                    ],
                    options={
                        "db_table": "consent_category",
                        "verbose_name": "category of personal information",
                        "verbose_name_plural": "categories of personal information",
                        "ordering": ["display_order", "name"],
                        "abstract": False,
                    },
                ),
                migrations.CreateModel(
                    name="Sharing",
                    fields=[
                        _id(),
                        (
                            "kind",
                            models.CharField(
                                choices=[
                                    ("sale", "Sold"),
                                    ("disclosure", "Disclosed for a business purpose"),
                                ],
                                max_length=12,
                            ),
                        ),
                        (
                            "reason",
                            models.TextField(help_text="Why it is sold or disclosed to them."),
                        ),
                        (
                            "unless_opted_out",
                            models.BooleanField(
                                default=False,
                                help_text="Only while the consumer has not opted out (for sales, always true).",
                            ),
                        ),
                        (
                            "category",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="sharings",
                                to="inventory.category",
                            ),
                        ),
                        (
                            "third_party",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="sharings",
                                to="inventory.thirdpartycategory",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "consent_sharing",
                        "ordering": [
                            "category__display_order",
                            "kind",
                            "third_party__display_order",
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("category", "third_party", "kind"),
                                name="sharing_unique_per_kind",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    models.Q(("kind", "sale"), _negated=True),
                                    ("unless_opted_out", True),
                                    _connector="OR",
                                ),
                                name="sale_stops_on_opt_out",
                            ),
                        ],
                    },
                ),
            ],
        ),
    ]
