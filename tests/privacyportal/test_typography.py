from __future__ import annotations

from privacyportal.typography import tidy


def test_a_russian_sentence_ending_on_a_date_keeps_one_full_stop() -> None:
    assert tidy("Мы ответим не позднее 31 марта 2025 г..", "ru") == "Мы ответим не позднее 31 марта 2025 г."
    assert tidy("получен 10 марта 2025 г.. Далее", "ru") == "получен 10 марта 2025 г. Далее"
    # An ellipsis, English text and a date mid-sentence are left as they are.
    assert tidy("до 2025 г...", "ru") == "до 2025 г..."
    assert tidy("10 марта 2025 г., и далее", "ru") == "10 марта 2025 г., и далее"
    assert tidy("by 2025 г..", "en") == "by 2025 г.."
