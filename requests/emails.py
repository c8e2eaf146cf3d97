"""The one email helper: templates/emails/<name>-subject.txt, -body.txt and optional -body.html."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from .outbox import OutboxTask

# Options of every task that sends email: retried with backoff while the mail server is unreachable.
EMAIL_TASK: dict[str, Any] = {
    "base": OutboxTask,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "max_retries": 5,
    "time_limit": 60,
    "soft_time_limit": 50,
}


def make_message(
    name: str, context: dict[str, Any], *, to: Sequence[str], language: str = "en"
) -> EmailMultiAlternatives:
    """Render one email in the recipient's language."""
    context = {
        "operator_name": settings.PRIVACY_OPERATOR_NAME,
        "operator_address": settings.PRIVACY_OPERATOR_ADDRESS,
        "dpo_email": settings.PRIVACY_DPO_EMAIL,
        **context,
    }
    with translation.override(language):
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        body = render_to_string(f"emails/{name}-body.txt", context)
        try:
            html = render_to_string(f"emails/{name}-body.html", context)
        except TemplateDoesNotExist:
            # Every email has an HTML part: the text, escaped, with links and paragraphs, in the house layout.
            html = render_to_string(
                "emails/_layout.html", {**context, "body": body, "subject": subject, "language": language}
            )
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, list(to))
    message.attach_alternative(html, "text/html")
    return message


def dpo_users() -> Any:
    """The DPOs: active members of the DPO group, and superusers, with an email address."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    users = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name="DPO"), is_active=True)
    return users.exclude(email="").distinct()


def dpo_addresses() -> list[str]:
    """Who hears about problems with the whole system: the DPO mailbox and every DPO."""
    return sorted({settings.PRIVACY_DPO_EMAIL, *dpo_users().values_list("email", flat=True)} - {""})


def record_sent(privacy_request: Any, template: str, to: str) -> None:
    """Every email is an event on its case: the template and the kind of recipient, never the address."""
    from django.db import transaction

    from .audit import record_event

    with transaction.atomic():
        record_event(privacy_request, "email_sent", data={"template": template, "to": to})
