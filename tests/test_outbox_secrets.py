"""Secrets in emails (codes, the tokens in links) are never readable by staff once queued: the
outbox stores a marker in their place, keeps them encrypted until the send, and forgets them once
sent. Only the privacy officer's role reads email bodies at all (issue 10, item 2)."""

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from core.mail import SecretLeak, email_queue, email_send, secret_marker, unseal
from core.models import OutboundEmail
from fulfilment.services import delivery_link_send
from requests_app.models import Status
from requests_app.services.following import status_link_send
from staff.roles import AUDITOR, CUSTOMER_CARE, PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import signed_in, staff_in_role

pytestmark = pytest.mark.django_db

LINK_TOKEN = re.compile(r"https?://[^\s\"'<>]+/(?:answer|status|agent)[^\s\"'<>]*/([\w-]{20,})")


def queue_code_email(code="482913"):
    request = factories.PrivacyRequestFactory.create(requester_email="dana@example.com")
    return email_queue(
        to="dana@example.com",
        template="requests/code",
        context={"code": code, "code_minutes": 30, "reference": request.reference},
        kind="request.code",
    )


def test_a_queued_code_is_stored_as_a_marker_and_sent_in_full():
    email = queue_code_email(code="482913")

    stored = "\n".join([email.subject, email.body_text, email.body_html, email.secrets_sealed])
    assert "482913" not in stored
    nonce, values = unseal(email.secrets_sealed)
    assert values == {"code": "482913"}
    assert secret_marker("code", nonce) in email.body_text

    assert email_send(email_id=email.pk) is True

    sent = mail.outbox[0]
    assert "482913" in sent.body
    assert "482913" in sent.alternatives[0][0]  # type: ignore[attr-defined]
    assert "hidden" not in sent.body
    email.refresh_from_db()
    assert email.secrets_sealed == ""  # forgotten once sent
    assert "482913" not in email.body_text


def test_a_link_in_the_html_part_is_escaped_when_put_in():
    request = factories.PrivacyRequestFactory.create()
    email = email_queue(
        to="dana@example.com",
        template="requests/status_link",
        context={"link": "https://portal.test/s/abc?x=1&y=2", "minutes": 60}
        | {"reference": request.reference},
        kind="request.status_link",
    )

    email_send(email_id=email.pk)

    html = str(mail.outbox[0].alternatives[0][0])  # type: ignore[attr-defined]
    assert 'href="https://portal.test/s/abc?x=1&amp;y=2"' in html
    assert "https://portal.test/s/abc?x=1&y=2" in mail.outbox[0].body


@pytest.mark.usefixtures("email_templates")
def test_an_email_that_would_store_a_secret_in_clear_or_lose_it_is_refused():
    example = {"to": "dana@example.com", "template": "example", "kind": "test"}
    # The same value also reaches the body through another variable: it would be stored.
    with pytest.raises(SecretLeak, match="in clear"):
        email_queue(
            **example,
            context={"name": "tok-4f9a2c", "reference": "PR-2026-000001"},
            secrets={"reference": "tok-4f9a2c"},
        )
    # A secret the template never shows could never be put in: the email would go without it.
    with pytest.raises(SecretLeak, match="does not show"):
        email_queue(
            **example,
            context={"name": "Dana", "reference": "PR-2026-000001"},
            secrets={"token": "tok-4f9a2c"},
        )
    assert not OutboundEmail.objects.exists()


def test_a_secret_that_cannot_be_read_any_more_fails_the_email_for_good(settings):
    email = queue_code_email()
    settings.OUTBOX_ENCRYPTION_KEY = "a-rotated-key"

    assert email_send(email_id=email.pk) is False

    email.refresh_from_db()
    assert email.state == OutboundEmail.State.FAILED
    assert email.secrets_sealed == ""
    assert "InvalidToken" in email.last_error
    assert mail.outbox == []


# --- What staff can reach ------------------------------------------------------------------------


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


SKIP = ("logout", "sign-out", "/delete/", "/history/", "password", "enroll", "backup-codes")


