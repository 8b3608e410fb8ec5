"""What each role may do in the admin (reference data) and with opt-outs received by phone.

The privacy officer edits the inventory, the data systems and the opt-out records in the admin
(behind the second factor); customer care records an opt-out a caller asks for; the auditor
reads them. Superusers need none of this.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CONSENT_MODELS = ["category", "source", "businesspurpose", "thirdpartycategory", "sharing"]
OPT_OUT_MODELS = ["salestatus", "partnernotice", "preferencechange"]

ROLE_PERMISSIONS = {
    "Privacy officer": [
        *[("consent", f"{verb}_{m}") for m in CONSENT_MODELS for verb in ("view", "change", "add")],
        *[("consent", f"{verb}_{m}") for m in OPT_OUT_MODELS for verb in ("view", "change")],
        ("registry", "view_datasystem"),
        ("registry", "change_datasystem"),
        ("registry", "add_datasystem"),
        ("registry", "view_consumer"),
        ("core", "view_outboundemail"),
        ("fulfilment", "view_systemtask"),
    ],
    "Customer care": [("consent", "view_salestatus"), ("consent", "change_salestatus")],
    "Auditor": [
        *[("consent", f"view_{m}") for m in CONSENT_MODELS + OPT_OUT_MODELS],
        ("core", "view_outboundemail"),
        ("fulfilment", "view_systemtask"),
    ],
}


def grant(apps, schema_editor):
    for label in ("consent", "registry", "core", "fulfilment"):
        app_config = apps.get_app_config(label)
        app_config.models_module = True  # the historical app config is a stub without it
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codename in wanted:
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:
                group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, wanted in ROLE_PERMISSIONS.items():
        group = Group.objects.filter(name=name).first()
        if group is None:
            continue
        for app_label, codename in wanted:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0001_roles"),
        ("consent", "0003_opt_out_and_preferences"),
        ("registry", "0002_seed_data_systems"),
        ("core", "0003_outbound_email_redact_after_send"),
        ("fulfilment", "0002_task_escalation"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
