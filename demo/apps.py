from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for development (seed_demo, demo_otp): consumers, requests in every state and
    published staff logins. It builds on every other app, so it sits above them all, and
    nothing imports it."""

    name = "demo"
    verbose_name = "Demo data"
