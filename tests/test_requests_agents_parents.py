"""Authorized agents and parents ask on someone's behalf; the subject is verified separately."""

import html
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from requests_app.models import AgentDocument, Status, VerificationTier
from tests import factories
from tests.request_helpers import confirm_email, emails_to, latest_request, verify

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def dana():
    return factories.consumer(email="dana@example.com", zip_code="94110", full_name="Dana Shopper")


def agent_submits(client, content=PDF, name="permission.pdf", **fields):
    data = {
        "requester_name": "Alex Agent",
        "requester_email": "alex@agency.example",
        "subject_name": "Dana Shopper",
        "subject_email": "dana@example.com",
        "permission": SimpleUploadedFile(name, content),
    } | fields
    return client.post("/requests/new/details/?type=know_categories&who=agent", data)


def test_agent_uploads_permission_and_the_consumer_is_asked_to_confirm(client, dana):
    agent_submits(client)
    privacy_request = latest_request()
    confirm_email(client, privacy_request, "alex@agency.example")

    # The agent's own address does not count for the consumer: two of Dana's details do.
    order = dana.orders.order_by("-placed_at").first().order_number
    verify(client, privacy_request, zip_code="94110", recent_purchase=order)

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.AWAITING_CONSUMER
    (ask,) = emails_to("dana@example.com")
    assert "Alex Agent" in ask.body
    link = re.search(r"http://\S+/requests/agent-confirm/\S+/", ask.body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]

    assert client.get(path).status_code == 200  # a mail scanner's GET spends nothing
    client.post(path)

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.consumer == dana
    assert "confirmed the agent" in " ".join(
        str(e.get_kind_display()) for e in privacy_request.events.all()
    )


def test_the_consumer_confirming_an_agents_deletion_is_its_separate_confirmation(client, dana):
    """Confirming the agent confirms the deletion too: the request is verified, not left
    waiting for a second confirmation, and the confirmation's instant is kept (it once was
    not: the verified state's save left delete_confirmed_at out)."""
    data = {
        "requester_name": "Alex Agent",
        "requester_email": "alex@agency.example",
        "subject_name": "Dana Shopper",
        "subject_email": "dana@example.com",
        "permission": SimpleUploadedFile("permission.pdf", PDF),
    }
    client.post("/requests/new/details/?type=delete&who=agent", data)
    privacy_request = latest_request()
    confirm_email(client, privacy_request, "alex@agency.example")
    order = dana.orders.order_by("-placed_at").first().order_number
    verify(client, privacy_request, zip_code="94110", recent_purchase=order)
    (ask,) = emails_to("dana@example.com")
    link = re.search(r"http://\S+/requests/agent-confirm/\S+/", ask.body).group(0)

    client.post(link.split("127.0.0.1:8000", 1)[1])

    privacy_request.refresh_from_db()
    assert privacy_request.status == Status.VERIFIED
    assert privacy_request.delete_confirmed_at is not None
    assert privacy_request.delete_confirmed_at == privacy_request.verified_at
    kinds = list(privacy_request.events.values_list("kind", flat=True))
    assert kinds.index("agent_details_matched") < kinds.index("consumer_confirmed_agent")
    assert kinds.index("consumer_confirmed_agent") < kinds.index("verified")


def test_the_consumer_confirmation_goes_to_the_address_on_record_not_one_the_agent_typed(
    client, dana
):
    dana.email = "dana@example.com"
    agent_submits(client, subject_email="DANA@example.com")
    privacy_request = latest_request()
    confirm_email(client, privacy_request, "alex@agency.example")
    order = dana.orders.order_by("-placed_at").first().order_number

    verify(client, privacy_request, zip_code="94110", recent_purchase=order)

    assert emails_to("dana@example.com")
    assert not [m for m in emails_to("alex@agency.example") if "authorize" in m.subject]


def test_the_agent_email_alone_does_not_verify_the_consumer(client, dana):
    agent_submits(client)
    privacy_request = latest_request()
    confirm_email(client, privacy_request, "alex@agency.example")

    response = verify(client, privacy_request, zip_code="94110")

    assert "do not match our records closely enough" in response.text


def test_the_permission_is_stored_privately_with_no_url(client, dana):
    agent_submits(client, content=PNG, name="permission.png")

    document = AgentDocument.objects.get()
    stored = Path(settings.PRIVATE_FILES_ROOT) / "agent-documents" / document.stored_name
    assert stored.read_bytes() == PNG
    assert document.content_type == "image/png"
    public_folders = [settings.STATIC_ROOT, *settings.STATICFILES_DIRS]
    assert not any(stored.is_relative_to(folder) for folder in public_folders)
    for guess in (
        f"/media/agent-documents/{document.stored_name}",
        f"/static/agent-documents/{document.stored_name}",
        f"/agent-documents/{document.stored_name}",
    ):
        assert client.get(guess).status_code == 404


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"just some text pretending", "permission.pdf"),
        (b"MZ\x90\x00executable", "permission.exe"),
        (b"", "empty.pdf"),
    ],
)
def test_a_permission_that_is_not_a_pdf_png_or_jpeg_by_content_is_refused(
    client, dana, content, name
):
    response = agent_submits(client, content=content, name=name)

    assert response.status_code == 200
    assert "PDF, PNG or JPEG" in response.text or "The submitted file is empty." in response.text
    assert not AgentDocument.objects.exists()


def test_a_permission_over_five_megabytes_is_refused(client, dana):
    too_big = PDF + b"0" * (settings.AGENT_DOCUMENT_MAX_BYTES + 1 - len(PDF))

    response = agent_submits(client, content=too_big)

    assert "The file is too large: at most 5 MB" in response.text


def test_a_parent_declares_parenthood_and_is_verified_with_the_childs_details(client):
    child = factories.consumer(email="kid@example.com", zip_code="95014", full_name="Kid Shopper")
    base = {
        "requester_name": "Pat Parent",
        "requester_email": "pat@example.com",
        "subject_name": "Kid Shopper",
        "subject_email": "kid@example.com",
    }
    url = "/requests/new/details/?type=delete&who=parent"
    without = client.post(url, base)
    assert "Confirm that you are the child's parent or guardian." in html.unescape(without.text)

    client.post(url, base | {"parent_declaration": "on"})
    privacy_request = latest_request()
    confirm_email(client, privacy_request, "pat@example.com")
    order = child.orders.order_by("-placed_at").first().order_number
    verify(client, privacy_request, zip_code="95014", recent_purchase=order)

    privacy_request.refresh_from_db()
    assert privacy_request.consumer == child
    assert privacy_request.verification_tier == VerificationTier.TWO
    assert privacy_request.status == Status.AWAITING_DELETE_CONFIRMATION
