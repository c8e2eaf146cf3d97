"""Which right an emailed request seems to ask for, and in which language it is written (pure: words in, words out).

Only a suggestion for staff, who read the mail and choose; the first right whose words appear wins, so the more
specific phrases ("do not sell", "sensitive") are looked for before the general ones ("data", "copy").
"""

from __future__ import annotations

import re

# (right, words): lower-case fragments, matched anywhere in the subject and text. English and Russian stems.
KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("limit_sensitive", ("limit the use of my sensitive", "sensitive personal", "sensitive data",
                         "чувствительн", "специальных категорий")),
    ("opt_out", ("do not sell", "don't sell", "do not share", "opt out", "opt-out", "unsubscribe",
                 "не продавать", "не передавать", "отказ от продажи", "отписат")),
    ("portability", ("portability", "portable", "export", "machine-readable", "переносимост", "перенос",
                     "выгрузк", "экспорт")),
    ("rectification", ("correct", "rectif", "update my", "wrong", "inaccurate", "исправ", "уточнить", "неверн")),
    ("erasure", ("delete", "erase", "erasure", "forget", "remove my", "удал", "стереть", "забыт")),
    ("restriction", ("restrict", "ограничи", "приостанов")),
    ("objection", ("object", "возража", "возраж")),
    ("access", ("access", "copy", "what data", "what personal data", "what information", "доступ", "копи",
                "какие данные", "какие персональные")),
)  # fmt: skip

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def suggest_right(subject: str, text: str) -> str:
    """The right the words suggest (a `Kind` value), or "" when none of them does."""
    words = f"{subject}\n{text}".lower()
    for right, fragments in KEYWORDS:
        if any(fragment in words for fragment in fragments):
            return right
    return ""


def suggest_language(subject: str, text: str) -> str:
    """ "ru" for a mail written mostly in Cyrillic letters, otherwise "en"."""
    words = f"{subject}\n{text}"
    return "ru" if len(_CYRILLIC.findall(words)) > len(_LATIN.findall(words)) else "en"
