"""Letters to post: what a requester without an email address is sent on paper, and who posted it when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import PrivacyRequest
from .fulfilment import Letter


class PostalLetter(models.Model):
    """One letter or notice that would have been emailed, printed for the post instead (requests/services/post.py).

    `template` names the email it stands for; `for_event` the event it answers, so a retried task finds it
    again. The printable PDF is the formal letter (`letter`) where the email carries one, otherwise a notice of
    its own stored encrypted under PRIVATE_ROOT/letters.
    """

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="postal_letters",
        db_column="request_id",
        verbose_name=_("request"),
    )
    template = models.CharField(max_length=40)
    for_event = models.PositiveIntegerField()
    letter = models.ForeignKey(Letter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stored_name = models.CharField(max_length=50, blank=True)
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    posted_on = models.DateField(_("posted on"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["privacy_request_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "template", "for_event"], name="one_postal_letter_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.template} by post for case {self.privacy_request_id}"

    @property
    def filename(self) -> str:
        return f"{self.template}-{self.created_at:%Y%m%d}-post.pdf"
