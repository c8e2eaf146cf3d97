"""Filters the letters need for their typography in each language."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

register = template.Library()

# Languages whose typography starts what follows a colon in lower case ("Результат: выполнен полностью").
LOWER_AFTER_COLON = frozenset({"ru"})


@register.filter
def after_colon(value: Any) -> str:
    """A label's value as it reads after "Outcome:", in the active language: lower case first in Russian, as
    written in English. An abbreviation ("ICO", "GDPR") keeps its capitals."""
    text = str(value)
    first_word = text.split(" ", 1)[0]
    abbreviation = len(first_word) > 1 and first_word.isupper()
    if (get_language() or "") in LOWER_AFTER_COLON and text[:1].isupper() and not abbreviation:
        return text[0].lower() + text[1:]
    return text
