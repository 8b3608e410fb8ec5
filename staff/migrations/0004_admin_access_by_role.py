"""What each role reaches in the admin, narrowed to its work (issue 10, "the trust issue").

- The privacy officer keeps everything it had, and gains the staff accounts (to reset a lost
  second factor) and their history.
- Customer care keeps only the caller's opt-out (consent.SaleStatus, view and change).
- The auditor reads history and metrics, which live on the staff pages, where personal details
  are masked until a logged reveal. In the admin it keeps the inventory (the notice's section
  I, public anyway) and gains the staff account history; it loses the outbound emails (their
  bodies held codes and links that open a consumer's answer), the per-consumer opt-out rows
  (names and email addresses, unmasked) and the fulfilment tasks (shown on the request page).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTED = {
    "Privacy officer": [
        ("staff", "view_staffaccount"),
        ("staff", "reset_second_factor"),
        ("staff", "view_staffaccountevent"),
    ],
    "Auditor": [("staff", "view_staffaccountevent")],
}
REVOKED = {
    "Auditor": [
        ("core", "view_outboundemail"),
        ("fulfilment", "view_systemtask"),
        ("consent", "view_salestatus"),
        ("consent", "view_partnernotice"),
        ("consent", "view_preferencechange"),
    ],
}


def _permissions(apps, wanted):
    Permission = apps.get_model("auth", "Permission")
    for app_label, codename in wanted:
        yield from Permission.objects.filter(content_type__app_label=app_label, codename=codename)


def _group(apps, name):
    return apps.get_model("auth", "Group").objects.get_or_create(name=name)[0]


def narrow(apps, schema_editor):
    app_config = apps.get_app_config("staff")
    app_config.models_module = True  # the historical app config is a stub without it
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    for name, wanted in GRANTED.items():
        _group(apps, name).permissions.add(*_permissions(apps, wanted))
    for name, wanted in REVOKED.items():
        _group(apps, name).permissions.remove(*_permissions(apps, wanted))


def widen(apps, schema_editor):
    for name, wanted in GRANTED.items():
        _group(apps, name).permissions.remove(*_permissions(apps, wanted))
    for name, wanted in REVOKED.items():
        _group(apps, name).permissions.add(*_permissions(apps, wanted))


class Migration(migrations.Migration):
    dependencies = [("staff", "0003_staff_accounts_and_their_history")]

    operations = [migrations.RunPython(narrow, widen)]
