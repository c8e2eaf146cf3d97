"""Reads about the register of processing: which texts of an entry are missing in a language."""

from __future__ import annotations

from django.conf import settings
from modeltranslation.translator import translator

from ..models import CompanySystem, ProcessingActivity, own_text


def missing_translations(entry: ProcessingActivity | CompanySystem) -> dict[str, list[str]]:
    """Per language (its code), the texts of `entry` left empty there but written in another language, by field
    name in the model's order; languages missing nothing are left out. Where a text is missing, a reader in
    that language gets the English one (or, when the English is the one missing, nothing)."""
    translated = set(translator.get_options_for_model(type(entry)).all_fields)
    fields = [field.name for field in type(entry)._meta.fields if field.name in translated]
    languages = [code for code, _name in settings.LANGUAGES]
    texts = {field: {code: own_text(entry, field, code).strip() for code in languages} for field in fields}
    missing = {
        code: [field for field in fields if any(texts[field].values()) and not texts[field][code]]
        for code in languages
    }
    return {code: names for code, names in missing.items() if names}
