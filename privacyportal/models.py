"""What every app shares in the database: the outbox (privacyportal/outbox.py) and the key check (keycheck.py)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class QueuedTask(models.Model):
    """A Celery task a change promised to run: written in the change's transaction, published after it commits.

    The task marks its row delivered when it succeeds; the `outbox` sweep publishes again what is still
    undelivered after a while (the broker was flushed or restarted, the publish failed), under the same task
    id, and a copy that finds its row delivered does nothing (DESIGN §7). Arguments are ids and kinds only.
    """

    task_id = models.UUIDField(unique=True)
    name = models.CharField(_("task"), max_length=200)
    args = models.JSONField(_("arguments (ids)"), default=list)
    queue = models.CharField(_("queue"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("promised"), default=timezone.now)
    published_at = models.DateTimeField(_("last published"), default=timezone.now)
    publishes = models.PositiveSmallIntegerField(_("publishes"), default=1)
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.CharField(max_length=120, blank=True)  # host:pid:nonce of the copy running it
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # How many of its emails the mail server accepted: a copy run after a kill sends only the rest.
    emails_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        db_table = "requests_queuedtask"  # the table it had when the model lived in requests/
        verbose_name = _("outbox task")
        verbose_name_plural = _("outbox tasks")
        indexes = [
            # The sweep reads only what is undelivered: a small partial index, whatever the table's size.
            models.Index(
                fields=["published_at"], condition=Q(delivered_at__isnull=True), name="queuedtask_undelivered"
            ),
            models.Index(
                fields=["delivered_at"], condition=Q(delivered_at__isnull=False), name="queuedtask_done"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id}"


class KeyCheck(models.Model):
    """A known constant encrypted under ENCRYPTION_KEYS at first start (one row): a key list that cannot read it is
    not the list the private files were encrypted with, and web and worker refuse to start (privacyportal/keycheck.py).
    Re-encrypted under the first key whenever that key is new, so a list that drops a key in use fails too."""

    token = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    rotated_at = models.DateTimeField(null=True, blank=True)
    # Fingerprints (keyed hashes, never keys) of the keys the check was moved away from: it never moves back.
    retired = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("encryption key check")

    def __str__(self) -> str:
        return f"key check {self.pk}"
