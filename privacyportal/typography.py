"""Typography a translation cannot get right alone. Pure: no Django.

A Russian date ends with "г." ("10 марта 2025 г."); where a sentence ends on a date its own full stop doubles it,
and a translator cannot know which sentences will. Russian typography drops the second one.
"""

from __future__ import annotations

import re

_DOUBLED_YEAR_STOP = re.compile(r"(\d{4} г)\.\.(?!\.)")


def tidy(text: str, language: str) -> str:
    """`text` with the doubled full stop after a Russian date removed (an ellipsis is left alone)."""
    if language != "ru":
        return text
    return _DOUBLED_YEAR_STOP.sub(r"\1.", text)
