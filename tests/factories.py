"""factory-boy factories and the named personas tests are written with (STYLE.md, "Tests").

Reference rows (categories, sources, data systems) are looked up by slug and created only when
missing, so the factories work with the seeded inventory (consent 0002, registry 0002) and
without it. Personas read like the scenario: `consumer()`, `consumer_with_account()`,
`care_representative()`, `privacy_officer()`, `outsider()`.
"""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import legal_clock
from inventory.models import Category, Source
from registry.models import Consumer, DataSystem, Order, PersonalRecord
from requests_app.models import Channel, PrivacyRequest, RequesterKind, RequestType, Status

PASSWORD = "correct-horse-battery-staple"


class CategoryFactory(factory.django.DjangoModelFactory[Category]):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    purpose_statement = "Used for the purposes the notice names."


class SourceFactory(factory.django.DjangoModelFactory[Source]):
    class Meta:
        model = Source
        django_get_or_create = ("slug",)

    slug = "directly-from-you"
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())


class DataSystemFactory(factory.django.DjangoModelFactory[DataSystem]):
    class Meta:
        model = DataSystem
        django_get_or_create = ("slug",)

    slug = "shop-database"
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").capitalize())
    kind = DataSystem.Kind.INTERNAL
    connector = DataSystem.Connector.INTERNAL


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(PASSWORD)


class ConsumerFactory(factory.django.DjangoModelFactory[Consumer]):
    class Meta:
        model = Consumer

    shop_customer_id = factory.Sequence(lambda n: f"C-{n:05d}")
    full_name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"shopper{n}@example.com")
    phone = factory.Sequence(lambda n: f"+1415555{n % 100 + 100:04d}")


class PersonalRecordFactory(factory.django.DjangoModelFactory[PersonalRecord]):
    class Meta:
        model = PersonalRecord

    consumer = factory.SubFactory(ConsumerFactory)
    category = factory.SubFactory(CategoryFactory, slug="email-address", name="Email address")
    value = factory.LazyAttribute(lambda o: o.consumer.email)
    source = factory.SubFactory(SourceFactory)
    data_system = factory.SubFactory(DataSystemFactory)
    collected_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=30))


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    class Meta:
        model = Order

    consumer = factory.SubFactory(ConsumerFactory)
    order_number = factory.Sequence(lambda n: f"DP-{n:06d}")
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    items = "Women's Chunky Heel Ankle Booties, size 8"
    total = Decimal("49.99")
    data_system = factory.SubFactory(DataSystemFactory)


# --- Personas ---------------------------------------------------------------------------------


def address_record(consumer: Consumer, **details) -> PersonalRecord:
    """A shipping address as the import stores it: a one-line value and its parts."""
    parts = {"line1": "742 Sample Lane", "line2": "", "city": "San Francisco", "state": "CA"}
    parts |= {"zip_code": "94110"} | details
    street = ", ".join(p for p in (parts["line1"], parts["line2"]) if p)
    return PersonalRecordFactory.create(
        consumer=consumer,
        category=CategoryFactory(slug="shipping-address", name="Shipping address"),
        value=f"{street}, {parts['city']}, {parts['state']} {parts['zip_code']}",
        details=parts,
    )


def consumer(*, orders: int = 2, zip_code: str = "94110", **fields) -> Consumer:
    """A shopper without an account: name, email and phone records, a shipping address, and
    `orders` orders, the most recent placed 10 days ago."""
    person = ConsumerFactory.create(**fields)
    PersonalRecordFactory.create(
        consumer=person,
        category=CategoryFactory(slug="name", name="Name"),
        value=person.full_name,
    )
    PersonalRecordFactory.create(consumer=person)  # email address
    if person.phone:
        PersonalRecordFactory.create(
            consumer=person,
            category=CategoryFactory(slug="telephone-number", name="Telephone number"),
            value=person.phone,
        )
    address_record(person, zip_code=zip_code)
    now = timezone.now()
    for index in range(orders):
        OrderFactory.create(consumer=person, placed_at=now - timedelta(days=10 + 60 * index))
    return person


def consumer_with_account(**fields) -> Consumer:
    """A shopper with a password account (password: factories.PASSWORD) linked to its record."""
    person = consumer(**fields)
    person.user = UserFactory.create(username=person.email, email=person.email)
    person.save(update_fields=["user"])
    return person


def staff_member(*, username: str, is_superuser: bool = False):
    """A staff user with a confirmed TOTP device (django-otp); password: factories.PASSWORD."""
    user = UserFactory.create(username=username, is_staff=True, is_superuser=is_superuser)
    TOTPDevice.objects.get_or_create(user=user, name="authenticator", defaults={"confirmed": True})
    return user


def care_representative(username: str = "care-rep"):
    return staff_member(username=username)


def privacy_officer(username: str = "privacy-officer"):
    # Superuser until roles arrive; then this persona gets the officer's group instead.
    return staff_member(username=username, is_superuser=True)


def outsider(username: str = "outsider"):
    """Someone with an account who is neither staff nor the consumer a request is about."""
    return UserFactory.create(username=username)


NOTICE_CATEGORIES = (
    "name",
    "email-address",
    "shipping-address",
    "telephone-number",
    "credit-card-details",
    "ip-address",
    "photographs",
    "social-media-username",
    "demographic-information",
    "clothing-size",
    "cookies",
    "web-beacons",
)
NOTICE_SOURCES = (
    "directly-from-you",
    "your-device",
    "social-media",
    "marketing-partners",
    "influencer-partnerships",
)


def inventory() -> None:
    """Make sure every category and source of the notice exists (normally seeded by consent's
    migration 0002; created here only if missing)."""
    for slug in NOTICE_CATEGORIES:
        CategoryFactory(slug=slug)
    for slug in NOTICE_SOURCES:
        SourceFactory(slug=slug)


class PrivacyRequestFactory(factory.django.DjangoModelFactory[PrivacyRequest]):
    """A request as submitted on the website, its deadlines computed from `received_at`.
    Tests that exercise submission itself go through requests_app.services.request_submit."""

    class Meta:
        model = PrivacyRequest

    reference = factory.Sequence(lambda n: f"PR-2026-{900000 + n:06d}")
    request_type = RequestType.KNOW_CATEGORIES
    requested_type = factory.SelfAttribute("request_type")
    requester_kind = RequesterKind.SELF
    channel = Channel.WEB
    status = Status.VERIFYING
    requester_name = "Dana Shopper"
    requester_email = factory.Sequence(lambda n: f"requester{n}@example.com")
    received_at = factory.LazyFunction(timezone.now)
    acknowledge_by = factory.LazyAttribute(lambda r: legal_clock.acknowledge_by(r.received_at))
    due_at = factory.LazyAttribute(lambda r: legal_clock.respond_by(r.received_at))
    extension_limit_at = factory.LazyAttribute(
        lambda r: legal_clock.latest_extended_response(r.received_at)
    )
