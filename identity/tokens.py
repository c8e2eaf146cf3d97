"""Personal API tokens for staff (DESIGN §10): created on a page of their own, shown once, stored as an HMAC,
expiring, revocable, last use recorded. `authenticate` is what the API's authentication class calls."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import ApiToken

TOKEN = re.compile(r"^pp_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
LIFETIMES = (30, 90, 180, 365)  # days a token may be made to last
# last_used_at is written at most this often, so a busy integration does not write on every call.
TOUCH_EVERY = timedelta(minutes=1)


def _digest(secret: str, key: str | None = None) -> str:
    return salted_hmac("identity.api_token", secret, secret=key, algorithm="sha256").hexdigest()


def _matches(token: ApiToken, secret: str) -> bool:
    """The token's fingerprint under SECRET_KEY or, while it is being rotated, under an old key."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return any(constant_time_compare(token.digest, _digest(secret, key)) for key in keys)


@transaction.atomic
def create_token(user: Any, *, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for `user`; the plaintext is returned once and never stored."""
    if days not in LIFETIMES:
        raise ValueError(f"a token lasts one of {LIFETIMES} days")
    while True:
        prefix = secrets.token_hex(4)
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=prefix,
        digest=_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, f"pp_{prefix}_{secret}"


def authenticate(raw: str) -> ApiToken | None:
    """The live token behind `raw`, whose owner is active staff; None for anything else."""
    found = TOKEN.match(raw or "")
    if not found:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=found[1]).first()
    if token is None or not _matches(token, found[2]):
        return None
    now = timezone.now()
    if token.revoked_at is not None or token.expires_at <= now:
        return None
    if not (token.user.is_active and token.user.is_staff):
        return None
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def revoke(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
