"""Tasks for the owners of systems no connector reaches: one per (case, system, action), answered through a link."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import PrivacyRequest
from .connectors import ConnectorAction
from .register import CompanySystem


class OwnerTaskStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the owner")
    NO_DATA = "no_data", _("No data found")
    EXPORTED = "exported", _("Exported")
    DONE = "done", _("Done")  # erased, rectified, restricted or opted out, as the action says
    COULD_NOT = "could_not", _("Could not be done")
    CANCELLED = "cancelled", _("Cancelled")


class OwnerTask(models.Model):
    """What one system's owner is asked to do for one case, by email, with a link to a page of its own.

    Only a SHA-256 of the link's token is kept. Each email carries a fresh token (the reminder's replaces the
    first), valid PRIVACY_OWNER_TASK_DAYS days; the link stops working once the task is answered or cancelled.
    """

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="owner_tasks", verbose_name=_("request")
    )
    system = models.ForeignKey(CompanySystem, on_delete=models.PROTECT, related_name="owner_tasks")
    action = models.CharField(_("action"), max_length=20, choices=ConnectorAction.choices)
    # Copied from the system when the task is created: a later change of owner does not move a sent task.
    owner_email = models.EmailField(_("owner's email"))
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        _("status"), max_length=12, choices=OwnerTaskStatus.choices, default=OwnerTaskStatus.OPEN
    )
    # The owner's reason when it could not be done, or their note.
    answer = models.TextField(_("answer"), blank=True)
    extract = models.ForeignKey(
        "identity.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    reminders = models.PositiveSmallIntegerField(default=0)
    reminded_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("owner task")
        verbose_name_plural = _("owner tasks")
        ordering = ["privacy_request_id", "system__name", "action"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "system", "action"], name="one_owner_task_per_action"
            )
        ]
        indexes = [
            models.Index(fields=["privacy_request"], condition=Q(status="open"), name="owner_task_open")
        ]

    def __str__(self) -> str:
        return f"{self.action} in {self.system_id} for case {self.privacy_request_id}: {self.status}"

    @property
    def is_open(self) -> bool:
        return self.status == OwnerTaskStatus.OPEN
