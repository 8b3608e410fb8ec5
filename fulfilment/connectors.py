"""How a request reaches each data system (DESIGN.md, "Where the consumer's data lives").

Every system offers the same two operations, export this person's data and erase it. The
portal's own database answers at once (a Celery task runs it); a system without automation is
a manual task a staff member confirms, so it has no code here.
"""

from datetime import datetime

from registry.models import DataSystem
from requests_app.models import PrivacyRequest


def internal_export(*, privacy_request: PrivacyRequest, now: datetime) -> dict:
    """Build the report to know and write its files. Returns counts for the task's result."""
    from .exports import exports_write
    from .reports import know_report

    report = know_report(privacy_request=privacy_request)
    exports = exports_write(privacy_request=privacy_request, report=report, now=now)
    return {
        "categories": len(report.get("categories", [])),
        "pieces": len(report.get("pieces", [])),
        "files": sorted(e.format for e in exports),
    }


def internal_erase(*, privacy_request: PrivacyRequest, now: datetime) -> dict:
    """Erase or de-identify the consumer in the portal's database, keeping what an exception
    covers. Returns what was erased and what was kept, and why (no personal data)."""
    from .erasure import consumer_erase_internal

    consumer = privacy_request.consumer
    if consumer is None:
        return {"erased": {}, "kept": [], "note": "No consumer on record."}
    return consumer_erase_internal(consumer=consumer, privacy_request=privacy_request, now=now)


def is_automated(system: DataSystem) -> bool:
    return system.connector == DataSystem.Connector.INTERNAL
