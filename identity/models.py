"""Proof of control of an email address: single-use codes and links, stored hashed (DESIGN §6)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class EmailChallenge(models.Model):
    """One code + link sent to the requester. Only HMACs are stored; the secrets exist only in the email."""

    class Purpose(models.TextChoices):
        VERIFY_REQUEST = "verify_request"

    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    request = models.ForeignKey(
        "requests.PrivacyRequest", on_delete=models.CASCADE, related_name="email_challenges"
    )
    code_hash = models.CharField(max_length=64)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["request", "-created_at"], name="challenge_latest")]

    def __str__(self) -> str:
        return f"{self.purpose} for case {self.request_id}"
