"""The case's append-only, hash-chained audit trail (`RequestEvent`) and the keyed heads that seal it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import PrivacyRequest


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    REQUESTER = "requester", _("Requester")
    SYSTEM = "system", _("System")
    OWNER = "owner", _("System owner")  # the owner of a company system answering a task (not staff)


class RequestEvent(models.Model):
    """One change of a case. Append-only; each row's hash covers the previous row's hash (DESIGN §4).

    `data` holds ids, codes and dates only, never personal data.
    """

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.PROTECT,
        related_name="events",
        db_column="request_id",
        verbose_name=_("request"),
    )
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    verb = models.CharField(max_length=40)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["privacy_request_id", "seq"]
        constraints = [
            # Two writers appending to one case at once cannot fork its chain.
            models.UniqueConstraint(fields=["privacy_request", "seq"], name="event_one_per_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.privacy_request_id}#{self.seq} {self.verb}"


class AuditHead(models.Model):
    """Where a case's chain of events ends, kept outside the events table (DESIGN §4).

    Written in the transaction of every append. `mac` is an HMAC under AUDIT_KEYS (which never enter the
    database) over the other fields, so removing the last events of a chain, or rewriting it, no longer matches
    its head, and nobody without the key can move the head to suit. Events up to `legacy_seq` were written before
    the chain was keyed and verify as plain SHA-256; the head they were sealed under at the upgrade is keyed.
    """

    privacy_request = models.OneToOneField(
        PrivacyRequest,
        on_delete=models.PROTECT,
        primary_key=True,
        related_name="audit_head",
        db_column="request_id",
        verbose_name=_("request"),
    )
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    legacy_seq = models.PositiveIntegerField(default=0)
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.privacy_request_id} up to #{self.seq}"


class AuditLedger(models.Model):
    """One row (id 1): how many chains (heads) there are, under an HMAC like the heads', so that a case taken out
    with its whole chain and head is noticed too. Written only when a case's first event starts a chain."""

    chains = models.PositiveIntegerField()
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chains} audit chains"
