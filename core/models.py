from django.db import models


class SweepState(models.Model):
    """When each periodic sweep last ran; /healthz reads it to tell whether beat is alive.

    One row per sweep name, overwritten on every run: the history of what a sweep *did* lives
    with the records it touched, this is only its pulse.
    """

    name = models.CharField(max_length=50, primary_key=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_duration_ms = models.PositiveIntegerField(default=0)
    last_failed_steps = models.JSONField(default=list, blank=True)
    run_count = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.name} (last finished {self.last_finished_at})"
