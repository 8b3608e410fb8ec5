"""The data inventory: seeded from the privacy notice's section I, edited by the privacy officer,
shown on /what-we-collect/ entirely from the database."""

import importlib
import io
import json

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice

from inventory.models import BusinessPurpose, Category, Sharing, Source, ThirdPartyCategory

pytestmark = pytest.mark.django_db

# The seed is consent's migration 0002, written before the inventory had an app of its own: it
# runs on the models as they were then (consent's), whose tables the inventory app's are.
seed = importlib.import_module("consent.migrations.0002_seed_inventory")

CATEGORY_SLUGS = [
    "name",
    "email-address",
    "shipping-address",
    "telephone-number",
    "credit-card-details",
    "ip-address",
    "photographs",
    "social-media-username",
]
DETAIL_SLUGS = ["demographic-information", "clothing-size", "cookies", "web-beacons"]
SOLD = ["name", "email-address", "shipping-address"]
NOT_SOLD = ["telephone-number", "credit-card-details", "ip-address", "photographs"]
SOLD_BADGE = "Sold to marketing partners unless you opt out"


def disclosed_to(slug):
    return set(
        Sharing.objects.filter(category__slug=slug, kind=Sharing.Kind.DISCLOSURE).values_list(
            "third_party__slug", flat=True
        )
    )


def article(html, slug):
    """The <article> of one category on the page."""
    start = html.index(f'<article id="{slug}"')
    return html[start : html.index("</article>", start)]


def get_page(client):
    response = client.get(reverse("inventory:what_we_collect"))
    assert response.status_code == 200
    return response.content.decode()


# --- The seed ---------------------------------------------------------------------------


def test_migration_seeds_the_eight_categories_in_the_notices_order():
    categories = Category.objects.filter(kind=Category.Kind.CATEGORY)
    assert list(categories.values_list("slug", flat=True)) == CATEGORY_SLUGS
    assert categories.get(slug="telephone-number").name == "Telephone number / cell number"
    assert categories.get(slug="ip-address").name == "Internet Protocol (IP) address"


def test_migration_seeds_the_further_details_after_the_categories():
    details = Category.objects.filter(kind=Category.Kind.DETAIL)
    assert list(details.values_list("slug", flat=True)) == DETAIL_SLUGS
    assert details.get(slug="cookies").name == "Web Cookies"
    demographics = details.get(slug="demographic-information")
    assert "demographic information" in demographics.purpose_statement


def test_migration_seeds_sources_purposes_and_third_parties_with_stable_slugs():
    assert {
        "directly-from-you",
        "your-device",
        "social-media",
        "marketing-partners",
    } <= set(Source.objects.values_list("slug", flat=True))
    assert set(ThirdPartyCategory.objects.values_list("slug", flat=True)) == {
        "marketing-partners",
        "credit-reference-agencies",
        "card-clearing-agencies",
        "fraud-prevention-partner",
        "delivery-companies",
        "research-companies",
        "analytics-advertising",
        "platform-hosts",
    }
    assert BusinessPurpose.objects.filter(slug="refunds").exists()
    assert Category.objects.get(slug="ip-address").sources.get().slug == "your-device"


def test_names_emails_and_shipping_addresses_are_sold_to_marketing_partners_only_unless_opted_out():
    sales = Sharing.objects.filter(kind=Sharing.Kind.SALE)
    assert sorted(sales.values_list("category__slug", flat=True)) == sorted(SOLD)
    assert set(sales.values_list("third_party__slug", flat=True)) == {"marketing-partners"}
    assert all(sale.unless_opted_out for sale in sales)
    for slug in SOLD:
        assert Category.objects.get(slug=slug).is_sold


def test_phone_card_ip_photos_and_social_media_username_are_not_sold():
    for slug in [*NOT_SOLD, "social-media-username"]:
        assert not Category.objects.get(slug=slug).is_sold, slug
    for slug in ["credit-card-details", "ip-address", "photographs", "social-media-username"]:
        sale_statement = Category.objects.get(slug=slug).sale_statement
        assert sale_statement == "We do not sell this data to third parties."
    # The notice has no "Sale:" line for telephone numbers: the statement must not claim one.
    phone = Category.objects.get(slug="telephone-number").sale_statement
    assert "does not list telephone numbers" in phone


