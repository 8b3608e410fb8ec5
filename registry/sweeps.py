"""The registry's timed work: records kept no longer than the inventory says."""

from core.sweep import sweep_step

from .services import records_past_retention_purge


@sweep_step("retention purge")
def purge_records_past_retention(*, now):
    return records_past_retention_purge(now=now)
