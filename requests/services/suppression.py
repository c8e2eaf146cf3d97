"""The suppression list (DESIGN §13): an opt-out or a marketing objection adds the address, for good.

Entries are HMAC-SHA256 of the normalised address under the audit keys (AUDIT_KEYS, with a purpose of their own
in the message), so the table names nobody, and a key rotation keeps every entry: a check tries every key.
"""

from __future__ import annotations

import hmac
from hashlib import sha256

from django.conf import settings
from django.db import transaction

from privacyportal.addresses import normalise_email

from ..audit import record_event
from ..models import ActorKind, Kind, PrivacyRequest, SuppressedAddress

# The kinds of request that put an address on the list: no more marketing, no sale or sharing.
SUPPRESSING = frozenset({Kind.OPT_OUT, Kind.OBJECTION})


def digests(address: str) -> list[str]:
    """The address's digest under each key, newest key first (the first is the one stored)."""
    message = f"suppression:{normalise_email(address)}".encode()
    return [hmac.new(key.encode(), message, sha256).hexdigest() for key in settings.AUDIT_KEYS]


def is_suppressed(address: str) -> bool:
    return SuppressedAddress.objects.filter(digest__in=digests(address)).exists()


@transaction.atomic
def suppress(privacy_request: PrivacyRequest) -> bool:
    """Add the requester's address (the data subject's, where an agent asked); False when it was there already."""
    address = privacy_request.subject_email or privacy_request.requester_email
    if not address or is_suppressed(address):  # a requester by post with no address: staff act in each system
        return False
    SuppressedAddress.objects.create(
        digest=digests(address)[0], kind=privacy_request.kind, privacy_request=privacy_request
    )
    record_event(privacy_request, "suppressed", actor_kind=ActorKind.SYSTEM, data={"list": "suppression"})
    return True
