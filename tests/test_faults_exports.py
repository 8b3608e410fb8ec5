"""Answer files are personal data: an export that dies mid-run must leave no truncated file
under a name a row could point to, and the sweep removes whatever no row points to once no live
writer can still claim it (issue 10, item 8e). The worker killed for real: test_faults_worker."""

import os
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from core.sweep import registered_steps, sweep_run
from fulfilment import exports, services
from fulfilment.exports import writing
from fulfilment.models import Export, SystemTask
from fulfilment.storage import PARTIAL_SUFFIX, export_path, exports_folder, orphan_grace
from requests_app.models import RequestType, Status
from staff.roles import PRIVACY_OFFICER
from tests import factories
from tests.staff_helpers import staff_in_role

pytestmark = pytest.mark.django_db


def exported_request():
    """A request to know whose answer files the portal's own task has written."""
    officer = staff_in_role(PRIVACY_OFFICER, "olga")
    consumer = factories.consumer(email="dana@example.com")
    request = factories.PrivacyRequestFactory.create(
        request_type=RequestType.KNOW_SPECIFIC,
        status=Status.APPROVED,
        consumer=consumer,
        requester_email=consumer.email,
    )
    services.request_fulfilment_start(privacy_request=request, actor=officer)
    task = request.system_tasks.get(data_system__slug="shop-database")
    if task.state != SystemTask.State.DONE:
        assert services.task_run(task_id=task.pk)
    return request


def files_in_exports():
    return sorted(path.name for path in exports_folder().iterdir())


class Killed(BaseException):
    """Stands for the process dying in the middle of a write."""


def test_a_write_cut_short_leaves_no_file_under_a_final_name(monkeypatch):
    request = exported_request()
    before = set(files_in_exports())
    real_fdopen = os.fdopen
    opened = {"n": 0}

    class DiesHalfWay:
        """The second file's handle: half its bytes reach the disk, then the process dies."""

        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, content):
            self.handle.write(content[: len(content) // 2])
            self.handle.flush()
            raise Killed

        def __getattr__(self, name):
            return getattr(self.handle, name)

    def fdopen(descriptor, *args, **kwargs):
        opened["n"] += 1
        handle = real_fdopen(descriptor, *args, **kwargs)
        return DiesHalfWay(handle) if opened["n"] == 2 else handle

    monkeypatch.setattr(writing.os, "fdopen", fdopen)
    from fulfilment.reports import know_report

    with pytest.raises(Killed):
        exports.exports_write(
            privacy_request=request, report=know_report(privacy_request=request), now=timezone.now()
        )

    after = set(files_in_exports())
    assert after == before  # nothing new under any name: no truncated answer, no leftover
    for export in Export.objects.filter(request=request):
        assert export_path(export).exists()


def test_files_no_row_points_to_are_swept_once_no_writer_can_still_claim_them():
    request = exported_request()
    kept = {e.stored_name for e in Export.objects.filter(request=request)}
    assert len(kept) == 4
    folder = exports_folder()
    # What a worker killed mid-run leaves: a finished file whose row was never saved, and a
    # file still being written.
    (folder / "0123456789abcdef0123456789abcdef.json").write_text('{"name": "Dana"}')
    (folder / f"fedcba9876543210fedcba9876543210.pdf{PARTIAL_SUFFIX}").write_bytes(b"%PDF-")
    for orphan in folder.iterdir():
        # Written now by the portal's clock: the kernel stamps the real time, which is not the
        # suite's when it runs at another instant (pytest --at).
        os.utime(orphan, (time.time(), time.time()))

    sweep_run()  # young files may be a live writer's: left alone
    assert len(files_in_exports()) == 6

    later = timezone.now() + orphan_grace() + timedelta(minutes=1)
    sweep_run(now=later)
    assert set(files_in_exports()) == kept
    sweep_run(now=later)  # twice: nothing more to do
    assert set(files_in_exports()) == kept
    for export in Export.objects.filter(request=request):
        assert export_path(export).exists()


def test_the_orphan_sweep_is_a_registered_step():
    assert "orphaned answer files" in registered_steps()
