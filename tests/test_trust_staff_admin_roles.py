"""Each role reaches only its own work in the admin (issue 10, item 2, the access half).

The privacy officer: the inventory, the data systems, opt-out records, the outbound emails, the
fulfilment tasks, the staff accounts. Customer care: the caller's opt-out only. The auditor: the
inventory (public anyway) and the staff account history; the request history and the metrics,
its real work, are on the staff pages where personal details stay masked.
"""

import pytest

from core.models import OutboundEmail
from staff.roles import AUDITOR, CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db


def an_email():
    return OutboundEmail.objects.create(
        kind="code", to="dana@example.com", subject="Your code", body_text="Your code: 123456"
    )


@pytest.mark.parametrize(
    ("role", "status"), [(PRIVACY_OFFICER, 200), (CUSTOMER_CARE, 403), (AUDITOR, 403)]
)
def test_only_the_privacy_officer_reaches_the_outbound_emails(role, status):
    email = an_email()
    client = signed_in(staff_in_role(role, "someone"))

    listing = client.get("/admin/core/outboundemail/")
    page = client.get(f"/admin/core/outboundemail/{email.pk}/change/")

    assert (listing.status_code, page.status_code) == (status, status)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/consent/salestatus/",
        "/admin/consent/partnernotice/",
        "/admin/consent/preferencechange/",
        "/admin/fulfilment/systemtask/",
        "/admin/registry/consumer/",
        "/admin/requests_app/privacyrequest/",
        "/admin/staff/staffaccount/",
    ],
)
def test_the_auditor_reaches_no_admin_page_with_a_consumers_details(url):
    factories.consumer()
    auditor = signed_in(staff_in_role(AUDITOR, "audrey"))

    assert auditor.get(url).status_code == 403


def test_the_admin_index_lists_each_role_only_its_own_pages():
    listed = {}
    for role in (PRIVACY_OFFICER, CUSTOMER_CARE, AUDITOR):
        page = signed_in(staff_in_role(role, role.lower().replace(" ", "-"))).get("/admin/")
        listed[role] = {
            name
            for name in (
                "outboundemail",
                "salestatus",
                "category",
                "staffaccount",
                "staffaccountevent",
                "systemtask",
                "datasystem",
            )
            if f"/admin/{_app_of(name)}/{name}/" in page.text
        }

    assert listed == {
        PRIVACY_OFFICER: {
            "outboundemail",
            "salestatus",
            "category",
            "staffaccount",
            "staffaccountevent",
            "systemtask",
            "datasystem",
        },
        CUSTOMER_CARE: {"salestatus"},
        AUDITOR: {"category", "staffaccountevent"},
    }


def _app_of(model_name: str) -> str:
    return {
        "outboundemail": "core",
        "salestatus": "consent",
        "category": "inventory",
        "staffaccount": "staff",
        "staffaccountevent": "staff",
        "systemtask": "fulfilment",
        "datasystem": "registry",
    }[model_name]
