"""The request history is append-only, kept 24 months, then purged by the sweep."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import DatabaseError, connection, transaction

from core.sweep import sweep_run
from requests_app.models import RequestEvent
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


@pytest.mark.services
@pytest.mark.django_db
def test_on_postgresql_a_trigger_refuses_changes_to_history_from_any_client():
    event = an_event(datetime(2026, 11, 25, tzinfo=LA))

    for statement in (
        "UPDATE requests_app_requestevent SET detail = 'rewritten' WHERE id = %s",
        "DELETE FROM requests_app_requestevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])

    assert RequestEvent.objects.filter(pk=event.pk, detail="").exists()
