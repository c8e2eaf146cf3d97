"""Internal notes on a case: what staff tell each other, never the requester (see requests/services/notes.py)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import PrivacyRequest


class CaseNote(models.Model):
    """A staff-only note on a case. Its text stays out of the audit chain (the event carries the note's id) and
    out of everything the requester receives: status pages, emails, letters, packets and the API."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="notes",
        db_column="request_id",
        verbose_name=_("request"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )
    text = models.TextField(_("note"))
    created = models.DateTimeField(_("written on"), default=timezone.now)

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ["privacy_request_id", "created", "id"]

    def __str__(self) -> str:
        return f"note {self.pk} on case {self.privacy_request_id}"
