"""Load demo data for development: ~50 consumers with records and orders, a consumer login, and
two staff logins with a second factor whose secrets are fixed so the README can print them.

Safe to run again: consumers, users and devices that exist are left as they are (a changed
password stays changed), nothing is created twice, and the logins are printed every time.
Refuses to run with DEBUG off: these logins are public knowledge.
"""

import random
from base64 import b32encode
from binascii import unhexlify
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core import legal_clock
from demo.requests import demo_requests_create
from inventory.models import Category, Source
from registry.models import Consumer, DataSystem
from registry.services import ConsumerImportError, consumer_import

DEVICE_NAME = "demo authenticator"
BACKUP_DEVICE_NAME = "demo backup codes"
CONSUMER_COUNT = 50  # Dana Demo (DEMO-0001) and 49 consumers without an account
SEED = 2026


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    email: str
    password: str
    role: str
    group: str  # the staff role (staff/roles.py)
    is_superuser: bool
    totp_key: str  # hex, as TOTPDevice stores it
    backup_codes: tuple[str, ...]


DEMO_CONSUMER_EMAIL = "demo@example.com"
DEMO_CONSUMER_PASSWORD = "demo-consumer-2026"  # noqa: S105  (public demo login, DEBUG only)
DEMO_STAFF = (
    DemoStaff(
        username="officer",
        first_name="Olivia",
        email="officer@example.com",
        password="officer-demo-2026",  # noqa: S106  (public demo login, DEBUG only)
        role="Privacy officer (staff; also a superuser, for the admin's reference data)",
        group="Privacy officer",
        is_superuser=True,
        # b"officer-demo-totp-01" in hex: 20 bytes, as authenticator apps expect.
        totp_key="6f6666696365722d64656d6f2d746f74702d3031",
        backup_codes=(
            "officer1demo",
            "officer2demo",
            "officer3demo",
            "officer4demo",
            "officer5demo",
        ),
    ),
    DemoStaff(
        username="care",
        first_name="Carmen",
        email="care@example.com",
        password="care-demo-2026",  # noqa: S106  (public demo login, DEBUG only)
        role="Customer care representative (staff)",
        group="Customer care",
        is_superuser=False,
        # b"care-demo-totp-key01" in hex.
        totp_key="636172652d64656d6f2d746f74702d6b65793031",
        backup_codes=("care1demo", "care2demo", "care3demo", "care4demo", "care5demo"),
    ),
    DemoStaff(
        username="auditor",
        first_name="Audrey",
        email="auditor@example.com",
        password="auditor-demo-2026",  # noqa: S106  (public demo login, DEBUG only)
        role="Auditor (staff; reads the history and the metrics)",
        group="Auditor",
        is_superuser=False,
        # b"auditor-demo-totp-01" in hex.
        totp_key="61756469746f722d64656d6f2d746f74702d3031",
        backup_codes=(
            "auditor1demo",
            "auditor2demo",
            "auditor3demo",
            "auditor4demo",
            "auditor5demo",
        ),
    ),
)

