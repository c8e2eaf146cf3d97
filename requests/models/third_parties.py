"""Third parties we sell or share personal data with, or give it to for marketing, and what each was told.

An opt-out, a limit on sensitive data or an objection to direct marketing is passed on to them (CCPA
§1798.135(c)(6), regs §7026(f)(2) and §7027(g)(2); GDPR Art. 19 in spirit): one notice per (case, third
party), sent by email, its date recorded when it went out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Kind, PrivacyRequest


class ThirdParty(models.Model):
    """A recipient named in the register that must hear of an opt-out: what we give it, and where it is told."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    # Where privacy notices go: the recipient's privacy or compliance address (a person reads it).
    email = models.EmailField(_("address for privacy notices"))
    sold_to = models.BooleanField(_("we sell personal data to it"), default=False)
    shared_with = models.BooleanField(
        _("we share personal data with it for cross-context behavioural advertising"), default=False
    )
    marketing = models.BooleanField(_("it receives personal data for direct marketing"), default=False)
    sensitive = models.BooleanField(
        _("it receives sensitive personal data for purposes a person may limit"), default=False
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("third party")
        verbose_name_plural = _("third parties")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# Which third parties hear of which request: the flags whose use the request stops.
TOLD_FOR: dict[str, tuple[str, ...]] = {
    Kind.OPT_OUT: ("sold_to", "shared_with", "marketing"),
    Kind.OBJECTION: ("marketing",),  # only an objection to direct marketing is honoured without proof
    Kind.LIMIT_SENSITIVE: ("sensitive",),
}


class NoticeMethod(models.TextChoices):
    EMAIL = "email", _("Email")
    LETTER = "letter", _("Letter")
    PHONE = "phone", _("Phone")
    OTHER = "other", _("Another way")


class ThirdPartyNotice(models.Model):
    """One third party told of one case's request: when and how. The name and address are copied when the
    notice is made, so a sent notice says where it went even if the register changes later."""

    privacy_request = models.ForeignKey(
        PrivacyRequest,
        on_delete=models.CASCADE,
        related_name="third_party_notices",
        verbose_name=_("request"),
    )
    third_party = models.ForeignKey(
        ThirdParty,
        null=True,
        on_delete=models.SET_NULL,
        related_name="notices",
        verbose_name=_("third party"),
    )
    name = models.CharField(_("third party"), max_length=200)
    email = models.EmailField(_("sent to"))
    method = models.CharField(
        _("method"), max_length=10, choices=NoticeMethod.choices, default=NoticeMethod.EMAIL
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(_("told on"), null=True, blank=True)

    class Meta:
        verbose_name = _("third-party notice")
        verbose_name_plural = _("third-party notices")
        ordering = ["privacy_request_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["privacy_request", "third_party"], name="one_notice_per_third_party"
            )
        ]

    def __str__(self) -> str:
        return self.name


class RecipientNotice(models.Model):
    """Art. 19 GDPR: one recipient named in the register told of an erasure, a correction or a restriction, as
    staff recorded it (how and when), or not told and why (impossible, or a disproportionate effort). The
    confirmation letter states only what is recorded here."""

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="recipient_notices", verbose_name=_("request")
    )
    recipient = models.CharField(_("recipient"), max_length=200)
    method = models.CharField(_("method"), max_length=10, choices=NoticeMethod.choices, blank=True)
    told_on = models.DateField(_("told on"), null=True, blank=True)
    not_told_reason = models.TextField(_("why not told"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("recipient notice")
        verbose_name_plural = _("recipient notices")
        ordering = ["privacy_request_id", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["privacy_request", "recipient"], name="one_notice_per_recipient")
        ]

    def __str__(self) -> str:
        return self.recipient

    @property
    def told(self) -> bool:
        return self.told_on is not None
