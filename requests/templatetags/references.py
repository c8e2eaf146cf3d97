"""A case reference as the public pages show it: never broken across lines ("PR-" on one, "2026-000008" on
the next), which a narrow phone screen did at each hyphen."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def ref(reference: Any) -> SafeString:
    """`reference` escaped, in a span the stylesheet keeps on one line (`.ref`); safe inside {% blocktranslate %}."""
    return format_html('<span class="ref">{}</span>', reference)


@register.filter
def email_ref(reference: Any) -> SafeString:
    """The same in an email's HTML part, styled inline: mail programs drop style sheets."""
    return format_html('<span style="white-space:nowrap">{}</span>', reference)
