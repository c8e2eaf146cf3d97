"""Letters to post for a requester by post (requests/services/post.py): what is waiting, and what has gone."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import PostalLetter, PrivacyRequest


def letters_to_post(privacy_request: PrivacyRequest) -> QuerySet[PostalLetter]:
    """Printed but not yet recorded as posted, oldest first: the order they should go in."""
    return (
        privacy_request.postal_letters.filter(posted_at__isnull=True)
        .select_related("letter")
        .order_by("created_at", "pk")
    )


def letters_posted(privacy_request: PrivacyRequest) -> QuerySet[PostalLetter]:
    return (
        privacy_request.postal_letters.filter(posted_at__isnull=False)
        .select_related("posted_by")
        .order_by("posted_on", "pk")
    )
