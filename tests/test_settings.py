"""Settings read from the environment: safe defaults in development, a hard stop in production."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "k3y-for-tests-only-" + "x7Qp9Lm2Zr8Vt4Nw6Yb1Hc5Jd0Fg3Ks" * 2


def run_manage(*args, **env_overrides):
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "DEBUG",
            "ALLOWED_HOSTS",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        }
    }
    env.update(env_overrides)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_without_secret_key_stops_with_one_clear_line():
    result = run_manage("check", DEBUG="false", ALLOWED_HOSTS="privacy.example.com")

    assert result.returncode != 0
    assert result.stderr.strip() == (
        "Configuration error: SECRET_KEY must be set when DEBUG is false."
    )
    assert "Traceback" not in result.stderr


def test_deploy_check_reports_nothing_with_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="privacy.example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_runs_without_any_setting():
    result = run_manage("check")

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("setting", "expected"),
    [("TIME_ZONE", "America/Los_Angeles"), ("USE_TZ", True)],
)
def test_business_time_zone_defaults(settings, setting, expected):
    if setting == "TIME_ZONE" and "TIME_ZONE" in os.environ:
        pytest.skip("TIME_ZONE is overridden in this environment")
    assert getattr(settings, setting) == expected
