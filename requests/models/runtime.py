"""What the workers keep: sweep claims and heartbeats."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class SweepClaim(models.Model):
    """A once-per-period job that is not about one case (e.g. the daily overdue list to the DPOs)."""

    name = models.CharField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class Heartbeat(models.Model):
    """When a worker last ran a heartbeat or a sweep: /healthz reads these (DESIGN §11)."""

    name = models.CharField(max_length=60, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