def test_further_details_have_no_invented_sale():
    for slug in DETAIL_SLUGS:
        category = Category.objects.get(slug=slug)
        assert not category.is_sold
        assert "does not list" in category.sale_statement


def test_saved_card_details_are_kept_one_year_and_nothing_else_has_an_invented_period():
    card = Category.objects.get(slug="credit-card-details")
    assert card.retention_days == 365
    assert card.retention_statement.startswith(
        "We will securely store your payment card information for one year, to allow us to "
        "process refunds"
    )
    others = Category.objects.exclude(slug="credit-card-details")
    assert not others.filter(retention_days__isnull=False).exists()
    assert not others.filter(retention_statement="").exists()


def test_disclosures_match_the_notice():
    assert disclosed_to("name") == {
        "credit-reference-agencies",
        "card-clearing-agencies",
        "fraud-prevention-partner",
        "delivery-companies",
        "research-companies",
        "marketing-partners",
    }
    assert disclosed_to("email-address") == {"research-companies", "fraud-prevention-partner"}
    assert disclosed_to("shipping-address") == {
        "marketing-partners",
        "research-companies",
        "fraud-prevention-partner",
    }
    assert disclosed_to("telephone-number") == {
        "credit-reference-agencies",
        "card-clearing-agencies",
        "fraud-prevention-partner",
    }
    assert disclosed_to("credit-card-details") == {
        "credit-reference-agencies",
        "card-clearing-agencies",
    }
    assert disclosed_to("ip-address") == {"analytics-advertising"}
    assert disclosed_to("photographs") == {"platform-hosts"}
    assert disclosed_to("social-media-username") == set()
    social = Category.objects.get(slug="social-media-username")
    assert social.disclosure_statement == "We do not disclose this data to third parties."


def test_disclosure_to_marketing_partners_is_for_the_postal_suppression_list():
    reason = Sharing.objects.get(
        category__slug="name", third_party__slug="marketing-partners", kind="disclosure"
    ).reason
    assert "suppression list" in reason


def test_every_sharing_says_why():
    assert not Sharing.objects.filter(reason="").exists()


def test_dumpdata_exports_the_categories_and_the_sale_statements():
    out = io.StringIO()
    call_command("dumpdata", "inventory", stdout=out)
    rows = json.loads(out.getvalue())
    categories = {
        row["fields"]["slug"]: row["fields"] for row in rows if row["model"] == "inventory.category"
    }
    assert set(CATEGORY_SLUGS) <= set(categories)
    assert categories["name"]["sale_statement"].startswith(
        "We do sell names to marketing partners for commercial purposes, unless you have told us "
        "not to."
    )
    assert categories["email-address"]["sale_statement"].startswith(
        "We do pass on emails to marketing partners"
    )
    assert categories["shipping-address"]["sale_statement"].startswith(
        "We do pass on addresses to marketing partners"
    )


def models_at_the_seed():
    """The models as consent's migration 0002 sees them (the app registry of that moment)."""
    state = MigrationLoader(connection).project_state(("consent", "0002_seed_inventory"))
    return state.apps


def test_seed_is_reversible_and_can_run_again():
    apps_then = models_at_the_seed()
    seed.unseed_inventory(apps_then, None)
    assert not Category.objects.exists()
    assert not ThirdPartyCategory.objects.exists()
    seed.seed_inventory(apps_then, None)
    seed.seed_inventory(apps_then, None)
    assert Category.objects.count() == len(CATEGORY_SLUGS) + len(DETAIL_SLUGS)
    assert Sharing.objects.filter(kind=Sharing.Kind.SALE).count() == 3


# --- The database holds the rule ----------------------------------------------------------


def test_database_refuses_a_sale_that_would_continue_after_opt_out():
    with pytest.raises(IntegrityError), transaction.atomic():
        Sharing.objects.create(
            category=Category.objects.get(slug="telephone-number"),
            third_party=ThirdPartyCategory.objects.get(slug="marketing-partners"),
            kind=Sharing.Kind.SALE,
            reason="test",
            unless_opted_out=False,
        )


def test_admin_form_validation_refuses_a_sale_that_would_continue_after_opt_out():
    sharing = Sharing(
        category=Category.objects.get(slug="telephone-number"),
        third_party=ThirdPartyCategory.objects.get(slug="marketing-partners"),
        kind=Sharing.Kind.SALE,
        reason="test",
        unless_opted_out=False,
    )
    with pytest.raises(ValidationError):
        sharing.full_clean()


