"""The admin's request page masks the requester as the staff request page does; the full details
are revealed only there, where the reveal is recorded (issue 10, item 6)."""

import pytest
from django.utils import timezone

from requests_app.models import RequestEvent
from tests import factories

pytestmark = pytest.mark.django_db


def a_request_by_an_account_holder():
    dana = factories.consumer_with_account(
        full_name="Dana Quintessa Shopper", email="dana.private@example.com"
    )
    request = factories.PrivacyRequestFactory.create(
        requester_name="Dana Quintessa Shopper",
        requester_email="dana.private@example.com",
        requester_user=dana.user,
        consumer=dana,
    )
    RequestEvent.objects.create(
        request=request,
        kind="submitted",
        actor=dana.user,
        actor_label="consumer",
        at=timezone.now(),
    )
    return request


def test_the_admin_request_page_masks_the_requesters_name_and_email(officer_client):
    request = a_request_by_an_account_holder()

    page = officer_client.get(f"/admin/requests_app/privacyrequest/{request.pk}/change/")

    assert page.status_code == 200
    assert "Quintessa" not in page.text
    assert "dana.private" not in page.text  # not as the requester, the consumer, or the actor
    assert "D*** Q******** S******" in page.text
    assert "d***********@example.com" in page.text
    assert f'href="/staff/requests/{request.reference}/"' in page.text
    assert not RequestEvent.objects.filter(request=request, kind="revealed").exists()


def test_the_admin_finds_a_request_by_its_exact_address_only(officer_client):
    request = a_request_by_an_account_holder()
    listing = "/admin/requests_app/privacyrequest/"

    exact = officer_client.get(listing, {"q": "dana.private@example.com"})
    partial = officer_client.get(listing, {"q": "dana"})

    assert request.reference in exact.text
    assert request.reference not in partial.text
