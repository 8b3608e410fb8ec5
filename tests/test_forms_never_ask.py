"""No consumer form asks for a social security number, medical or health information, a
financial account number, or a password, the sign-in and re-authentication forms aside (the
notice, "Verifiable Requests": "We will never ask for the following information from you")."""

import re
from html.parser import HTMLParser

import pytest

from requests_app.models import RequesterKind, RequestType, Status
from tests import factories

pytestmark = pytest.mark.django_db

FORBIDDEN = re.compile(
    r"social.?security|\bssn\b|medical|health|diagnos|insurance|bank|routing|"
    r"account.?number|card.?number|\bcvv\b|\bcvc\b|passport|driver.?s.?licen|password",
    re.IGNORECASE,
)
# A password belongs on the sign-in form; account holders' re-authentication is tested below.
PASSWORD_ALLOWED = {"sign in"}


class FormFields(HTMLParser):
    """Collects what a form asks for: each field's name, type and label text."""

    def __init__(self):
        super().__init__()
        self.asked: list[str] = []
        self._in_label = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in {"input", "select", "textarea"} and attributes.get("type") not in {
            "hidden",
            "submit",
        }:
            self.asked.append(f"{attributes.get('name')} ({attributes.get('type', tag)})")
        if tag in {"label", "legend"}:
            self._in_label = True

    def handle_endtag(self, tag):
        if tag in {"label", "legend"}:
            self._in_label = False

    def handle_data(self, data):
        if self._in_label and data.strip():
            self.asked.append(data.strip())


def asked_on(page_html: str) -> list[str]:
    main = page_html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    parser = FormFields()
    parser.feed(main)
    return parser.asked


def consumer_form_pages(client):
    """Every consumer form, as an anonymous visitor and as an account holder would meet it."""
    yield "choose", client.get("/requests/new/")
    for request_type in RequestType.values:
        for who in RequesterKind.values:
            yield (
                f"details {request_type} {who}",
                client.get(f"/requests/new/details/?type={request_type}&who={who}"),
            )
    yield "status lookup", client.get("/requests/status/")
    for request_type in RequestType.values:
        for who in RequesterKind.values:
            pending = factories.PrivacyRequestFactory.create(
                request_type=request_type, requester_kind=who, status=Status.EMAIL_UNCONFIRMED
            )
            _grant(client, pending)
            yield f"email code {who}", client.get(f"/requests/{pending.reference}/confirm-email/")
            pending.status = Status.VERIFYING
            pending.save()
            yield (
                f"verify {request_type} {who}",
                client.get(f"/requests/{pending.reference}/verify/"),
            )
    deletion = factories.PrivacyRequestFactory.create(status=Status.AWAITING_DELETE_CONFIRMATION)
    _grant(client, deletion)
    yield "deletion", client.get(f"/requests/{deletion.reference}/confirm-delete/")
    for path in ("/do-not-sell/", "/preferences/"):
        response = client.get(path)
        if response.status_code == 200:
            yield path, response
    yield "sign in", client.get("/account/sign-in/")


def _grant(client, privacy_request):
    session = client.session
    session["privacy_requests"] = [*session.get("privacy_requests", []), privacy_request.pk]
    session.save()


def test_no_consumer_form_asks_for_forbidden_information(client):
    walked = 0
    for name, response in consumer_form_pages(client):
        assert response.status_code == 200, name
        for asked in asked_on(response.text):
            match = FORBIDDEN.search(asked)
            if match and match.group(0).lower() == "password" and name in PASSWORD_ALLOWED:
                continue
            assert not match, f"{name} asks for {asked!r}"
        walked += 1
    assert walked >= 30


def test_account_holders_are_asked_only_for_their_own_password(client):
    ana = factories.consumer_with_account()
    client.force_login(ana.user)
    details = client.get("/requests/new/details/?type=delete&who=self")
    submitted = factories.PrivacyRequestFactory.create(
        requester_user=ana.user, status=Status.AWAITING_DELETE_CONFIRMATION
    )
    deletion = client.get(f"/requests/{submitted.reference}/confirm-delete/")

    for page in (details, deletion):
        asked = asked_on(page.text)
        assert "Your account password" in asked
        assert sorted(a for a in asked if FORBIDDEN.search(a)) == [
            "Your account password",
            "password (password)",
        ]


def test_the_forbidden_word_check_would_catch_a_form_that_asked(client):
    page = '<main id="main"><label for="x">Social Security number</label><input name="ssn"></main>'

    assert [a for a in asked_on(page) if FORBIDDEN.search(a)] == [
        "Social Security number",
        "ssn (input)",
    ]
