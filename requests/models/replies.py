"""Reply templates: the DPO's standard wording for messages to requesters, with the case's facts filled in.

A template names facts as `{placeholder}`; only the names in PLACEHOLDERS exist, and a template naming any other
is refused when saved (a typo would otherwise reach the requester as "{refrence}").
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

# What a template may name; requests/selectors/replies.py says what each stands for on a case.
PLACEHOLDERS = ("reference", "requester_name", "right", "due_date", "received_date")

# A placeholder: a name in braces. Anything else in braces ("{ }", "{{") is left alone as plain text.
PLACEHOLDER = re.compile(r"\{([^{}\s]*)\}")


def unknown_placeholders(text: str) -> list[str]:
    """The names in braces that are not placeholders, in the order they first appear."""
    names = [name for name in PLACEHOLDER.findall(text) if name not in PLACEHOLDERS]
    return list(dict.fromkeys(names))


def only_known_placeholders(text: str) -> None:
    unknown = unknown_placeholders(text)
    if unknown:
        raise ValidationError(
            _("Unknown placeholder: %(unknown)s. Use only %(known)s."),
            code="unknown_placeholder",
            params={
                "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDERS),
            },
        )


class ReplyPurpose(models.TextChoices):
    ACKNOWLEDGE = "acknowledge", _("Acknowledge the request")
    IDENTITY = "identity", _("Ask for more identity information")
    CLARIFY = "clarify", _("Ask the requester to clarify")
    EXTENSION = "extension", _("Tell of an extension")
    COMPLETION = "completion", _("Tell that the request is done")
    OTHER = "other", _("Something else")


class ReplyLanguage(models.TextChoices):
    EN = "en", _("English")
    RU = "ru", _("Russian")


class ReplyTemplate(models.Model):
    """One standard message to a requester, in one language; staff start from it and edit before sending."""

    name = models.CharField(_("name"), max_length=120)
    purpose = models.CharField(_("used for"), max_length=20, choices=ReplyPurpose.choices)
    language = models.CharField(_("language"), max_length=2, choices=ReplyLanguage.choices)
    subject = models.CharField(
        _("subject line"),
        max_length=200,
        validators=[only_known_placeholders],
        help_text=_("The message's first line."),
    )
    body = models.TextField(
        _("template text"),
        validators=[only_known_placeholders],
        help_text=_(
            "Filled in from the case: {reference}, {requester_name}, {right} (the right asked for), {due_date} "
            "(extended, if it was), {received_date}. Write [in square brackets] what staff complete before "
            "sending: they can edit the whole text."
        ),
    )

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["language", "purpose", "name"]
        constraints = [models.UniqueConstraint(fields=["language", "name"], name="reply_template_name")]

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"
