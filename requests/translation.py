"""The register's texts in each language (django-modeltranslation): a letter prints them in the requester's.

Each field below gets a column per language (`purposes_en`, `purposes_ru`); reading `activity.purposes` gives the
active language's text, or the English one where it is missing (MODELTRANSLATION_FALLBACK_LANGUAGES). The admin
shows both and warns of a missing one (requests/admin/register.py).
"""

from __future__ import annotations

from modeltranslation.translator import TranslationOptions, register

from .models import CompanySystem, ProcessingActivity

# A text left empty in one language is stored as NULL, not "": the names stay unique per language however many
# entries are not yet translated, and "missing" has one meaning.
MISSING = None


@register(ProcessingActivity)
class ProcessingActivityTranslation(TranslationOptions):
    fields = (
        "name",
        "purposes",
        "data_categories",
        "sources",
        "recipients",
        "retention",
        "transfers",
        "automated_decisions",
    )
    empty_values = MISSING


@register(CompanySystem)
class CompanySystemTranslation(TranslationOptions):
    # Not the name: a system's name is what staff, owners, connectors and every record of a case call it (the
    # checks, connector runs, owner tasks, the packet's sections), and mostly a product's name ("Zoho CRM", "Xero")
    # that reads the same in a Russian letter. Two names for one system would split that record in two.
    fields = ("description",)
    empty_values = MISSING