CATEGORIES = (
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
SOURCES = ("directly-from-you", "your-device", "social-media", "influencer-partnerships")
DATA_SYSTEMS = ("shop-database", "site-analytics", "email-marketing", "marketing-partners")

FIRST_NAMES = (
    "Ava", "Ben", "Carmen", "Diego", "Elena", "Felix", "Grace", "Hiro", "Imani", "Jonah",
    "Keiko", "Liam", "Maya", "Nico", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tara",
    "Umar", "Vera", "Wes", "Ximena", "Yusuf", "Zoe", "Andre", "Bianca", "Caleb", "Dalia",
)  # fmt: skip
LAST_NAMES = (
    "Alvarez", "Brooks", "Chen", "Duarte", "Ellison", "Flores", "Garcia", "Hughes", "Ito",
    "Jensen", "Kim", "Lopez", "Morales", "Nguyen", "Okafor", "Patel", "Quintero", "Reyes",
    "Singh", "Tanaka", "Underwood", "Vasquez", "Walker", "Xu", "Young", "Zamora",
)  # fmt: skip
STREETS = (
    "Maple Ave", "Oak St", "Cedar Ln", "Sunset Blvd", "Mission St", "Harbor Dr", "Pine St",
    "Valencia St", "Lincoln Ave", "Orchard Rd", "Bay View Ct", "Hillcrest Dr", "Palm Way",
)  # fmt: skip
# (city, state, zip code, telephone area code): California mostly, as the shop's customers are.
CITIES = (
    ("San Francisco", "CA", "94110", "415"),
    ("Los Angeles", "CA", "90012", "213"),
    ("San Diego", "CA", "92101", "619"),
    ("San Jose", "CA", "95112", "408"),
    ("Sacramento", "CA", "95814", "916"),
    ("Oakland", "CA", "94607", "510"),
    ("Fresno", "CA", "93721", "559"),
    ("Long Beach", "CA", "90802", "562"),
    ("Irvine", "CA", "92618", "949"),
    ("Pasadena", "CA", "91101", "626"),
    ("New York", "NY", "10001", "212"),
    ("Austin", "TX", "78701", "512"),
    ("Portland", "OR", "97205", "503"),
    ("North Bergen", "NJ", "07047", "201"),
    ("Seattle", "WA", "98101", "206"),
)
CALIFORNIA = [c for c in CITIES if c[1] == "CA"]
ELSEWHERE = [c for c in CITIES if c[1] != "CA"]
PRODUCTS = (
    ("Women's Chunky Heel Ankle Booties", "49.99"),
    ("Men's Lightweight Running Shoes", "39.99"),
    ("Women's Slip-On Loafers", "34.99"),
    ("Kids' Light-Up Sneakers", "29.99"),
    ("Men's Waterproof Hiking Boots", "59.99"),
    ("Women's Platform Sandals", "32.99"),
    ("Women's Knee-High Riding Boots", "69.99"),
    ("Men's Oxford Dress Shoes", "44.99"),
    ("Women's Memory Foam Walking Shoes", "36.99"),
    ("Unisex Fuzzy House Slippers", "19.99"),
)
CARD_BRANDS = ("Visa", "Mastercard", "American Express", "Discover")
SOCIAL_NETWORKS = ("Instagram", "TikTok", "Facebook", "Pinterest")
AGE_RANGES = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
IP_RANGES = ("192.0.2", "198.51.100", "203.0.113")  # documentation ranges (RFC 5737)
CAMPAIGNS = ("Spring sale", "New boots are in", "Your cart misses you", "Rewards summary")


class Command(BaseCommand):
    help = (
        "Load demo consumers and the demo logins (consumer, privacy officer, customer care). "
        "Safe to run twice. Development only: refuses to run with DEBUG off."
    )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates logins whose passwords and second factors are published: "
                "it runs only with DEBUG on"
            )
        self._check_reference_data()

        rows = demo_rows(now=timezone.now())
        existing = set(
            Consumer.objects.filter(
                shop_customer_id__in=[row["customer_id"] for row in rows]
            ).values_list("shop_customer_id", flat=True)
        )
        missing = [row for row in rows if row["customer_id"] not in existing]
        if missing:
            try:
                result = consumer_import(rows=missing, source_label="demo data")
            except ConsumerImportError as exc:
                raise CommandError(str(exc)) from exc
            if result.rejected:
                raise CommandError(
                    "the demo data was rejected: " + "; ".join(map(str, result.rejected))
                )
        self.stdout.write(f"Demo consumers: {len(missing)} created, {len(existing)} already there.")

        with transaction.atomic():
            consumer_user = self._consumer_login()
            staff = [self._staff_login(member) for member in DEMO_STAFF]
            created = demo_requests_create(now=timezone.now())
        self.stdout.write(f"Demo requests: {created} created.")
        self._print_logins(consumer_user, staff)

    def _check_reference_data(self) -> None:
        missing = sorted(
            {f"category '{s}'" for s in CATEGORIES}
            - {f"category '{s}'" for s in Category.objects.values_list("slug", flat=True)}
        )
        missing += sorted(
            {f"source '{s}'" for s in SOURCES}
            - {f"source '{s}'" for s in Source.objects.values_list("slug", flat=True)}
        )
        missing += sorted(
            {f"data system '{s}'" for s in DATA_SYSTEMS}
            - {f"data system '{s}'" for s in DataSystem.objects.values_list("slug", flat=True)}
        )
        if missing:
            raise CommandError(
                f"the inventory lacks {', '.join(missing)}: run `manage.py migrate` first"
            )

    def _consumer_login(self):
        User = get_user_model()
        user = User.objects.filter(username=DEMO_CONSUMER_EMAIL).first()
        if user is None:
            user = User.objects.create_user(
                username=DEMO_CONSUMER_EMAIL,
                email=DEMO_CONSUMER_EMAIL,
                password=DEMO_CONSUMER_PASSWORD,
                first_name="Dana",
                last_name="Demo",
            )
        # Dana's consumer record is the account's; link them unless either was linked since.
        if not Consumer.objects.filter(user=user).exists():
            Consumer.objects.filter(shop_customer_id=demo_customer_id(1), user__isnull=True).update(
                user=user
            )
        return user

    def _staff_login(self, member: DemoStaff):
        User = get_user_model()
        user = User.objects.filter(username=member.username).first()
        if user is None:
            user = User.objects.create_user(
                username=member.username,
                first_name=member.first_name,
                email=member.email,
                password=member.password,
                is_staff=True,
                is_superuser=member.is_superuser,
            )
        user.groups.add(Group.objects.get(name=member.group))
        totp = TOTPDevice.objects.filter(user=user, name=DEVICE_NAME).first()
        if totp is None:
            totp = TOTPDevice.objects.create(
                user=user, name=DEVICE_NAME, key=member.totp_key, confirmed=True
            )
        backup = StaticDevice.objects.filter(user=user, name=BACKUP_DEVICE_NAME).first()
        if backup is None:
            backup = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
            StaticToken.objects.bulk_create(
                StaticToken(device=backup, token=code) for code in member.backup_codes
            )
        left = set(backup.token_set.values_list("token", flat=True))
        unused = [code for code in member.backup_codes if code in left]
        return member, user, totp, unused

    def _print_logins(self, consumer_user, staff) -> None:
        out = self.stdout.write
        out("")
        out("Demo logins")
        out("===========")
        out("(Development only. Passwords are the seeded ones unless changed since.)")
        out("")
        out("Consumer with an account (Dana Demo)")
        out(f"  username: {consumer_user.username}")
        out(f"  password: {DEMO_CONSUMER_PASSWORD}")
        dana = Consumer.objects.filter(shop_customer_id=demo_customer_id(1)).first()
        if dana is not None:
            address = dana.records.filter(category__slug="shipping-address").first()
            last_order = dana.orders.order_by("-placed_at").first()
            if address and last_order:
                placed = legal_clock.local_date(last_order.placed_at).isoformat()
                out(
                    f"  data points: email {dana.email}, zip {address.details.get('zip_code')}, "
                    f"most recent order {last_order.order_number} of {placed}"
                )
        for member, user, totp, unused in staff:
            out("")
            out(member.role)
            out(f"  username: {user.username}")
            out(f"  password: {member.password}")
            out(f"  TOTP secret (base32): {b32encode(unhexlify(totp.key)).decode()}")
            out(f"  otpauth URI: {totp.config_url}")
            if unused:
                out(f"  backup code: {unused[0]} (one use each; {len(unused)} left)")
            else:
                out(
                    f"  backup code: none left; delete the '{BACKUP_DEVICE_NAME}' device in the "
                    "admin and run seed_demo again"
                )
        out("")
        out("Current 6-digit code without an app: python manage.py demo_otp officer")
        out("                                      python manage.py demo_otp care")


