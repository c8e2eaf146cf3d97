"""The register of processing activities and the company systems (DPO-maintained).

A company system's connector is configured on its page: the SQL settings land in `connector_settings` (the keys
SqlConnector.from_settings reads), the user name and password are encrypted by `services.set_credentials` and
never shown again, and "Test connection" runs `services.test_connection` on what is saved.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Field, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from modeltranslation.admin import TranslationAdmin
from modeltranslation.utils import build_localized_fieldname

from .. import selectors, services
from ..connectors import ConnectorError, DatasetError, parse_dataset
from ..connectors.zoho import DATA_CENTRES, MODULES, OPT_OUT_MODULES, insecure_url
from ..models import (
    CompanySystem,
    ConnectorKind,
    ProcessingActivity,
    ThirdParty,
    lines_of,
)

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

# The register's texts kept per language (requests/translation.py), in the model's order.
REGISTER_TEXTS = (
    "name", "purposes", "data_categories", "sources", "recipients", "retention", "transfers", "automated_decisions",
)  # fmt: skip
ENGLISH = settings.MODELTRANSLATION_DEFAULT_LANGUAGE


def in_every_language(*fields: str) -> tuple[str, ...]:
    """Each field's column in each language: purposes_en, purposes_ru, ..."""
    return tuple(
        build_localized_fieldname(field, code) for field in fields for code, _name in settings.LANGUAGES
    )


def language_fieldsets(*fields: str) -> _FieldsetSpec:
    """A fieldset per language holding its text of each field: a language's texts read together, as written."""
    return [
        (
            capfirst(name),
            {
                "fields": tuple(build_localized_fieldname(field, code) for field in fields),
                "description": _(
                    "Every entry is written in English first: where another language's text is missing, its "
                    "readers get the English one."
                )
                if code == ENGLISH
                else _(
                    "What a letter in this language prints. Where a text is left empty here, it prints the "
                    "English text instead."
                ),
            },
        )
        for code, name in settings.LANGUAGES
    ]


def label(model: type[ProcessingActivity | CompanySystem], field: str) -> Any:
    return cast("Field[Any, Any]", model._meta.get_field(field)).verbose_name


def describe_missing(entry: ProcessingActivity | CompanySystem) -> str:
    """The texts missing in a language while written in another: "Russian: purposes; how long it is kept"
    (labels may hold commas of their own)."""
    names = dict(settings.LANGUAGES)
    return ". ".join(
        gettext("%(language)s: %(fields)s")
        % {
            "language": names[code],
            "fields": "; ".join(str(label(type(entry), field)) for field in fields),
        }
        for code, fields in selectors.missing_translations(entry).items()
    )


_Entry = TypeVar("_Entry", bound=ProcessingActivity | CompanySystem)


