"""Inbox items: mail to the privacy mailbox that names no case, waiting for staff to make it a case or dismiss it.

An item is personal data (who wrote, what they wrote, their files): the retention sweep deletes it, with its
files, PRIVACY_INBOX_DAYS after it was decided (requests/services/inbox.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import PrivacyRequest


class InboxState(models.TextChoices):
    NEW = "new", _("New")
    HELD = "held", _("Held: names a case, from another address")
    JOINED = "joined", _("Added to a case's messages")
    TURNED = "turned", _("Made a case")
    DISMISSED = "dismissed", _("Dismissed")
    IGNORED = "ignored", _("Ignored: automatic reply or bounce")


# What still waits for staff (the queue's "Inbox: N new" link counts these).
WAITING = (InboxState.NEW, InboxState.HELD)


class InboxItem(models.Model):
    """One mail as it reached the privacy mailbox. Stored before the mail leaves the IMAP inbox, once per
    Message-ID: a mail fetched again after a crash finds its row and adds nothing."""

    message_id = models.CharField(max_length=300, blank=True)
    uid = models.PositiveBigIntegerField(default=0)
    uidvalidity = models.PositiveBigIntegerField(default=0)
    sender = models.CharField(_("sender"), max_length=254)
    sender_name = models.CharField(_("sender's name"), max_length=200, blank=True)
    sender_key = models.CharField(max_length=254, db_index=True)  # privacyportal.addresses.normalise_email
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    text = models.TextField(blank=True)
    received_at = models.DateTimeField(_("received"))
    size = models.PositiveIntegerField(default=0)
    automatic = models.BooleanField(default=False)
    is_bounce = models.BooleanField(default=False)
    # Suggestions from the words (requests/inbox_rules.py), for the list and the "Make it a case" form.
    suggested_kind = models.CharField(_("suggested right"), max_length=20, blank=True)
    suggested_language = models.CharField(max_length=8, default="en")
    state = models.CharField(_("state"), max_length=10, choices=InboxState.choices, default=InboxState.NEW)
    privacy_request = models.ForeignKey(
        PrivacyRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbox_items",
        db_column="request_id",
        verbose_name=_("request"),
    )
    dismissal_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    stored_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("inbox item")
        verbose_name_plural = _("inbox")
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="one_inbox_item_per_message_id"
            )
        ]
        indexes = [models.Index(fields=["state", "-received_at"], name="inbox_waiting")]

    def __str__(self) -> str:
        return f"inbox item {self.pk}"


class InboxAttachment(models.Model):
    """A file that came with the mail: checked like an upload and stored encrypted, or kept out with a note."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="attachments")
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64, blank=True)
    stored_name = models.CharField(max_length=50, blank=True)  # empty when refused
    refused = models.CharField(max_length=300, blank=True)  # why the content check kept it out

    class Meta:
        ordering = ["item_id", "id"]

    def __str__(self) -> str:
        return f"attachment {self.pk} of inbox item {self.item_id}"
