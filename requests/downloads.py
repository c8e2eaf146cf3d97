"""Private files leave as downloads only: one response shape for evidence, letters and packets, staff or requester."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.http import content_disposition_header


def attachment(data: bytes, *, filename: str, content_type: str) -> HttpResponse:
    """Private bytes as a download that no browser renders inline and no cache keeps."""
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename) or ""
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response
