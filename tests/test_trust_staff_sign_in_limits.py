"""Limits keyed on the client's address hold behind the TLS proxy, and password spraying from one
address is locked across usernames (issue 10, items 7 and 9)."""

import re

import pytest
from django.test import Client, RequestFactory

from core.client_address import client_address
from requests_app import ratelimit
from tests import factories
from tests.request_helpers import submit
from tests.staff_helpers import staff_in_role

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the TLS proxy: every request reaches the app from it

SIGN_IN_PAGES = {"consumer": "/account/sign-in/", "staff": "/staff/sign-in/"}


def through_proxy(client_ip: str | None = None, *, forwarded_for: str | None = None) -> Client:
    """A browser at `client_ip` whose requests pass the proxy, which appends to the header."""
    header = forwarded_for if forwarded_for is not None else client_ip
    if header is None:
        return Client(REMOTE_ADDR=PROXY)
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


def sign_in(client, page, username, password=factories.PASSWORD):
    return client.post(SIGN_IN_PAGES[page], {"username": username, "password": password})


def a_real_account(page):
    if page == "staff":
        return staff_in_role("Privacy officer", "olga").username
    return factories.consumer_with_account(email="dana@example.com").user.username


# --- The one helper ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "203.0.113.9", PROXY),  # no proxy configured: anyone could write the header
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.66, 203.0.113.9", "203.0.113.9"),  # the client's own entry is ignored
        (2, "198.51.100.66, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "203.0.113.9", PROXY),  # fewer hops than proxies: not the chain we know
        (1, "", PROXY),
        (1, "not-an-address", PROXY),
        (1, "2001:db8::7", "2001:db8::7"),
    ],
)
def test_the_client_address_comes_from_the_proxys_header_only_as_far_as_trusted(
    settings, proxies, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded_for)

    assert client_address(request) == expected


# Code that reads the address itself (prose about the headers is fine).
READS_THE_ADDRESS = re.compile(
    r"""["'](REMOTE_ADDR|HTTP_X_FORWARDED_FOR)["']|headers(\.get\(|\[)["']X-Forwarded-For""", re.I
)


def test_no_code_reads_remote_addr_but_the_one_helper():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    packages = [
        folder
        for folder in root.iterdir()
        if (folder / "__init__.py").exists() and folder.name != "tests"
    ]
    readers = sorted(
        str(path.relative_to(root))
        for folder in packages
        for path in folder.rglob("*.py")
        if READS_THE_ADDRESS.search(path.read_text())
    )

    assert len(packages) > 5
    assert readers == ["core/client_address.py"]


# --- Behind the proxy ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", SIGN_IN_PAGES)
def test_behind_the_proxy_one_guesser_does_not_lock_the_account_for_everyone(settings, page):
    settings.TRUSTED_PROXY_COUNT = 1
    username = a_real_account(page)
    guesser = through_proxy("198.51.100.66")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(guesser, page, username, password="guess")
    assert sign_in(guesser, page, username).status_code == 429

    owner = through_proxy("203.0.113.9")
    response = sign_in(owner, page, username)

    assert response.status_code == 302  # signed in: the lock is the guesser's alone


def test_without_a_configured_proxy_a_forged_header_does_not_dodge_the_lock(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    username = a_real_account("staff")
    for n in range(settings.AXES_FAILURE_LIMIT):
        sign_in(through_proxy(forwarded_for=f"198.51.100.{n}"), "staff", username, "guess")

    response = sign_in(through_proxy(forwarded_for="198.51.100.200"), "staff", username)

    assert response.status_code == 429


def test_behind_the_proxy_each_consumer_has_their_own_submission_limit(settings, monkeypatch):
    settings.TRUSTED_PROXY_COUNT = 1
    monkeypatch.setattr(
        ratelimit,
        "SUBMISSIONS_PER_IP",
        ratelimit.Limit(ratelimit.SUBMISSIONS_PER_IP.kind, 1, ratelimit.SUBMISSIONS_PER_IP.window),
    )
    first = through_proxy("198.51.100.66")
    assert submit(first, requester_email="one@example.com").status_code == 302
    refused = submit(first, requester_email="two@example.com")
    assert refused.status_code == 200
    assert "We have received many requests from here in the last hour" in refused.text

    other_consumer = submit(through_proxy("203.0.113.9"), requester_email="three@example.com")

    assert other_consumer.status_code == 302


# --- Password spraying ---------------------------------------------------------------------------


def spray(client, page, count, prefix="user"):
    for n in range(count):
        sign_in(client, page, f"{prefix}{n}@example.com", password="Summer2026!")


@pytest.mark.parametrize("page", SIGN_IN_PAGES)
def test_spraying_one_password_across_usernames_locks_the_address(settings, page):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 12
    username = a_real_account(page)
    sprayer = Client(REMOTE_ADDR="198.51.100.66")

    spray(sprayer, page, settings.AXES_ADDRESS_FAILURE_LIMIT - 2)
    assert sign_in(sprayer, page, username, password="guess").status_code == 200  # not yet
    assert sign_in(sprayer, page, "last-try@example.com", "Summer2026!").status_code == 429
    # The limit is reached: even the right password of a real account is refused from here.
    assert sign_in(sprayer, page, username).status_code == 429
    assert sign_in(sprayer, page, "someone-new@example.com", "x").status_code == 429

    elsewhere = Client(REMOTE_ADDR="203.0.113.9")
    assert sign_in(elsewhere, page, username).status_code == 302


def test_the_address_limit_is_higher_than_the_per_account_one(settings):
    assert settings.AXES_ADDRESS_FAILURE_LIMIT > settings.AXES_FAILURE_LIMIT
    sprayer = Client(REMOTE_ADDR="198.51.100.66")
    username = a_real_account("consumer")

    # A family behind one address mistyping a few passwords is not locked out.
    spray(sprayer, "consumer", settings.AXES_FAILURE_LIMIT * 2)

    assert sign_in(sprayer, "consumer", username).status_code == 302


def test_signing_in_to_an_own_account_does_not_reset_the_sprayers_count(settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 9  # two rounds of four stay under it
    own = factories.consumer_with_account(email="sprayer@example.com").user.username
    sprayer = Client(REMOTE_ADDR="198.51.100.66")

    for round_number in range(2):
        spray(sprayer, "consumer", 4, prefix=f"round{round_number}-")
        assert sign_in(sprayer, "consumer", own).status_code == 302
        sprayer.post("/account/sign-out/")

    assert sign_in(sprayer, "consumer", "victim@example.com", "Summer2026!").status_code == 429
