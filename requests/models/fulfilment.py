"""Doing the request: the systems checklist, the letters written, the fulfilment packet."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..lifecycle import PacketStatus
from .case import PrivacyRequest
from .register import CompanySystem


class CheckState(models.TextChoices):
    NOT_CHECKED = "not_checked", _("Not checked")
    NO_DATA = "no_data", _("No data")
    DATA_FOUND = "data_found", _("Data found")
    EXPORTED = "exported", _("Exported")
    ERASED = "erased", _("Erased")
    RECTIFIED = "rectified", _("Rectified")
    RESTRICTED = "restricted", _("Restricted")
    OPTED_OUT = "opted_out", _("Opted out")  # no more marketing, selling or sharing
    # Not searched, on purpose: the notes say why (it holds nothing of this kind). The packet waits for none.
    SKIPPED = "skipped", _("Skipped")


class SystemCheck(models.Model):
    """What one company system holds for one case (the systems checklist). A missing row means not checked."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="system_checks",
        db_column="request_id",
        verbose_name=_("request"),
    )
    system = models.ForeignKey(CompanySystem, on_delete=models.PROTECT, related_name="checks")
    state = models.CharField(
        _("state"), max_length=12, choices=CheckState.choices, default=CheckState.NOT_CHECKED
    )
    notes = models.TextField(_("notes"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["privacy_request_id", "system__name"]
        constraints = [
            models.UniqueConstraint(fields=["privacy_request", "system"], name="one_check_per_system")
        ]

    def __str__(self) -> str:
        return f"{self.system_id} for case {self.privacy_request_id}: {self.state}"


class LetterKind(models.TextChoices):
    ACCESS = "access", _("Access: cover letter (Art. 15)")
    CCPA_KNOW = "ccpa_know", _("CCPA request to know: response")
    CONFIRMATION = "confirmation", _("Confirmation of erasure, rectification, restriction or objection")
    COMPLETION = "completion", _("Answer to the request")
    EXTENSION = "extension", _("Extension notice")
    FEE = "fee", _("Fee estimate")
    REFUSAL = "refusal", _("Refusal")
    FORWARD = "forward", _("Forward notice")
    APPEAL_DECISION = "appeal_decision", _("Decision on an appeal")
    COMPLAINT_OUTCOME = "complaint_outcome", _("Outcome of a complaint")


class Letter(models.Model):
    """A PDF letter sent to the requester (DESIGN §9): rendered by a task, stored encrypted, attached to email."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="letters",
        db_column="request_id",
        verbose_name=_("request"),
    )
    kind = models.CharField(_("letter"), max_length=20, choices=LetterKind.choices)
    language = models.CharField(max_length=8)
    # The event the letter answers: a retried email task finds its letter instead of writing another.
    for_event = models.PositiveIntegerField()
    stored_name = models.CharField(max_length=50, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["privacy_request_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "kind", "for_event"], name="one_letter_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} letter for case {self.privacy_request_id}"

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.created_at:%Y%m%d}.pdf"


class Packet(models.Model):
    """The fulfilment packet of one case: a ZIP built by a task, stored encrypted, released by a DPO.

    One per case: a re-run replaces the previous build (DESIGN §9).
    """

    privacy_request = models.OneToOneField(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="packet",
        db_column="request_id",
        verbose_name=_("request"),
    )
    status = models.CharField(max_length=10, choices=PacketStatus.choices, default=PacketStatus.QUEUED)
    # Which build this row describes: a task finding another number here was superseded and stops.
    build = models.PositiveIntegerField(default=1)
    step = models.CharField(max_length=40, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    stored_name = models.CharField(max_length=50, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    files = models.JSONField(default=list, blank=True)  # the manifest: [{"name", "sha256", "size"}]
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="released"), name="packet_released_expiry")
        ]

    def __str__(self) -> str:
        return f"packet of case {self.privacy_request_id} ({self.status})"
