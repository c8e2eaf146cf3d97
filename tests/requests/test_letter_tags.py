from __future__ import annotations

from django.utils import translation

from requests.templatetags.letters import after_colon


def test_russian_starts_what_follows_a_colon_in_lower_case_but_keeps_abbreviations() -> None:
    with translation.override("ru"):
        assert after_colon("Выполнен полностью") == "выполнен полностью"
        assert after_colon("У нас нет данных об этом лице") == "у нас нет данных об этом лице"
        assert after_colon("ICO считает") == "ICO считает"
    with translation.override("en"):
        assert after_colon("Done in full") == "Done in full"
