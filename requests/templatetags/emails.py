"""The HTML part of our emails: the text part, escaped, with only our own addresses as links.

Django's `urlize` turned anything that looks like an address into a link, including what a requester typed (a
"name" such as `evil.example/login`), so our email carried a live link in the operator's name: a phishing aid.
Only URLs under PORTAL_BASE_URL, which we wrote ourselves, become links.
"""

from __future__ import annotations

import re

from django import template
from django.conf import settings
from django.utils.html import escape, linebreaks
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

# A URL ends before white space or markup, and the sentence's own punctuation after it is not part of it
# ("…/status/, войдя" links to /status/).
_URL = re.compile(r"https?://[^\s<>\"']*[^\s<>\"'.,;:!?)»]")


@register.filter
def email_html(text: str) -> SafeString:
    base = escape(settings.PORTAL_BASE_URL.rstrip("/"))
    escaped = escape(text)

    def link(match: re.Match[str]) -> str:
        url = match.group(0)
        # Ours: the base itself or a path under it (not "…:8000.evil.example"). Compared on the escaped text, as
        # it stands in the page.
        ours = url == base or url.startswith((base + "/", base + "?", base + "#"))
        return f'<a href="{url}">{url}</a>' if ours else url

    return mark_safe(linebreaks(_URL.sub(link, escaped), autoescape=False))  # noqa: S308  (escaped above)
