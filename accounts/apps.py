from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Signing in and out for consumers with an account. Staff sign in through the admin's
    login, which also asks for the second factor."""

    name = "accounts"
