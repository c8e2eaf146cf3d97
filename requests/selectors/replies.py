"""Reply templates on the case page: the case's facts filled in, the case's language first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import translation
from django.utils.formats import date_format

from ..models import PrivacyRequest, ReplyPurpose, ReplyTemplate
from ..models.replies import PLACEHOLDER
from .clock import local_date


@dataclass(frozen=True)
class Reply:
    """A template as it would be sent on this case: its subject line, a blank line, its text."""

    template: ReplyTemplate
    text: str


def fill(text: str, values: dict[str, str]) -> str:
    """Each known placeholder replaced by its value; anything else in braces stays as written (never an error:
    a template saved before a placeholder was renamed still opens, and staff see what to fix)."""
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def case_facts(privacy_request: PrivacyRequest, language: str) -> dict[str, str]:
    """What each of PLACEHOLDERS stands for on this case, written in `language`."""

    def day(value: date) -> str:
        return date_format(value, "j E Y")  # "4 December 2026", "4 декабря 2026"

    with translation.override(language):
        return {
            "reference": privacy_request.reference,
            "requester_name": privacy_request.requester_name,
            "right": str(privacy_request.get_kind_display()),
            "due_date": day(privacy_request.effective_due_at),
            "received_date": day(local_date(privacy_request.received_at)),
        }


PURPOSE_ORDER = {purpose: n for n, purpose in enumerate(ReplyPurpose.values)}


def replies_for(privacy_request: PrivacyRequest) -> list[Reply]:
    """Every template filled in for this case: those in the case's language first, then by purpose and name."""
    language = (privacy_request.language or "en")[:2]
    facts: dict[str, dict[str, str]] = {}
    replies = []
    for template in ReplyTemplate.objects.all():
        if template.language not in facts:
            facts[template.language] = case_facts(privacy_request, template.language)
        values = facts[template.language]
        text = f"{fill(template.subject, values)}\n\n{fill(template.body, values)}"
        replies.append(Reply(template, text))
    replies.sort(
        key=lambda r: (
            r.template.language != language,
            PURPOSE_ORDER.get(r.template.purpose, 99),
            r.template.name,
        )
    )
    return replies