# --- The public page ----------------------------------------------------------------------


def test_page_shows_every_category_and_detail_with_its_sale_badge(client):
    html = get_page(client)
    for category in Category.objects.all():
        assert str(category.name) in html
    for slug in SOLD:
        assert SOLD_BADGE in article(html, slug)
        assert "Not sold" not in article(html, slug)
    for slug in [*NOT_SOLD, "social-media-username"]:
        assert "Not sold" in article(html, slug)
        assert SOLD_BADGE not in article(html, slug)
    assert "Further details we collect" in html


def test_page_shows_sources_purposes_disclosures_and_retention(client):
    html = get_page(client)
    ip = article(html, "ip-address")
    assert "Your browser or device" in ip
    assert "Website analytics and improvement" in ip
    assert "Analytics and advertising companies" in ip
    assert "They help us analyze site usage, visitor numbers and advertising." in ip
    card = article(html, "credit-card-details")
    assert "one year" in card
    assert "Retention period: 365 days" in card
    social = article(html, "social-media-username")
    assert "We do not disclose this data to third parties." in social
    assert "<table" not in social


def test_page_has_no_script_and_no_inline_style(client):
    html = get_page(client)
    assert "<script" not in html
    assert "style=" not in html


def test_page_shows_what_the_privacy_officer_changed(client):
    Category.objects.filter(slug="ip-address").update(
        purpose_statement="Only to count visitors, nothing else."
    )
    Sharing.objects.filter(category__slug="name", kind=Sharing.Kind.SALE).delete()
    html = get_page(client)
    assert "Only to count visitors, nothing else." in article(html, "ip-address")
    assert "Not sold" in article(html, "name")
    assert SOLD_BADGE not in article(html, "name")


def test_page_query_count_does_not_grow_with_the_inventory(client):
    url = reverse("inventory:what_we_collect")
    with CaptureQueriesContext(connection) as before:
        assert client.get(url).status_code == 200

    extra = Category.objects.create(
        slug="purchase-history",
        name="Purchase history",
        purpose_statement="To process orders.",
    )
    extra.sources.set(Source.objects.all())
    extra.purposes.set(BusinessPurpose.objects.all())
    for third_party in ThirdPartyCategory.objects.all():
        Sharing.objects.create(
            category=extra, third_party=third_party, kind=Sharing.Kind.DISCLOSURE, reason="x"
        )

    with CaptureQueriesContext(connection) as after:
        html = client.get(url).content.decode()
    assert "Purchase history" in html
    assert len(after.captured_queries) == len(before.captured_queries)


# --- The privacy officer's admin ----------------------------------------------------------


@pytest.fixture
def officer_client(client):
    """A superuser signed in with a verified second factor, as the OTP admin requires."""
    officer = get_user_model().objects.create_superuser("officer", "officer@example.com", "x")
    device = StaticDevice.objects.create(user=officer, name="backup")
    client.force_login(officer)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def test_all_five_inventory_models_are_in_the_admin():
    for model in (Source, BusinessPurpose, ThirdPartyCategory, Category, Sharing):
        assert admin.site.is_registered(model), model


def test_privacy_officer_sees_the_inventory_and_whether_each_category_is_sold(officer_client):
    response = officer_client.get(reverse("admin:inventory_category_changelist"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Telephone number / cell number" in html
    assert 'alt="True"' in html and 'alt="False"' in html


def test_privacy_officer_edits_a_category_with_its_sharings_inline(officer_client):
    name = Category.objects.get(slug="name")
    response = officer_client.get(reverse("admin:inventory_category_change", args=[name.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "sharings-TOTAL_FORMS" in html
    assert "suppression list" in html
    # The slug other code relies on is shown but cannot be edited.
    assert 'name="slug"' not in html


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:inventory_source_changelist",
        "admin:inventory_businesspurpose_changelist",
        "admin:inventory_thirdpartycategory_changelist",
        "admin:inventory_sharing_changelist",
    ],
)
def test_privacy_officer_can_list_the_reference_tables(officer_client, url_name):
    assert officer_client.get(reverse(url_name)).status_code == 200