class InEveryLanguageAdmin(TranslationAdmin[_Entry]):
    """A register page showing each translated text in every language (modeltranslation, no scripts), a column
    naming the texts missing in a language, and a warning after a save that leaves one missing."""

    @admin.display(description=_("Missing translations"))
    def missing_translations(self, obj: _Entry) -> str:
        return describe_missing(obj)

    def save_model(self, request: HttpRequest, obj: _Entry, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        missing = describe_missing(obj)
        if missing:
            self.message_user(
                request,
                gettext(
                    "“%(entry)s” is missing translations: %(missing)s. Readers in that language get the English "
                    "text instead, or nothing where the English is missing."
                )
                % {"entry": obj, "missing": missing},
                messages.WARNING,
            )


class ProcessingActivityForm(forms.ModelForm[ProcessingActivity]):
    """The entry in every language; each language's recipients pair up, line by line, with the English ones."""

    class Meta:
        model = ProcessingActivity
        fields = (*in_every_language(*REGISTER_TEXTS), "legal_basis")
        help_texts = {
            field: _(
                "One per line, in the same order in every language: a recipient told of an erasure is recorded "
                "under its English name, and each letter names it in its own language."
            )
            for field in in_every_language("recipients")
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        english = lines_of(cleaned.get(build_localized_fieldname("recipients", ENGLISH)))
        for code, _name in settings.LANGUAGES:
            field = build_localized_fieldname("recipients", code)
            given = lines_of(cleaned.get(field))
            if code != ENGLISH and english and given and len(given) != len(english):
                self.add_error(
                    field,
                    ngettext(
                        "The English list names %(count)d recipient: give the same one here, one per line.",
                        "The English list names %(count)d recipients: give the same ones here, one per line and "
                        "in the same order.",
                        len(english),
                    )
                    % {"count": len(english)},
                )
        return cleaned


@admin.register(ProcessingActivity)
class ProcessingActivityAdmin(InEveryLanguageAdmin[ProcessingActivity]):
    """The record of processing (Art. 30): the access letter and the Art. 19 notices are built from it, in the
    requester's language."""

    form = ProcessingActivityForm
    list_display = ("name", "legal_basis", "retention", "system_names", "missing_translations")
    search_fields = in_every_language("name", "purposes", "data_categories")
    list_filter = ("legal_basis",)
    fieldsets = (
        *language_fieldsets(*REGISTER_TEXTS),
        (_("The same in every language"), {"fields": ("legal_basis",)}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[ProcessingActivity]:
        return super().get_queryset(request).prefetch_related("systems")

    @admin.display(description=_("systems"))
    def system_names(self, obj: ProcessingActivity) -> str:
        return ", ".join(s.name for s in obj.systems.all())


DIALECTS = [
    ("postgresql", "PostgreSQL"),
    ("mysql", "MySQL"),
    ("mariadb", "MariaDB"),
    ("sqlite", "SQLite"),
]
# The form's SQL fields, each the key SqlConnector.from_settings reads from `connector_settings`.
SQL_SETTINGS = ("dialect", "host", "port", "database", "schema", "read_only", "dataset")
# The form's Zoho fields and the `connector_settings` keys ZohoConnector.from_settings reads for them.
ZOHO_SETTINGS = {
    "data_centre": "data_centre",
    "zoho_modules": "modules",
    "zoho_rectify": "rectify",
    "zoho_keep": "keep",
    "zoho_compliance": "compliance",
    "zoho_opt_out": "opt_out",
    "zoho_accounts_url": "accounts_url",
}
# A Zoho API name (module or field): letters, digits and underscores, beginning with a letter.
API_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


class CompanySystemForm(forms.ModelForm[CompanySystem]):
    """The system, and for an SQL connector its settings and credentials (which are not model fields)."""

    dialect = forms.ChoiceField(
        label=capfirst(_("database kind")), choices=[("", "---------"), *DIALECTS], required=False
    )
    host = forms.CharField(
        label=capfirst(_("host")),
        max_length=255,
        required=False,
        help_text=_("Empty means 127.0.0.1. Not used for SQLite."),
    )
    port = forms.IntegerField(
        label=capfirst(_("port")),
        min_value=1,
        max_value=65535,
        required=False,
        help_text=_("Empty means the usual port (PostgreSQL 5432, MySQL/MariaDB 3306). Not used for SQLite."),
    )
    database = forms.CharField(
        label=capfirst(_("database")),
        max_length=1000,
        required=False,
        help_text=_("The database's name; for SQLite, the path of its file on the portal's server."),
    )
    schema = forms.CharField(
        label=capfirst(_("schema")),
        max_length=100,
        required=False,
        help_text=_("PostgreSQL only; empty means the default."),
    )
    read_only = forms.BooleanField(
        label=capfirst(_("open read-only")),
        required=False,
        help_text=_(
            "SQLite only: open the file read-only (access works; erasure and correction will refuse)."
        ),
    )
    dataset = forms.CharField(
        label=capfirst(_("dataset description")),
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 24, "cols": 100, "spellcheck": "false", "class": "vLargeTextField"}
        ),
        help_text=_(
            "YAML or JSON: which tables hold people's data, which columns identify a person, and what erasure "
            "does to each. It is checked when you save; docs/connectors.md explains it with a worked example."
        ),
    )
    username = forms.CharField(label=capfirst(_("user name")), max_length=200, required=False)
    password = forms.CharField(
        label=capfirst(_("password")),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_(
            "Stored encrypted and never shown again. Leave empty to keep the stored password "
            "(and type it again if the form comes back with errors)."
        ),
    )

    data_centre = forms.ChoiceField(
        label=capfirst(_("data centre")),
        choices=[("", "---------"), *((dc, f"zoho.{dc}") for dc in DATA_CENTRES)],
        required=False,
        help_text=_(
            "Where the company's Zoho account lives: the end of the address you sign in at (zoho.eu...)."
        ),
    )
    zoho_modules = forms.CharField(
        label=capfirst(_("modules")),
        required=False,
        help_text=_("Which modules to search, separated by commas; empty means %(modules)s.")
        % {"modules": ", ".join(MODULES)},
    )
    client_id = forms.CharField(label=capfirst(_("client ID")), max_length=200, required=False)
    client_secret = forms.CharField(
        label=capfirst(_("client secret")),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted and never shown again. Leave empty to keep the stored one."),
    )
    refresh_token = forms.CharField(
        label=capfirst(_("refresh token")),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From Zoho's API console (docs/zoho.md). Stored encrypted; leave empty to keep the stored one."
        ),
    )

    zoho_rectify = forms.CharField(
        label=capfirst(_("fields a correction may change")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40, "spellcheck": "false"}),
        help_text=_(
            "One per line, as Module.Field with Zoho's API names, e.g. Leads.Last_Name or Contacts.Phone. "
            "Empty: corrections in Zoho are made by hand."
        ),
    )
    zoho_keep = forms.CharField(
        label=capfirst(_("modules kept on erasure")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_(
            "One per line, as Module: the legal ground for keeping its records, e.g. "
            "“Deals: tax law, invoices kept 10 years”. Records of other modules are deleted."
        ),
    )
    zoho_compliance = forms.BooleanField(
        label=capfirst(_("compliance settings are on")),
        required=False,
        help_text=_(
            "Tick if the account has Compliance Settings on (Setup > Security Control): a restriction then sets "
            "“stop processing” on Leads and Contacts. Otherwise restrictions are made by hand."
        ),
    )
    zoho_opt_out = forms.CharField(
        label=capfirst(_("opt-out modules")),
        required=False,
        help_text=_(
            "The modules whose Email Opt Out an opt-out sets, separated by commas; empty means %(modules)s."
        )
        % {"modules": ", ".join(OPT_OUT_MODULES)},
    )
    zoho_accounts_url = forms.CharField(
        label=capfirst(_("accounts server (testing only)")),
        max_length=200,
        required=False,
        help_text=_(
            "Empty for a real account: the data centre says where. Only to point the portal at the Zoho "
            "simulator, e.g. http://127.0.0.1:8765."
        ),
    )

    class Meta:
        model = CompanySystem
        fields = (
            "name", *in_every_language("description"), "owner", "owner_email", "activities", "active",
            "takes_opt_outs", "connector",
        )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unreadable_credentials = ""
        system = self.instance
        if system.pk is None:
            return
        stored = system.connector_settings or {}
        for name in SQL_SETTINGS:
            if name in stored and name not in self.initial:
                self.initial[name] = stored[name]
        if system.connector == ConnectorKind.ZOHO:
            for name, value in zoho_initial(stored).items():
                self.initial.setdefault(name, value)
        try:
            stored_credentials = services.credentials_of(system)
            self.initial.setdefault("username", stored_credentials.get("username", ""))
            self.initial.setdefault("client_id", stored_credentials.get("client_id", ""))
        except ConnectorError as error:
            self.unreadable_credentials = error.message
            self.fields["username"].help_text = error.message

    def clean_dataset(self) -> str:
        return str(self.cleaned_data.get("dataset") or "").replace("\r\n", "\n")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("connector") == ConnectorKind.ZOHO:
            return self._clean_zoho(cleaned)
        if cleaned.get("connector") != ConnectorKind.SQL:
            return cleaned
        dialect = cleaned.get("dialect")
        if not dialect:
            self.add_error("dialect", gettext("Choose the kind of database."))
        if not cleaned.get("database"):
            self.add_error(
                "database",
                gettext("Give the SQLite file's path.")
                if dialect == "sqlite"
                else gettext("Give the database's name."),
            )
        dataset = cleaned.get("dataset", "")
        if not dataset.strip():
            self.add_error(
                "dataset",
                gettext("Describe the dataset: the tables that hold people's data (docs/connectors.md)."),
            )
        elif "dataset" not in self.errors:
            try:
                parse_dataset(dataset)
            except DatasetError as error:
                for problem in error.problems:
                    self.add_error("dataset", problem)
        if self.unreadable_credentials and dialect != "sqlite" and not cleaned.get("password"):
            self.add_error("password", self.unreadable_credentials)
        return cleaned

    def _clean_zoho(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        if not cleaned.get("data_centre"):
            self.add_error("data_centre", gettext("Choose the data centre of the company's Zoho account."))
        if not cleaned.get("client_id"):
            self.add_error(
                "client_id", gettext("Give the client ID of the portal's self client (docs/zoho.md).")
            )
        try:
            stored = services.credentials_of(self.instance) if self.instance.pk else {}
        except ConnectorError:
            stored = {}
        for name in ("client_secret", "refresh_token"):
            if not cleaned.get(name) and not stored.get(name):
                self.add_error(name, gettext("Give it once; it is then kept encrypted."))
        cleaned["zoho_modules"] = self._zoho_list("zoho_modules", None)
        modules = cleaned["zoho_modules"] or list(MODULES)
        cleaned["zoho_opt_out"] = self._zoho_list("zoho_opt_out", modules)
        cleaned["zoho_rectify"] = self._zoho_rectify(modules)
        cleaned["zoho_keep"] = self._zoho_keep(modules)
        url = str(cleaned.get("zoho_accounts_url") or "").strip().rstrip("/")
        if url and insecure_url(url):
            self.add_error(
                "zoho_accounts_url",
                gettext(
                    "Give an address beginning with https://; plain http:// only on this machine "
                    "(127.0.0.1 or localhost), as the simulator is."
                ),
            )
        cleaned["zoho_accounts_url"] = url
        return cleaned

    def _zoho_list(self, name: str, allowed: list[str] | None) -> list[str]:
        """Module API names separated by commas, each a plain API name and, with `allowed`, one of those: the
        good ones (each problem is a field error)."""
        good: dict[str, None] = {}
        for module in (m.strip() for m in str(self.cleaned_data.get(name) or "").split(",")):
            if not module:
                continue
            if not API_NAME.fullmatch(module):
                self.add_error(
                    name,
                    gettext("“%(name)s” is not a module's API name (letters, digits and _ only, e.g. Leads).")
                    % {"name": module},
                )
            elif allowed is not None and module not in allowed:
                self.add_error(name, self._not_searched(module, allowed))
            else:
                good[module] = None
        return list(good)

    def _not_searched(self, module: str, modules: list[str]) -> str:
        return gettext("%(module)s is not among the modules searched (%(modules)s): add it there first.") % {
            "module": module,
            "modules": ", ".join(modules),
        }

    def _on_line(self, number: int, problem: str) -> str:
        return gettext("Line %(line)s: %(problem)s") % {"line": number, "problem": problem}

    def _zoho_lines(self, name: str) -> list[tuple[int, str]]:
        text = str(self.cleaned_data.get(name) or "")
        return [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]

    def _zoho_rectify(self, modules: list[str]) -> dict[str, list[str]]:
        """Lines of Module.Field into {module: [field, ...]}, each problem named with its line."""
        rectify: dict[str, list[str]] = {}
        for number, line in self._zoho_lines("zoho_rectify"):
            module, dot, field = (part.strip() for part in line.partition("."))
            if not dot or not API_NAME.fullmatch(module) or not API_NAME.fullmatch(field):
                self.add_error(
                    "zoho_rectify",
                    gettext("Line %(line)s: write Module.Field, e.g. Leads.Last_Name.") % {"line": number},
                )
            elif module not in modules:
                self.add_error(
                    "zoho_rectify",
                    self._on_line(number, self._not_searched(module, modules)),
                )
            elif field not in rectify.setdefault(module, []):
                rectify[module].append(field)
        return rectify

    def _zoho_keep(self, modules: list[str]) -> dict[str, str]:
        """Lines of `Module: ground` into {module: ground}, each problem named with its line."""
        keep: dict[str, str] = {}
        for number, line in self._zoho_lines("zoho_keep"):
            module, colon, ground = (part.strip() for part in line.partition(":"))
            if not colon or not ground or not API_NAME.fullmatch(module):
                self.add_error(
                    "zoho_keep",
                    gettext("Line %(line)s: write Module: legal ground, e.g. “Deals: tax law, 10 years”.")
                    % {"line": number},
                )
            elif module not in modules:
                self.add_error(
                    "zoho_keep",
                    self._on_line(number, self._not_searched(module, modules)),
                )
            elif module in keep:
                self.add_error(
                    "zoho_keep",
                    gettext("Line %(line)s: %(module)s has a ground already; give one per module.")
                    % {"line": number, "module": module},
                )
            else:
                keep[module] = ground
        return keep

    def connector_settings(self) -> dict[str, Any]:
        """What `connector_settings` holds after saving: the SQL fields that are set; nothing for a manual
        system. Keys the form does not show (connect_timeout) are kept."""
        if self.cleaned_data.get("connector") == ConnectorKind.ZOHO:
            # Keys the form does not show (restrict_field, timeout, max_wait...) are kept, as for SQL.
            kept = {
                k: v
                for k, v in (self.instance.connector_settings or {}).items()
                if k not in ZOHO_SETTINGS.values()
            }
            data = self.cleaned_data
            values = {
                "modules": data.get("zoho_modules"),
                "rectify": data.get("zoho_rectify"),
                "keep": data.get("zoho_keep"),
                "compliance": bool(data.get("zoho_compliance")),
                "opt_out": data.get("zoho_opt_out"),
                "accounts_url": data.get("zoho_accounts_url"),
            }
            # What is empty (or off) is left out: the connector's default applies.
            return {**kept, "data_centre": data.get("data_centre"), **{k: v for k, v in values.items() if v}}
        if self.cleaned_data.get("connector") != ConnectorKind.SQL:
            return {}
        kept = {k: v for k, v in (self.instance.connector_settings or {}).items() if k not in SQL_SETTINGS}
        values = {name: self.cleaned_data.get(name) for name in SQL_SETTINGS}
        return {**kept, **{name: value for name, value in values.items() if value not in (None, "", False)}}

    def credentials(self) -> dict[str, str]:
        if self.cleaned_data.get("connector") == ConnectorKind.ZOHO:
            return {
                name: self.cleaned_data.get(name) or ""
                for name in ("client_id", "client_secret", "refresh_token")
            }
        return {
            "username": self.cleaned_data.get("username") or "",
            "password": self.cleaned_data.get("password") or "",
        }

    def save(self, commit: bool = True) -> CompanySystem:
        self.instance.connector_settings = self.connector_settings()
        return super().save(commit)


def zoho_initial(stored: dict[str, Any]) -> dict[str, Any]:
    """The Zoho fields' values for what `connector_settings` holds: the reverse of `connector_settings()`."""
    rectify = stored.get("rectify") or {}
    keep = stored.get("keep") or {}
    return {
        "data_centre": stored.get("data_centre", ""),
        "zoho_modules": ", ".join(stored.get("modules") or []),
        "zoho_rectify": "\n".join(
            f"{module}.{field}" for module, fields in rectify.items() for field in fields
        ),
        "zoho_keep": "\n".join(f"{module}: {ground}" for module, ground in keep.items()),
        "zoho_compliance": bool(stored.get("compliance", False)),
        "zoho_opt_out": ", ".join(stored.get("opt_out") or []),
        "zoho_accounts_url": stored.get("accounts_url", ""),
    }


@admin.register(CompanySystem)
class CompanySystemAdmin(InEveryLanguageAdmin[CompanySystem]):
    form = CompanySystemForm
    change_form_template = "admin/requests/companysystem/change_form.html"
    list_display = (
        "name", "connector", "owner", "owner_email", "active", "takes_opt_outs", "missing_translations",
    )  # fmt: skip
    list_filter = ("active", "connector", "takes_opt_outs")
    list_select_related = ("owner",)
    search_fields = ("name", *in_every_language("description"), "owner_email")
    filter_horizontal = ("activities",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    *in_every_language("description"),
                    "owner",
                    "owner_email",
                    "activities",
                    "active",
                    "takes_opt_outs",
                )
            },
        ),
        (
            _("Connector"),
            {
                "fields": ("connector",),
                "description": _(
                    "Without a connector the system's owner is sent a task by email. Choosing none forgets "
                    "the settings and credentials below when you save."
                ),
            },
        ),
        (
            _("SQL database"),
            {"fields": ("dialect", "host", "port", "database", "schema", "read_only", "dataset")},
        ),
        (
            _("Zoho CRM"),
            {"fields": ("data_centre", "zoho_modules", "client_id", "client_secret", "refresh_token")},
        ),
        (
            _("Zoho CRM: what the portal does there"),
            {
                "fields": (
                    "zoho_rectify",
                    "zoho_keep",
                    "zoho_compliance",
                    "zoho_opt_out",
                    "zoho_accounts_url",
                ),
                "description": _(
                    "Access, erasure and opt-out need nothing more; docs/zoho.md says what each right does in Zoho."
                ),
            },
        ),
        (
            _("Credentials"),
            {
                "fields": ("username", "password"),
                "description": _("The database account the portal uses; SQLite needs none."),
            },
        ),
    )

    @method_decorator(sensitive_post_parameters("password", "client_secret", "refresh_token"))
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: CompanySystem, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.connector:
            services.set_credentials(obj, form.credentials())
        else:
            services.forget_credentials(obj)

    def get_urls(self) -> list[URLPattern]:
        test = self.admin_site.admin_view(require_POST(self.test_connection_view))
        own = [path("<path:object_id>/test-connection/", test, name="requests_companysystem_test_connection")]
        return own + super().get_urls()

    def test_connection_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Run the connection test on the saved configuration and say what came of it, as an admin message."""
        system = self.get_object(request, unquote(object_id))
        if system is None:
            raise Http404
        if not self.has_change_permission(request, system):
            raise PermissionDenied
        try:
            check = services.test_connection(system)
        except ConnectorError as error:
            messages.error(
                request, gettext("The connection test failed: %(error)s") % {"error": error.message}
            )
        else:
            verdict = (
                gettext("The account can read and write: access, erasure and correction will work.")
                if check.can_write
                else gettext("The account can read only: access works; erasure and correction will refuse.")
            )
            messages.success(
                request,
                gettext("The connection works. %(verdict)s (%(details)s)")
                % {"verdict": verdict, "details": check.message},
            )
        return redirect(reverse("admin:requests_companysystem_change", args=[system.pk]))


@admin.register(ThirdParty)
class ThirdPartyAdmin(admin.ModelAdmin[ThirdParty]):
    """Who must hear of an opt-out, a limit or a marketing objection: each is emailed a notice when one comes."""

    list_display = ("name", "email", "sold_to", "shared_with", "marketing", "sensitive", "active")
    list_filter = ("active", "sold_to", "shared_with", "marketing", "sensitive")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "email", "active")}),
        (
            _("What it receives from us"),
            {
                "fields": ("sold_to", "shared_with", "marketing", "sensitive"),
                "description": _(
                    "An opt-out of sale or sharing is sent to the first three; an objection to direct marketing "
                    "to those receiving data for marketing; a limit on sensitive data to the last. Each notice "
                    "names the person and is recorded on the case with its date."
                ),
            },
        ),
    )
