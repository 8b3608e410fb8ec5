"""EMAIL_URL read as the README writes it, and the links in emails following the port `make run`
serves on. Settings are read once per process, so each case starts manage.py afresh."""

import subprocess
from pathlib import Path

from privacy_portal.email_url import email_url_config
from tests.test_settings import ROOT, run_manage


def setting_in_a_fresh_process(code: str, **env) -> str:
    command = f"from django.conf import settings; print(repr(({code})))"
    result = run_manage("shell", "--no-imports", "-c", command, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_filemail_url_with_three_slashes_writes_to_that_absolute_folder():
    written = setting_in_a_fresh_process(
        "settings.EMAIL_FILE_PATH, settings.EMAIL_BACKEND", EMAIL_URL="filemail:///srv/outbox"
    )

    assert written == "('/srv/outbox', 'django.core.mail.backends.filebased.EmailBackend')"


def test_filemail_url_paths_absolute_with_any_slashes_relative_under_the_project():
    base = Path("/srv/portal")

    def folder(url):
        return email_url_config(url, base_dir=base)["EMAIL_FILE_PATH"]

    assert folder("filemail:///srv/outbox") == "/srv/outbox"
    assert folder("filemail:////srv/outbox") == "/srv/outbox"
    assert folder("filemail://var/mail") == "/srv/portal/var/mail"
    assert folder("filemail:///srv/with%20space") == "/srv/with space"
    assert folder("filemail://") == "/srv/portal/var/mail"


def test_other_email_urls_are_read_as_django_environ_reads_them():
    config = email_url_config("smtp+tls://user:secret@mail.example.com:587", base_dir=Path("/x"))

    assert config["EMAIL_HOST"] == "mail.example.com"
    assert config["EMAIL_PORT"] == 587
    assert config["EMAIL_USE_TLS"] is True
    assert config["EMAIL_HOST_USER"] == "user"


def test_links_in_emails_point_at_the_port_make_run_serves_on():
    # Under honcho each process gets a PORT of its own (the worker's is web's + 100): the
    # setting must follow WEB_PORT, the port the web process serves on.
    site = setting_in_a_fresh_process(
        "settings.SITE_URL", WEB_PORT="8080", PORT="8180", SITE_URL=""
    )

    assert site == "'http://127.0.0.1:8080'"


def test_make_run_gives_the_port_to_every_process_that_may_write_an_email():
    dry_run = subprocess.run(
        ["make", "-n", "run", "PORT=8080"],  # noqa: S607 - make from PATH, a dry run
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    starts = [
        line for line in dry_run.splitlines() if "seed_demo" in line or "honcho start" in line
    ]

    assert len(starts) == 2
    assert all(line.startswith("WEB_PORT=8080 ") for line in starts)


def test_an_explicit_site_url_wins_over_the_port():
    site = setting_in_a_fresh_process(
        "settings.SITE_URL", WEB_PORT="8080", SITE_URL="https://privacy.example.com/"
    )

    assert site == "'https://privacy.example.com'"
