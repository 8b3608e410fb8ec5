"""Consumers with an account sign in with their email address; repeated failures lock out."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def sign_in(client, email, password):
    return client.post("/account/sign-in/", {"username": email, "password": password})


def test_consumer_signs_in_with_email_and_password(client):
    dana = factories.consumer_with_account(email="dana@example.com")

    response = sign_in(client, "dana@example.com", factories.PASSWORD)

    assert response.status_code == 302
    assert client.get("/").context["user"] == dana.user


def test_a_wrong_password_says_so_in_plain_words_next_to_the_form(client):
    factories.consumer_with_account(email="dana@example.com")

    response = sign_in(client, "dana@example.com", "not-the-password")

    assert response.status_code == 200
    assert "That email address and password do not match an account." in response.text


def test_five_failures_pause_signing_in_for_an_hour_and_say_so(client):
    factories.consumer_with_account(email="dana@example.com")
    for _ in range(5):
        sign_in(client, "dana@example.com", "guess")

    response = sign_in(client, "dana@example.com", factories.PASSWORD)

    assert response.status_code == 429
    assert "Signing in is paused for an hour" in response.text


def test_signing_out_returns_home(client):
    dana = factories.consumer_with_account()
    client.force_login(dana.user)

    response = client.post("/account/sign-out/")

    assert response.status_code == 302
    assert response["Location"] == "/"
