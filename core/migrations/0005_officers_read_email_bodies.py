"""Only the privacy officer's role may read the bodies of outbound emails (issue 10, item 2):
the auditor and customer care see that a notice went out, not what it said."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

OFFICER_GROUP = "Privacy officer"


def grant(apps, schema_editor):
    app_config = apps.get_app_config("core")
    app_config.models_module = True  # the historical app config is a stub without it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=OFFICER_GROUP)
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="core", codename="read_email_body")
    )


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="core", codename="read_email_body").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_outbox_message_id_sealed_secrets_claims"),
        ("staff", "0002_admin_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
