"""The files that start the portal: the development Procfile and the production compose file.
There is no Docker engine here, so the compose file is read, not run."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_postgres_redis_web_worker_and_one_beat():
    services = compose()["services"]

    assert services["db"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["web"]["build"] == "."
    assert "celery" in services["worker"]["command"] and "worker" in services["worker"]["command"]
    assert "celery" in services["beat"]["command"] and "beat" in services["beat"]["command"]
    assert "deploy" not in services["beat"]  # never scaled: one beat only


def test_compose_runs_production_settings_against_postgres_and_redis():
    services = compose()["services"]

    for name in ("web", "worker", "beat", "migrate"):
        environment = services[name]["environment"]
        assert environment["DEBUG"] == "false"
        assert environment["DATABASE_URL"].startswith("postgres://")
        assert environment["REDIS_URL"].startswith("redis://redis:")
        assert "?" in environment["SECRET_KEY"], "a missing SECRET_KEY must stop compose"


def test_compose_migrates_before_web_worker_and_beat_start():
    services = compose()["services"]

    assert services["migrate"]["command"][-2:] == ["migrate", "--noinput"]
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_web_image_serves_with_gunicorn_and_collects_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "collectstatic --noinput" in dockerfile
    assert 'CMD ["gunicorn", "privacy_portal.wsgi:application"' in dockerfile
    assert "requirements/base.lock" in dockerfile


def test_make_run_starts_web_worker_and_beat():
    procfile = dict(
        line.split(":", 1) for line in (ROOT / "Procfile.dev").read_text().splitlines() if line
    )

    assert set(procfile) == {"web", "worker", "beat"}
    assert "runserver" in procfile["web"]
    assert "worker" in procfile["worker"]
    assert "beat" in procfile["beat"]
