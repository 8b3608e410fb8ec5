"""Seed the data systems the privacy notice implies (DESIGN.md, "Where the consumer's data lives").

Reference data, not fixtures: the privacy officer edits names, descriptions and contact emails in
the admin afterwards, so the forward step only adds systems that are missing and never overwrites
an edited row. The slugs are stable: imports (`shop-database`) and the demo data refer to them.
"""

from django.db import migrations

INTERNAL = "internal"
SERVICE_PROVIDER = "service_provider"
THIRD_PARTY = "third_party"
AUTOMATED = "internal"
MANUAL = "manual"

DATA_SYSTEMS = [
    {
        "slug": "shop-database",
        "name": "Shop database",
        "kind": INTERNAL,
        "connector": AUTOMATED,
        "description": "The shop's customer, order and account database, as mirrored in this "
        "portal by the import_consumers command. Requests reach it automatically.",
    },
    {
        "slug": "email-marketing",
        "name": "Email marketing service",
        "kind": SERVICE_PROVIDER,
        "connector": MANUAL,
        "description": "Sends order confirmations, offers and newsletters (the notice, 'Email "
        "address'). Marketing email opt-outs must reach it within five business days.",
    },
    {
        "slug": "site-analytics",
        "name": "Site analytics",
        "kind": SERVICE_PROVIDER,
        "connector": MANUAL,
        "description": "Web analytics and advertising measurement, e.g. Google Analytics: IP "
        "addresses, cookies and web beacons (the notice, 'Your Internet Protocol (IP) address').",
    },
    {
        "slug": "fraud-prevention",
        "name": "Fraud prevention partner",
        "kind": SERVICE_PROVIDER,
        "connector": MANUAL,
        "description": "The fraud prevention and 3D-secure partner: names, email and shipping "
        "addresses, telephone numbers.",
    },
    {
        "slug": "delivery-companies",
        "name": "Delivery companies",
        "kind": SERVICE_PROVIDER,
        "connector": MANUAL,
        "description": "Carriers that deliver orders: names, shipping addresses, telephone "
        "numbers.",
    },
    {
        "slug": "payment-processor",
        "name": "Payment processor",
        "kind": SERVICE_PROVIDER,
        "connector": MANUAL,
        "description": "Credit card clearing agency: card details and the cardholder's name.",
    },
    {
        "slug": "marketing-partners",
        "name": "Marketing partners",
        "kind": THIRD_PARTY,
        "connector": MANUAL,
        "description": "Partners to whom names, email addresses and shipping addresses are sold "
        "for commercial purposes, unless the consumer has opted out; also given suppression "
        "lists for postal marketing.",
    },
    {
        "slug": "research-companies",
        "name": "Research companies",
        "kind": THIRD_PARTY,
        "connector": MANUAL,
        "description": "Outside research companies asked to contact consumers for their "
        "opinions on products and services.",
    },
]


def seed(apps, schema_editor):
    DataSystem = apps.get_model("registry", "DataSystem")
    for system in DATA_SYSTEMS:
        fields = dict(system)
        slug = fields.pop("slug")
        DataSystem.objects.get_or_create(slug=slug, defaults=fields)


def unseed(apps, schema_editor):
    # Systems that records or orders point at are kept (PROTECT): reversing a migration must
    # not fail half-way nor take personal data with it.
    DataSystem = apps.get_model("registry", "DataSystem")
    DataSystem.objects.filter(
        slug__in=[system["slug"] for system in DATA_SYSTEMS],
        records__isnull=True,
        orders__isnull=True,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(seed, unseed),
    ]
