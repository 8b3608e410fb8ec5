"""The three staff roles as groups with their permissions (staff/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLE_PERMISSIONS = {
    "Privacy officer": [
        "work_queue",
        "see_all_requests",
        "log_request",
        "verify_manually",
        "approve_request",
        "deny_request",
        "extend_request",
        "fulfil_request",
        "close_request",
        "assign_request",
        "reveal_personal_data",
        "open_exports",
        "add_note",
        "view_history",
        "view_metrics",
    ],
    "Customer care": ["work_queue", "log_request", "verify_manually", "add_note"],
    "Auditor": ["work_queue", "see_all_requests", "view_history", "view_metrics"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make requests_app's exist now.
    # (The historical app config is a stub without models_module; create_permissions needs one.)
    app_config = apps.get_app_config("requests_app")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="requests_app", codename__in=codenames
            )
        )


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLE_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("requests_app", "0003_staff_permissions"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
