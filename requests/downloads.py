"""Private files leave as downloads only: one response shape for evidence, letters and packets, staff or requester."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.http import HttpResponse
from django.utils.http import content_disposition_header

logger = logging.getLogger(__name__)


def attachment(data: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """Private bytes as a download that no browser renders inline and no cache keeps."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def keep_grant(grant: str, case_pk: int, seconds: int) -> None:
    """Remember a requester's one download in the cache, beside their session, so two requests racing with one
    session take it once. With the cache away (Redis stopped) the session's grant alone opens it (issue 24): that
    race is the requester's own, and a 500 on their download is not."""
    try:
        cache.set(f"download-grant:{grant}", case_pk, seconds)
    except Exception as error:  # the cache's own errors differ by backend (as in privacyportal/ratelimit.py)
        logger.warning(
            "download grant kept in the session only, the cache is unavailable: %s", type(error).__name__
        )


def take_grant(grant: object) -> bool:
    """Claim the download keep_grant remembered: True once, for the first request to ask (the cache's delete)."""
    try:
        return bool(cache.delete(f"download-grant:{grant}"))
    except Exception as error:  # as in keep_grant
        logger.warning(
            "download grant taken from the session only, the cache is unavailable: %s", type(error).__name__
        )
        return True  # the session's grant, popped by the caller, is the claim while the cache is away
