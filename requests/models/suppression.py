"""The suppression list: addresses that asked not to be marketed to, sold or shared, kept as keyed hashes only."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import PrivacyRequest


class SuppressedAddress(models.Model):
    """One address that opted out: an HMAC of its normalised form, so the list outlives an erasure of the case
    (the entry is what keeps the opt-out in force) and reveals no address to whoever reads the table."""

    digest = models.CharField(max_length=64, unique=True)
    kind = models.CharField(_("asked for"), max_length=20)
    created_at = models.DateTimeField(default=timezone.now)
    # Which case put it here; emptied when that case is deleted, while the entry stays.
    privacy_request = models.ForeignKey(
        PrivacyRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("request"),
    )

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppression list")

    def __str__(self) -> str:
        return f"suppressed {self.digest[:12]}…"
