"""Secrets that travel in a URL never reach a log (issue 15).

The emailed one-click links carry a token in their path (/verify/<token>/, /confirm-agent/<token>/, a system
owner's /owner-task/<token>/, and staff enrolment's /admin/enrol/<token>/): whoever
reads the access log or the Django request warnings could confirm someone else's email with it. `redact`
blanks that path segment wherever it appears in a line (request line, path, query string, a Referer), and
`RedactSecretsFilter` applies it to log records. The gunicorn side is `gunicorn_conf.RedactingLogger`.
This module imports no app: gunicorn loads it before Django.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# A slash, raw or percent-encoded (a `next=` parameter carries the path encoded).
_SLASH = r"(?:/|%2F)"
# The paths of the URLconf whose next segment is a secret, and the fixed pages that share their prefix.
SECRET_PATHS = re.compile(
    rf"(?P<prefix>{_SLASH}(?:verify|confirm-agent|owner-task|admin{_SLASH}enrol){_SLASH})"
    rf"(?!(?:resend|done|link){_SLASH}|{_SLASH}|[?#\s\"]|$)"
    rf"(?P<secret>(?:(?!%2F)[^/?#&\s\"])+)",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """`text` with the token of every secret-bearing path replaced by [redacted]."""
    return SECRET_PATHS.sub(lambda found: found["prefix"] + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Rewrites a record's message with the secrets of URLs redacted (django.request, django.server, ...).

    The message is formatted here once, so a path passed as an argument ("Not Found: %s") is caught too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
