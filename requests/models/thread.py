"""What is said on a case: messages between requester and staff, and notices to staff."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .audit import ActorKind
from .case import PrivacyRequest


class Message(models.Model):
    """One message in the thread between staff and the requester (DESIGN §10)."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="messages",
        db_column="request_id",
        verbose_name=_("request"),
    )
    author_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"))
    attachment = models.ForeignKey(
        "identity.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    # The Message-ID of the email this message came in by: a mail fetched twice joins the thread once.
    email_message_id = models.CharField(max_length=998, null=True, blank=True, unique=True, editable=False)

    class Meta:
        ordering = ["privacy_request_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} on case {self.privacy_request_id}"


class Notice(models.Model):
    """One reminder or notice claimed for one case: the unique (request, kind) row is the claim.

    A sweep inserts the row before it sends, so a doubled beat, a re-run or a concurrent worker finds it
    taken and sends nothing twice (DESIGN §7). Once-a-day notices put the day in `kind`.
    """

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="notices",
        db_column="request_id",
        verbose_name=_("request"),
    )
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    sent = models.BooleanField(
        default=True
    )  # False: claimed only to mark a reminder superseded after an outage

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["privacy_request", "kind"], name="notice_once_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.kind} for case {self.privacy_request_id}"


class SentEmail(models.Model):
    """One email we sent the requester about a case, by its Message-ID, so that a reply or a bounce naming it
    finds the case (DESIGN §14). No address: the case says whom it went to."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="sent_emails",
        db_column="request_id",
        verbose_name=_("request"),
    )
    message_id = models.CharField(max_length=998, unique=True)
    template = models.CharField(max_length=60)
    sent_at = models.DateTimeField(default=timezone.now)
    undelivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["privacy_request_id", "sent_at", "id"]

    def __str__(self) -> str:
        return f"{self.template} email {self.pk} on case {self.privacy_request_id}"
