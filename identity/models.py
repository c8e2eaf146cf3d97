"""Proof of control of an email address: single-use codes and links, stored hashed (DESIGN §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class EmailChallenge(models.Model):
    """One code + link sent to the requester. Only HMACs are stored; the secrets exist only in the email."""

    class Purpose(models.TextChoices):
        VERIFY_REQUEST = "verify_request"  # confirm the email of one new case
        SIGN_IN = "sign_in"  # open the status page for every case of an email address
        SUBJECT_CONFIRM = "subject_confirm"  # the person an agent acts for confirms directly
        DOWNLOAD = "download"  # a fresh code before the requester downloads their packet

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # The case whose email is being proved; for sign-in, the newest case of that address (where the code goes).
    privacy_request = models.ForeignKey(
        "requests.PrivacyRequest",
        on_delete=models.CASCADE,
        related_name="email_challenges",
        db_column="request_id",
        verbose_name=_("request"),
    )
    code_hash = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # The outbox row whose task issued it: a copy of that task run again (a worker killed after sending) finds
    # it and sends the same code and link again. Empty for one a page asked for ("send me a new code").
    outbox_task_id = models.UUIDField(null=True, blank=True, unique=True)

    class Meta:
        indexes = [models.Index(fields=["privacy_request", "-created_at"], name="challenge_latest")]

    def __str__(self) -> str:
        return f"{self.purpose} for case {self.privacy_request_id}"


class Evidence(models.Model):
    """A file the requester sent (agent permission, parental authority, ID as a last resort).

    The bytes live encrypted under PRIVATE_ROOT; this row knows where, and is purged after the decision.
    `request` is empty while the file waits for its form to be completed (so a failed form loses nothing).
    """

    class Kind(models.TextChoices):
        AGENT_PERMISSION = "agent_permission", _("Signed permission for an agent")
        PARENT_AUTHORITY = "parent_authority", _("Proof of parental responsibility")
        ID_DOCUMENT = "id_document", _("Identity document")
        ATTACHMENT = "attachment", _("Attachment")
        EXTRACT = "extract", _("Extract from a company system")
        # The scan of a letter as it reached us, uploaded by staff who log it.
        REQUEST_AS_RECEIVED = "request_as_received", _("Request as received")

    privacy_request = models.ForeignKey(
        "requests.PrivacyRequest",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="evidence",
        db_column="request_id",
        verbose_name=_("request"),
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Extracts staff upload from a company system for the packet (DESIGN §9).
    system = models.ForeignKey(
        "requests.CompanySystem", null=True, blank=True, on_delete=models.PROTECT, related_name="extracts"
    )
    name = models.CharField(max_length=100)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    stored_name = models.CharField(max_length=50, unique=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.pk})"


class ApiToken(models.Model):
    """A personal API token of a member of staff (DESIGN §10): shown once, stored as an HMAC, expiring, revocable.

    The token reads `pp_<prefix>_<secret>`: the prefix finds the row, the secret is checked against `digest`.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What uses it, e.g. “Zoho CRM sync”."))
    prefix = models.CharField(max_length=12, unique=True)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (pp_{self.prefix}_…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class StaffEnrolment(models.Model):
    """A one-time link with which a member of staff sets up their authenticator app (DESIGN §8).

    A password alone never enrols a device: the first device (and a replacement for a lost phone) needs one of
    these, sent by a DPO from the admin or printed by `manage.py reset_otp`. Only the link's hash is stored.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("member of staff"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
        verbose_name=_("sent by"),
    )
    expires_at = models.DateTimeField(_("expires"), editable=False)
    used_at = models.DateTimeField(_("used"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("two-factor enrolment link")
        verbose_name_plural = _("two-factor enrolment links")

    def __str__(self) -> str:
        return f"enrolment link {self.pk}"

    @property
    def live(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