def demo_customer_id(number: int) -> str:
    return f"DEMO-{number:04d}"


def demo_rows(*, now: datetime) -> list[dict[str, Any]]:
    """The demo consumers as import rows (docs/import-format.md, JSON), the same on every run
    for the same `now`: a seeded generator, no Faker (a development dependency only)."""
    rng = random.Random(SEED)  # noqa: S311  (demo data, not a secret)
    rows = [_dana(now=now, rng=rng)]
    used_names: set[str] = {"Dana Demo"}
    for number in range(2, CONSUMER_COUNT + 1):
        while True:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            if f"{first} {last}" not in used_names:
                used_names.add(f"{first} {last}")
                break
        rows.append(_consumer(number, first, last, now=now, rng=rng))
    return rows


def _moment(now: datetime, rng: random.Random, *, max_days: int, min_days: int = 0) -> str:
    moment = now - timedelta(days=rng.randint(min_days, max_days), minutes=rng.randint(0, 1439))
    return moment.replace(microsecond=0).isoformat()


def _consumer(
    number: int, first: str, last: str, *, now: datetime, rng: random.Random
) -> dict[str, Any]:
    customer_id = demo_customer_id(number)
    city, state, zip_code, area = rng.choice(CALIFORNIA if rng.random() < 0.8 else ELSEWHERE)
    # First seen some time in the last 24 months; everything else comes after.
    first_seen_days = rng.randint(30, 730)
    first_seen = _moment(now, rng, max_days=first_seen_days, min_days=first_seen_days)

    def later() -> str:
        return _moment(now, rng, max_days=first_seen_days)

    email = f"{first}.{last}{number}@{rng.choice(EMAIL_DOMAINS)}".lower()
    row: dict[str, Any] = {
        "customer_id": customer_id,
        "full_name": f"{first} {last}",
        "email": email,
        "collected_at": first_seen,
        "address_line1": f"{rng.randint(10, 9899)} {rng.choice(STREETS)}",
        "address_line2": rng.choice(["", "", "", f"Apt {rng.randint(1, 40)}"]),
        "city": city,
        "state": state,
        "zip_code": zip_code,
    }
    if rng.random() < 0.9:
        # 555-0100 to 555-0199: reserved for fiction, and valid to the phonenumbers library.
        row["phone"] = f"({area}) 555-01{number % 100:02d}"
    if rng.random() < 0.4:
        row["birth_date"] = (
            f"{rng.randint(1955, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        )

    records: list[dict[str, Any]] = []
    # The sources follow the inventory's (consent migration 0002): a know report names them.
    if not row.get("birth_date") and rng.random() < 0.3:
        records.append(
            {
                "category": "demographic-information",
                "value": f"Age range: {rng.choice(AGE_RANGES)}",
                "collected_at": later(),
            }
        )
    if rng.random() < 0.2:
        line1 = f"{rng.randint(10, 9899)} {rng.choice(STREETS)}"
        other_city, other_state, other_zip, _ = rng.choice(CITIES)
        records.append(
            {
                "category": "shipping-address",
                "details": {
                    "line1": line1,
                    "city": other_city,
                    "state": other_state,
                    "zip_code": other_zip,
                },
                "collected_at": later(),
            }
        )
    if rng.random() < 0.6:
        records.append(_card(rng, collected_at=later()))
    if rng.random() < 0.8:
        for _ in range(rng.randint(1, 3)):
            records.append(_ip(rng, collected_at=later()))
    if rng.random() < 0.5:
        records.append(_cookie(rng, collected_at=later()))
    if rng.random() < 0.2:
        records.append(_beacon(rng, collected_at=later()))
    if rng.random() < 0.2:
        for index in range(1, rng.randint(1, 3) + 1):
            records.append(
                {
                    "category": "photographs",
                    "value": f"review-photo-{number:04d}-{index}.jpg",
                    "details": {
                        "file_name": f"review-photo-{number:04d}-{index}.jpg",
                        "context": "product review upload",
                    },
                    "source": rng.choice(["directly-from-you", "social-media"]),
                    "collected_at": later(),
                }
            )
    if rng.random() < 0.3:
        network = rng.choice(SOCIAL_NETWORKS)
        records.append(
            {
                "category": "social-media-username",
                "value": f"@{first.lower()}{rng.choice(['.walks', '_steps', 'inheels', '.kicks'])}",
                "details": {"network": network},
                "source": "social-media",
                "collected_at": later(),
            }
        )
    if rng.random() < 0.1:
        # An influencer (the notice, "Photographs"): campaign images and their clothing size.
        shoot = later()
        records += [
            {
                "category": "clothing-size",
                "value": f"Shoe size: US {rng.choice(['women', 'men'])}'s {rng.randint(5, 12)}",
                "source": "influencer-partnerships",
                "collected_at": shoot,
            },
            {
                "category": "photographs",
                "value": f"campaign-shoot-{number:04d}.jpg",
                "details": {
                    "file_name": f"campaign-shoot-{number:04d}.jpg",
                    "context": "influencer campaign",
                },
                "source": "influencer-partnerships",
                "collected_at": shoot,
            },
        ]
    if rng.random() < 0.6:
        # Subscribed to marketing email: the email marketing service holds the address too.
        records.append(
            {
                "category": "email-address",
                "value": email,
                "data_system": "email-marketing",
                "collected_at": later(),
            }
        )
    if rng.random() < 0.4:
        # Sold to marketing partners (the notice, "Name" and "Email address": "Sale").
        sold_at = later()
        for category, value in (("name", row["full_name"]), ("email-address", email)):
            records.append(
                {
                    "category": category,
                    "value": value,
                    "data_system": "marketing-partners",
                    "details": {"shared_as": "sale"},
                    "collected_at": sold_at,
                }
            )
    row["records"] = records
    # Numbered in the order they were placed; the last is the "most recent purchase" that
    # verification asks about.
    placed = sorted((later() for _ in range(rng.randint(1, 5))), key=datetime.fromisoformat)
    row["orders"] = [
        _order(customer_id, index, rng, placed_at=moment)
        for index, moment in enumerate(placed, start=1)
    ]
    return row


def _dana(*, now: datetime, rng: random.Random) -> dict[str, Any]:
    """The consumer behind the demo account: something in every category, a recent purchase."""
    customer_id = demo_customer_id(1)
    return {
        "customer_id": customer_id,
        "full_name": "Dana Demo",
        "email": DEMO_CONSUMER_EMAIL,
        "phone": "(415) 555-0100",
        "birth_date": "1990-04-12",
        "address_line1": "742 Sample Lane",
        "address_line2": "Apt 3",
        "city": "San Francisco",
        "state": "CA",
        "zip_code": "94110",
        "collected_at": _moment(now, rng, max_days=700, min_days=700),
        "records": [
            {
                "category": "demographic-information",
                "value": "Age range: 35-44",
                "collected_at": _moment(now, rng, max_days=600),
            },
            _card(rng, collected_at=_moment(now, rng, max_days=200)),
            _ip(rng, collected_at=_moment(now, rng, max_days=30)),
            _ip(rng, collected_at=_moment(now, rng, max_days=400, min_days=380)),
            _cookie(rng, collected_at=_moment(now, rng, max_days=60)),
            _beacon(rng, collected_at=_moment(now, rng, max_days=90)),
            {
                "category": "photographs",
                "value": "dana-boots-review.jpg",
                "details": {
                    "file_name": "dana-boots-review.jpg",
                    "context": "product review upload",
                },
                "collected_at": _moment(now, rng, max_days=300),
            },
            {
                "category": "social-media-username",
                "value": "@dana.demo.steps",
                "details": {"network": "Instagram"},
                "source": "social-media",
                "collected_at": _moment(now, rng, max_days=300),
            },
            {
                "category": "email-address",
                "value": DEMO_CONSUMER_EMAIL,
                "data_system": "email-marketing",
                "collected_at": _moment(now, rng, max_days=650),
            },
            {
                "category": "name",
                "value": "Dana Demo",
                "data_system": "marketing-partners",
                "details": {"shared_as": "sale"},
                "collected_at": _moment(now, rng, max_days=500),
            },
        ],
        "orders": [
            _order(customer_id, 1, rng, placed_at=_moment(now, rng, max_days=690, min_days=600)),
            _order(customer_id, 2, rng, placed_at=_moment(now, rng, max_days=400, min_days=300)),
            _order(customer_id, 3, rng, placed_at=_moment(now, rng, max_days=200, min_days=100)),
            _order(customer_id, 4, rng, placed_at=_moment(now, rng, max_days=14, min_days=10)),
        ],
    }


def _card(rng: random.Random, *, collected_at: str) -> dict[str, Any]:
    # A saved card is only its brand, last four digits and expiry: never a full number.
    brand = rng.choice(CARD_BRANDS)
    last4 = f"{rng.randint(0, 9999):04d}"
    month, year = rng.randint(1, 12), rng.randint(2026, 2030)
    return {
        "category": "credit-card-details",
        "value": f"{brand} ending {last4}, expires {month:02d}/{year % 100:02d}",
        "details": {"brand": brand, "last4": last4, "exp_month": month, "exp_year": year},
        "collected_at": collected_at,
    }


def _ip(rng: random.Random, *, collected_at: str) -> dict[str, Any]:
    return {
        "category": "ip-address",
        "value": f"{rng.choice(IP_RANGES)}.{rng.randint(1, 254)}",
        "source": "your-device",
        "data_system": "site-analytics",
        "collected_at": collected_at,
    }


def _cookie(rng: random.Random, *, collected_at: str) -> dict[str, Any]:
    visitor = f"{rng.getrandbits(64):016x}"
    return {
        "category": "cookies",
        "value": f"Visitor cookie _dp_vid={visitor}",
        "details": {"cookie": "_dp_vid", "id": visitor},
        "source": "your-device",
        "data_system": "site-analytics",
        "collected_at": collected_at,
    }


def _beacon(rng: random.Random, *, collected_at: str) -> dict[str, Any]:
    campaign = rng.choice(CAMPAIGNS)
    return {
        "category": "web-beacons",
        "value": f"Opened the email '{campaign}'",
        "details": {"campaign": campaign},
        "source": "your-device",
        "data_system": "email-marketing",
        "collected_at": collected_at,
    }


def _order(customer_id: str, index: int, rng: random.Random, *, placed_at: str) -> dict[str, Any]:
    lines = rng.sample(PRODUCTS, k=rng.randint(1, 3))
    return {
        "order_number": f"{customer_id}-{index:02d}",
        "placed_at": placed_at,
        "items": [f"{name}, size {rng.randint(5, 12)}" for name, _ in lines],
        "total": str(sum((Decimal(price) for _, price in lines), Decimal("0.00"))),
    }
