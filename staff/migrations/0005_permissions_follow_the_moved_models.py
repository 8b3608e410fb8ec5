"""Content types and permissions follow the models that moved between apps so the apps layer
without cycles (issue 11): the inventory's five models from consent to inventory, the
suppression list from fulfilment to the registry. A permission belongs to a content type, which
names an app: left behind, the privacy officer's and the auditor's rights on the inventory would
name consent models that no longer exist, and the admin would refuse them.

For each moved model:
- its old content type exists (roles were granted before the move): it is renamed, and its
  permissions, the groups and users holding them, and the admin's log follow it;
- both the old and the new exist (post_migrate made the new one in between): whoever holds an
  old permission gets the new one of the same codename, and the old content type goes;
- the old one never existed: this database ran staff 0002 after the move, which then found no
  inventory model to grant, so the roles get what 0002 gives (officer: view, change and add;
  auditor: view).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

INVENTORY_MODELS = ["category", "source", "businesspurpose", "thirdpartycategory", "sharing"]
MOVES = [("consent", "inventory", model) for model in INVENTORY_MODELS] + [
    ("fulfilment", "registry", "suppression")
]
INVENTORY_GRANTS = {"Privacy officer": ("view", "change", "add"), "Auditor": ("view",)}


def _move(apps, old_label: str, new_label: str, model: str) -> bool:
    """Move one model's content type from `old_label` to `new_label`; False if it had none."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    old = ContentType.objects.filter(app_label=old_label, model=model).first()
    if old is None:
        return False
    new = ContentType.objects.filter(app_label=new_label, model=model).first()
    if new is None:
        old.app_label = new_label
        old.save(update_fields=["app_label"])
        return True
    for permission in Permission.objects.filter(content_type=old):
        counterpart, _ = Permission.objects.get_or_create(
            content_type=new, codename=permission.codename, defaults={"name": permission.name}
        )
        counterpart.group_set.add(*permission.group_set.all())
        counterpart.user_set.add(*permission.user_set.all())
    old.delete()
    return True


def _grant_inventory(apps) -> None:
    app_config = apps.get_app_config("inventory")
    app_config.models_module = True  # the historical app config is a stub without it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, verbs in INVENTORY_GRANTS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="inventory",
                codename__in=[f"{verb}_{model}" for verb in verbs for model in INVENTORY_MODELS],
            )
        )


def follow(apps, schema_editor):
    moved = [_move(apps, old, new, model) for old, new, model in MOVES]
    if not any(moved[: len(INVENTORY_MODELS)]):
        _grant_inventory(apps)
    apps.get_model("contenttypes", "ContentType").objects.clear_cache()


def follow_back(apps, schema_editor):
    for old, new, model in MOVES:
        _move(apps, new, old, model)
    apps.get_model("contenttypes", "ContentType").objects.clear_cache()


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0004_admin_access_by_role"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("inventory", "0001_initial"),
        ("consent", "0004_inventory_moved_to_its_own_app"),
        ("registry", "0004_records_point_at_the_inventory_app"),
        ("fulfilment", "0004_suppression_moved_to_registry"),
    ]

    operations = [migrations.RunPython(follow, follow_back)]