def crawl(client, starts, *, limit=100):
    """The pages under /admin/ and /staff/ a signed-in staff member reaches by GET from the
    starting pages (CSV downloads included), with their bodies."""
    seen: set[str] = set()
    pages: dict[str, str] = {}
    queue = list(starts)
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        if response.status_code != 200 or response.streaming:
            continue
        body = response.content.decode(errors="replace")
        pages[url] = body
        if "html" not in response.get("Content-Type", ""):
            continue
        parser = _Links()
        parser.feed(body)
        for href in parser.hrefs:
            target = urljoin(url, href)
            parts = urlsplit(target)
            # Filters and sorting (a query string) show the same rows again.
            if parts.netloc not in ("", "testserver") or parts.query:
                continue
            path = parts.path
            if path.startswith(("/admin/", "/staff/")) and not any(s in path for s in SKIP):
                queue.append(path)
    return pages


def secret_pattern(value: str) -> re.Pattern:
    # A six-digit code alone would match inside a longer token by chance; bound it.
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(value)}(?![0-9A-Za-z])")


def emails_with_secrets():
    """Real emails that carry secrets, some still queued, some sent: the status link, the answer
    link and its code, and an email code. Returns the secrets to look for."""
    answered = factories.PrivacyRequestFactory.create(
        requester_email="dana@example.com", status=Status.IN_PROGRESS
    )
    delivery_link_send(privacy_request=answered, now=timezone.now())
    status_link_send(reference=answered.reference, email="dana@example.com")
    queue_code_email(code="731904")
    secrets = set()
    for email in OutboundEmail.objects.exclude(secrets_sealed=""):
        secrets |= set(unseal(email.secrets_sealed)[1].values())
    tokens = {LINK_TOKEN.search(value).group(1) for value in secrets if value.startswith("http")}
    # Half of them go out; the rest stay queued (no worker in this test).
    for email in OutboundEmail.objects.order_by("pk")[::2]:
        assert email_send(email_id=email.pk)
    return secrets | tokens


@pytest.mark.parametrize(
    "persona", ["auditor", "care", "officer in the officer group", "officer as superuser"]
)
def test_no_staff_page_or_export_shows_a_code_or_token_of_a_queued_or_sent_email(persona):
    secrets = emails_with_secrets()
    assert len(secrets) >= 5  # link, its token, answer code, status link and token, email code
    user = {
        "auditor": lambda: staff_in_role(AUDITOR),
        "care": lambda: staff_in_role(CUSTOMER_CARE),
        "officer in the officer group": lambda: staff_in_role(PRIVACY_OFFICER),
        "officer as superuser": lambda: factories.privacy_officer(),
    }[persona]()
    client = signed_in(user)
    starts = ["/admin/", "/admin/core/outboundemail/", "/staff/", "/staff/metrics.csv"]
    starts += [f"/admin/core/outboundemail/{pk}/change/" for pk in OutboundEmail.objects.all()]

    pages = crawl(client, starts)

    assert any("/admin/" in url for url in pages) or persona == "care"
    for url, body in pages.items():
        for secret in secrets:
            assert not secret_pattern(secret).search(body), f"{persona} reads a secret at {url}"


def test_only_the_privacy_officer_role_reads_email_bodies():
    email = queue_code_email()
    change = f"/admin/core/outboundemail/{email.pk}/change/"
    auditor = signed_in(staff_in_role(AUDITOR, username="auditor"))
    officer = signed_in(staff_in_role(PRIVACY_OFFICER, username="officer"))

    as_auditor = auditor.get(change)
    as_officer = officer.get(change)

    assert as_officer.status_code == 200
    assert "Your new code to confirm your email address" in as_officer.content.decode()
    assert "hidden:" in as_officer.content.decode()  # the marker, not the code
    if as_auditor.status_code == 200:  # the auditor may see that it went out, never what it said
        assert "Your new code to confirm your email address" not in as_auditor.content.decode()
        assert "Body text" not in as_auditor.content.decode()
