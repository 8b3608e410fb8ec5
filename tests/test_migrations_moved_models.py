"""The models that moved so the apps layer without cycles (issue 11): the data inventory from
consent to inventory, the suppression list from fulfilment to the registry. A database at the
schema from before the move migrates forward with every row where it was, the officer's edits
and the roles' rights included; one migrated from zero has the same rights (the test database
itself is one)."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from inventory.models import Category, Source
from registry.models import PersonalRecord, Suppression
from staff.roles import AUDITOR, PRIVACY_OFFICER

# Each app as it stood before the move: the nodes this test rolls back to (inventory: none).
BEFORE_THE_MOVE: list[tuple[str, str]] = [
    ("registry", "0002_seed_data_systems"),
    ("consent", "0003_opt_out_and_preferences"),
    ("fulfilment", "0003_task_lease"),
    ("staff", "0004_admin_access_by_role"),
]
INVENTORY_MODELS = ["category", "source", "businesspurpose", "thirdpartycategory", "sharing"]
EDITED_NAME = "Your name, as the officer words it"
COLLECTED = datetime(2026, 3, 2, 17, 0, tzinfo=UTC)


def _migrate(targets: list) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    ContentType.objects.clear_cache()
    return MigrationExecutor(connection)  # a fresh loader: it reads what is applied now


def _as_before_the_move(old_apps) -> None:
    """What a database migrated before the move holds: content types and permissions for the
    inventory under consent (and the suppression list under fulfilment), granted to the roles,
    and none under the apps that took them over."""
    ContentType.objects.filter(app_label="inventory").delete()
    ContentType.objects.filter(app_label="registry", model="suppression").delete()
    for label in ("consent", "fulfilment"):
        app_config = old_apps.get_app_config(label)
        app_config.models_module = True  # the historical app config is a stub without it
        create_permissions(app_config, apps=old_apps, verbosity=0)
        app_config.models_module = None
    ContentType.objects.clear_cache()
    Group.objects.get(name=AUDITOR).permissions.add(
        Permission.objects.get(content_type__app_label="consent", codename="view_category")
    )
    Group.objects.get(name=PRIVACY_OFFICER).permissions.add(
        Permission.objects.get(content_type__app_label="consent", codename="change_sharing")
    )


def _rows_written_before_the_move(old_apps) -> int:
    """An officer's edit, a personal record naming a category and a source, a deleted person."""
    OldCategory = old_apps.get_model("consent", "Category")
    OldSource = old_apps.get_model("consent", "Source")
    OldCategory.objects.filter(slug="name").update(name=EDITED_NAME)
    consumer = old_apps.get_model("registry", "Consumer").objects.create(
        shop_customer_id="BEFORE-0001", full_name="Rosa Before", email="rosa@example.com"
    )
    record = old_apps.get_model("registry", "PersonalRecord").objects.create(
        consumer=consumer,
        category=OldCategory.objects.get(slug="name"),
        source=OldSource.objects.get(slug="directly-from-you"),
        data_system=old_apps.get_model("registry", "DataSystem").objects.get(slug="shop-database"),
        value="Rosa Before",
        collected_at=COLLECTED,
    )
    old_apps.get_model("fulfilment", "Suppression").objects.create(
        email_hmac="a" * 64, created_at=COLLECTED
    )
    return record.pk


def _role_holds(role: str, app_label: str, codename: str) -> bool:
    return (
        Group.objects.get(name=role)
        .permissions.filter(content_type__app_label=app_label, codename=codename)
        .exists()
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_database_from_before_the_move_migrates_forward_with_its_rows_and_rights():
    executor = _migrate([("inventory", None), *BEFORE_THE_MOVE])
    old_apps = executor.loader.project_state(BEFORE_THE_MOVE).apps
    _as_before_the_move(old_apps)
    record_pk = _rows_written_before_the_move(old_apps)

    _migrate(executor.loader.graph.leaf_nodes())

    record = PersonalRecord.objects.select_related("category", "source").get(pk=record_pk)
    assert record.category == Category.objects.get(slug="name")
    assert record.category.name == EDITED_NAME
    assert record.source == Source.objects.get(slug="directly-from-you")
    assert Category.objects.filter(slug="name").get().sharings.exists()
    assert Suppression.objects.filter(email_hmac="a" * 64).exists()
    # The rights followed the models: granted before, held now, on the new app's models.
    assert _role_holds(AUDITOR, "inventory", "view_category")
    assert _role_holds(PRIVACY_OFFICER, "inventory", "change_sharing")
    assert not ContentType.objects.filter(app_label="consent", model__in=INVENTORY_MODELS).exists()
    assert not ContentType.objects.filter(app_label="fulfilment", model="suppression").exists()
    assert ContentType.objects.get(app_label="registry", model="suppression").model_class() is (
        Suppression
    )


@pytest.mark.django_db
def test_a_database_migrated_from_zero_gives_the_roles_their_inventory_rights():
    for codename in ("view", "change", "add"):
        for model in INVENTORY_MODELS:
            assert _role_holds(PRIVACY_OFFICER, "inventory", f"{codename}_{model}")
    assert all(_role_holds(AUDITOR, "inventory", f"view_{model}") for model in INVENTORY_MODELS)
    assert not _role_holds(AUDITOR, "inventory", "change_category")
    assert not Permission.objects.filter(
        content_type__app_label="consent", codename__endswith="_category"
    ).exists()
