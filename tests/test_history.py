"""The request history is append-only, kept 24 months, then purged by the sweep."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from core.sweep import sweep_run
from requests_app.history_purge import history_purge_permitted
from requests_app.models import PrivacyRequest, RequestEvent
from tests import factories

LA = ZoneInfo("America/Los_Angeles")


def an_event(at):
    request = factories.PrivacyRequestFactory.create()
    return RequestEvent.objects.create(request=request, kind="note", actor_label="staff", at=at)


@pytest.mark.django_db
def test_application_code_cannot_change_or_delete_history():
    event = an_event(datetime(2026, 11, 25, tzinfo=LA))

    with pytest.raises(ValueError, match="append-only"):
        RequestEvent.objects.filter(pk=event.pk).update(detail="rewritten")
    with pytest.raises(ValueError, match="append-only"):
        RequestEvent.objects.filter(pk=event.pk).delete()
    event.detail = "rewritten"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


@pytest.mark.django_db
def test_the_sweep_purges_history_older_than_24_months_and_keeps_the_rest():
    old = an_event(datetime(2024, 11, 20, 12, tzinfo=LA))
    recent = an_event(datetime(2025, 1, 5, 12, tzinfo=LA))

    with time_machine.travel(datetime(2026, 11, 26, 12, tzinfo=LA), tick=False):
        sweep_run()
        sweep_run()

    remaining = set(RequestEvent.objects.values_list("pk", flat=True))
    assert old.pk not in remaining and recent.pk in remaining


def refused_by_the_database(change):
    """Runs `change` in its own transaction and tells whether the database refused it as an
    edit of the append-only history."""
    try:
        with transaction.atomic():
            change()
    except DatabaseError as error:
        assert "append-only" in str(error)
        return True
    return False


def raw_sql(statement, *params):
    def run():
        with connection.cursor() as cursor:
            cursor.execute(statement, list(params))

    return run


@pytest.mark.django_db
def test_a_trigger_refuses_changes_to_history_from_any_client_on_either_database():
    # Runs on SQLite by default and on PostgreSQL in CI: each database has its own trigger.
    event = an_event(datetime(2026, 11, 25, tzinfo=LA))
    event_rows = RequestEvent._base_manager.filter(pk=event.pk)

    changes = {
        "raw UPDATE": raw_sql(
            "UPDATE requests_app_requestevent SET detail = 'rewritten' WHERE id = %s", event.pk
        ),
        "raw DELETE": raw_sql("DELETE FROM requests_app_requestevent WHERE id = %s", event.pk),
        "base manager update()": lambda: event_rows.update(detail="rewritten"),
        "base manager delete()": lambda: event_rows.delete(),
    }

    refused = {name: refused_by_the_database(change) for name, change in changes.items()}

    assert refused == dict.fromkeys(changes, True)
    assert RequestEvent.objects.filter(pk=event.pk, detail="").exists()


@pytest.mark.django_db
def test_deleting_a_request_cannot_take_its_history_with_it():
    event = an_event(datetime(2026, 11, 25, tzinfo=LA))
    request_id = event.request_id

    # Django deletes the history first (on_delete=CASCADE): the trigger refuses that.
    assert refused_by_the_database(lambda: PrivacyRequest.objects.filter(pk=request_id).delete())
    assert PrivacyRequest.objects.filter(pk=request_id).exists()
    assert RequestEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_after_the_purge_the_database_refuses_deletions_again():
    old = an_event(datetime(2024, 11, 20, 12, tzinfo=LA))
    kept = an_event(datetime(2026, 11, 20, 12, tzinfo=LA))

    purged = RequestEvent.objects.purge_older_than(datetime(2024, 11, 26, tzinfo=LA))

    assert purged == 1
    assert not RequestEvent.objects.filter(pk=old.pk).exists()
    assert refused_by_the_database(
        raw_sql("DELETE FROM requests_app_requestevent WHERE id = %s", kept.pk)
    )
    assert RequestEvent.objects.filter(pk=kept.pk).exists()


@pytest.mark.django_db
def test_a_purge_that_fails_half_way_deletes_nothing_and_leaves_no_permission_behind():
    old = an_event(datetime(2024, 11, 20, 12, tzinfo=LA))

    with pytest.raises(RuntimeError), history_purge_permitted():
        raw_sql("DELETE FROM requests_app_requestevent WHERE id = %s", old.pk)()
        raise RuntimeError("the purge's transaction fails after its delete")

    assert RequestEvent.objects.filter(pk=old.pk).exists()
    assert refused_by_the_database(
        raw_sql("DELETE FROM requests_app_requestevent WHERE id = %s", old.pk)
    )
