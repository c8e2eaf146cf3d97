"""The register of processing (Art. 30) and the company's systems that hold personal data."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.utils import build_localized_fieldname


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (Art. 6(1)(a))")
    CONTRACT = "contract", _("Contract (Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (Art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Vital interests (Art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("Public task (Art. 6(1)(e))")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (Art. 6(1)(f))")


def own_text(entry: models.Model, field: str, language: str) -> str:
    """A translated field's text in `language` itself, without falling back to English ("" when missing)."""
    return getattr(entry, build_localized_fieldname(field, language)) or ""


def lines_of(text: str | None) -> list[str]:
    """A one-per-line list's items (the recipients), blank lines and surrounding spaces left out."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ProcessingActivity(models.Model):
    """One entry of the record of processing (Art. 30): what the access letter tells a person (Art. 15(1)).

    Its texts are kept in English and Russian (requests/translation.py): `activity.purposes` is the active
    language's, or the English where that is missing.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    purposes = models.TextField(_("purposes"))
    data_categories = models.TextField(_("categories of personal data"))
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    sources = models.TextField(_("where the data comes from"))
    # One recipient per line, by name: the erasure, rectification and restriction letters list them (Art. 19).
    recipients = models.TextField(_("recipients, by name (one per line)"), blank=True)
    retention = models.CharField(_("how long it is kept"), max_length=300)
    transfers = models.TextField(_("transfers outside the UK/EEA, and safeguards"), blank=True)
    automated_decisions = models.TextField(
        _("automated decisions or profiling"), blank=True, help_text=_("Leave empty if there are none.")
    )
    # Django's manager, which modeltranslation makes one of its own class at start-up (out of the type checker's
    # sight): queries on a translated field name read the active language's column.
    objects: ClassVar[models.Manager[ProcessingActivity]]

    class Meta:
        verbose_name = _("processing register entry")
        verbose_name_plural = _("processing register")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_names(self) -> list[str]:
        """The recipients in the active language (the English names where it has none)."""
        return lines_of(self.recipients)

    @property
    def recipients_keyed(self) -> list[tuple[str, str]]:
        """Art. 19: each recipient as (the name its notice is recorded under, its name in the active language).

        A notice is recorded under the English name, so what staff working in Russian recorded is what an English
        letter states, and the reverse. The lists are paired line by line (the admin keeps them the same length);
        a list that does not pair up gives way to the English names. Recipients written in Russian only are
        recorded, and shown, under their Russian names: no recipient is ever left out."""
        english = settings.MODELTRANSLATION_DEFAULT_LANGUAGE
        languages = [english, *(code for code, _name in settings.LANGUAGES if code != english)]
        keys = next(
            (names for code in languages if (names := lines_of(own_text(self, "recipients", code)))), []
        )
        shown = self.recipient_names
        if len(keys) != len(shown):
            return [(key, key) for key in keys]
        return list(zip(keys, shown, strict=True))


class ConnectorKind(models.TextChoices):
    MANUAL = "", _("None: its owner is sent a task")
    SQL = "sql", _("SQL database (PostgreSQL, MySQL/MariaDB, SQLite)")
    ZOHO = "zoho", _("Zoho CRM")


class CompanySystem(models.Model):
    """A place where personal data lives (CRM, mailbox, billing...): each case checks every active one.

    With a connector the portal does the work itself (requests/connectors/, DESIGN §13); without one the system's
    owner is sent a task by email. Credentials are stored encrypted (ENCRYPTION_KEYS) and never shown again.
    """

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("what it holds"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_systems",
    )
    activities = models.ManyToManyField(
        ProcessingActivity, verbose_name=_("register entries it serves"), related_name="systems", blank=True
    )
    # Who does the work when no connector reaches the system: an address, not necessarily a staff account.
    owner_email = models.EmailField(_("owner's email"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    # An opt-out, a limit or a marketing objection is worked only in systems used for marketing, selling, sharing
    # or sensitive data; on by default, so a new system is never left out by mistake.
    takes_opt_outs = models.BooleanField(
        _("carries out opt-outs and marketing objections"),
        default=True,
        help_text=_(
            "Untick for a system never used for marketing, selling or sharing personal data, or for sensitive "
            "data: opt-outs, limits and objections to marketing then send it no work."
        ),
    )
    connector = models.CharField(_("connector"), max_length=20, choices=ConnectorKind.choices, blank=True)
    # What the connector needs besides secrets: for SQL, dialect, host, port, database and the dataset description.
    connector_settings = models.JSONField(_("connector settings"), default=dict, blank=True)
    # MultiFernet token of a JSON object (username, password...): privacyportal.files.fernet(); never in a form.
    credentials = models.TextField(blank=True, editable=False)
    # modeltranslation's manager at run time, as for ProcessingActivity.
    objects: ClassVar[models.Manager[CompanySystem]]

    class Meta:
        verbose_name = _("company system")
        verbose_name_plural = _("company systems")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
