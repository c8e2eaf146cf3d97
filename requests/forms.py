"""The public request form: one form class, trimmed to what each right needs (DESIGN §10)."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any, cast

import holidays
from django import forms
from django.utils.choices import BaseChoiceIterator, normalize_choices
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from identity.forms import EvidenceField, PlainForm
from identity.tiers import ORDER as TIER_ORDER
from identity.tiers import POINTS_NEEDED, Tier, tier_for, wants_specific_pieces
from privacyportal.uploads import check_extract

from . import deadlines
from .models import ConnectorAction, Kind, OwnerTask, OwnerTaskStatus, Relationship
from .selectors import applicable_regimes
from .services import NewRequest, outcomes_for


class _Normalised(BaseChoiceIterator):
    """Choices Django has normalised once: a field given them keeps them as they are, where a list would be
    walked again by every form made (the countries: some 250 of them on each POST)."""

    def __init__(self, choices: Any) -> None:
        self.choices = list(normalize_choices(choices))

    def __iter__(self) -> Any:
        return iter(self.choices)


@functools.cache
def _subdivision_choices() -> _Normalised:
    def names(country: type[holidays.HolidayBase]) -> list[tuple[str, str]]:
        first: dict[str, str] = {}
        for name, code in country.subdivisions_aliases.items():
            first.setdefault(code, name)
        return sorted(
            ((f"{code}", f"{first.get(code, code)} ({code})") for code in country.subdivisions),
            key=lambda c: c[1],
        )

    return _Normalised(
        [
            ("", _("Not in the US or Canada")),
            # holidays exports its countries lazily: the type checker sees no `US` or `CA`.
            (_("United States"), [(f"US-{c}", n) for c, n in names(holidays.US)]),  # type: ignore[attr-defined]
            (_("Canada"), [(f"CA-{c}", n) for c, n in names(holidays.CA)]),  # type: ignore[attr-defined]
        ]
    )


@functools.lru_cache(maxsize=8)
def _country_choices(language: str) -> _Normalised:
    """The countries in the page's language, sorted by their names in it: once per language, not per form."""
    return _Normalised([("", _("Choose a country")), *countries])


# How far back an answer reaches is the law's to say (requests/lookback.py); the requester may ask for less.
PERIOD_CHOICES = [
    ("all", _("Everything you hold about me")),
    ("12_months", _("Only the last 12 months")),
    ("since", _("Only since a date")),
]

# Which request-specific fields each right shows.
FIELDS_BY_KIND: dict[str, set[str]] = {
    Kind.ACCESS: {"period", "since", "specific_pieces"},
    Kind.PORTABILITY: {"period", "since"},
    Kind.RECTIFICATION: {"rectification_current", "rectification_wanted"},
    Kind.RESTRICTION: {"grounds"},
    Kind.OBJECTION: {"marketing_only", "grounds"},
    Kind.ERASURE: set(),
    Kind.OPT_OUT: set(),
    Kind.LIMIT_SENSITIVE: set(),
}
KIND_SPECIFIC = {
    "period",
    "since",
    "rectification_current",
    "rectification_wanted",
    "grounds",
    "marketing_only",
    "specific_pieces",
}
DATA_POINTS = ("phone", "postal_address", "account_reference", "date_of_birth")
DECLARATION = ("declare", "declaration_name")
# The code of the error about the details as a group (too few of them), whichever field carries it.
DETAILS_GROUP = "details_group"
ALL_REGIMES = ["policy", *sorted(set(deadlines.REGIMES) - {"policy"})]


def strictest_tier(kind: str, *, specific_pieces: bool = False) -> Tier:
    """The most any regime may ask for this right: decides which sections the form shows."""
    return max(
        (tier_for(kind, [code], specific_pieces=specific_pieces) for code in ALL_REGIMES),
        key=TIER_ORDER.index,
    )


class PrivacyRequestForm(PlainForm):
    requester_name = forms.CharField(
        label=_("Your full name"),
        max_length=200,
        error_messages={"required": _("Enter your full name")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    requester_email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,  # the case's column; a longer address was a database error on PostgreSQL
        help_text=_("We send a code to this address to confirm it is yours."),
        error_messages={
            "required": _("Enter your email address"),
            "invalid": _("Enter an email address in the correct format, like name@example.com"),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    relationship = forms.ChoiceField(
        label=_("Who is this request about?"),
        choices=[
            (Relationship.SELF, _("Me")),
            (Relationship.AGENT, _("Someone who authorised me to act for them")),
            (Relationship.PARENT, _("My child (under 16) or a person in my guardianship")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select who the request is about")},
    )
    subject_name = forms.CharField(
        label=_("Their full name"),
        max_length=200,
        required=False,
    )
    subject_email = forms.EmailField(
        label=_("Their email address (optional)"),
        max_length=254,
        required=False,
        help_text=_("We may ask them to confirm directly."),
        error_messages={"invalid": _("Enter an email address in the correct format, like name@example.com")},
    )
    permission = EvidenceField(
        label=_("Signed permission or proof of parental responsibility"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB."),
    )
    power_of_attorney = forms.BooleanField(
        label=_("My permission is a power of attorney (optional)"),
        required=False,
        help_text=_(
            "For example a durable power of attorney (in California, under Probate Code sections 4121 to 4130). "
            "We then do not ask the person to confirm that you act for them."
        ),
    )
    country = forms.ChoiceField(
        label=_("Country where the person lives"),
        help_text=_("The law of the place where the person lives decides what we must do and how fast."),
        error_messages={"required": _("Select the country where the person lives")},
        widget=forms.Select(attrs={"autocomplete": "country"}),
    )
    subdivision = forms.ChoiceField(
        label=_("State or province"), required=False, help_text=_("Only for the United States and Canada.")
    )
    language = forms.ChoiceField(
        label=_("Language for our letters"),
        choices=[("en", "English"), ("ru", "Русский")],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select the language for our letters")},
    )
    period = forms.ChoiceField(
        label=_("Which period?"),
        choices=PERIOD_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("In California the law reaches back to data collected since 1 January 2022."),
        error_messages={"required": _("Select the period your request should cover")},
    )
    since = forms.DateField(
        label=_("Since (date)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only if you chose “only since a date”."),
        error_messages={"invalid": _("Enter a real date, for example 27 3 2024")},
    )
    rectification_current = forms.CharField(
        label=_("What is wrong?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us what is wrong in the data we hold")},
    )
    rectification_wanted = forms.CharField(
        label=_("What should it say?"),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Tell us what the data should say instead")},
    )
    marketing_only = forms.BooleanField(
        label=_("I object to direct marketing (we stop at once; no reason needed)"), required=False
    )
    grounds = forms.CharField(
        label=_("Your reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Tell us why, in your own words."),
    )
    details = forms.CharField(
        label=_("Anything else that helps us find your data (optional)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example an account name or order number. Please do not send ID documents."),
    )
    about_customer_data = forms.BooleanField(
        label=_("This is about data one of our customers gave us"), required=False
    )
    customer_name = forms.CharField(
        label=_("Which of our customers gave us the data?"),
        max_length=200,
        required=False,
        help_text=_("We will pass your request to that customer, who decides on it, and tell you so."),
    )
    # Details that help us find the data and, where a law or a doubt asks for it, match what we hold (tiers
    # "matched" and "high"). Optional but for the specific pieces a Californian asks for (CCPA §7062(c)).
    phone = forms.CharField(label=_("A phone number we may have for you"), max_length=40, required=False)
    postal_address = forms.CharField(
        label=_("A postal address we may have for you"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    account_reference = forms.CharField(
        label=_("An account name, customer number or recent order number"), max_length=200, required=False
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    specific_pieces = forms.BooleanField(
        label=_("I live in California and also want the specific pieces of personal information you hold"),
        required=False,
        help_text=_(
            "Not only the categories of information, where they came from, why they are used and who they were "
            "disclosed to. The law then asks for at least three details we can match and the signed declaration."
        ),
    )
    declare = forms.BooleanField(
        label=_(
            "I declare under penalty of perjury that I am the person this request is about, "
            "or authorised to act for them, and that what I have given is true."
        ),
        required=False,
    )
    declaration_name = forms.CharField(label=_("Type your full name to sign"), max_length=200, required=False)
    # A field people never see: bots fill it in. Out of the tab order too, so no keyboard user lands in it.
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, kind: str, kept_file: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        # The name of a file received with an earlier, incomplete submission of this form.
        self.kept_file = kept_file
        for name in KIND_SPECIFIC - FIELDS_BY_KIND[kind]:
            del self.fields[name]
        strictest = strictest_tier(kind, specific_pieces=True)
        if POINTS_NEEDED[strictest] == 0:
            for name in DATA_POINTS:
                del self.fields[name]
        if strictest is not Tier.HIGH:
            for name in DECLARATION:
                del self.fields[name]
        # The most any law asks to match before it is answered, the specific pieces aside: said on the form.
        self.points_to_match = POINTS_NEEDED[strictest_tier(kind)]
        if "specific_pieces" in self.fields and strictest_tier(kind) is Tier.HIGH:
            del self.fields["specific_pieces"]  # no lesser request to choose: every law asks the most
        country_field = cast(forms.ChoiceField, self.fields["country"])
        subdivision_field = cast(forms.ChoiceField, self.fields["subdivision"])
        country_field.choices = _country_choices(get_language() or "en")
        subdivision_field.choices = _subdivision_choices()
        self.fields["language"].initial = (get_language() or "en")[:2]
        if kind == Kind.RESTRICTION:
            self.fields["grounds"].required = True
            self.fields["grounds"].error_messages["required"] = _("Tell us why we should stop using the data")
        if POINTS_NEEDED[strictest] == 0 and strictest is Tier.NONE:
            # Nothing to confirm (an opt-out is honoured at once): no code is sent, so none is promised.
            self.fields["requester_email"].help_text = _("We write to this address to tell you it is done.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        relationship = data.get("relationship")
        if relationship in (Relationship.AGENT, Relationship.PARENT):
            if not data.get("subject_name"):
                self.add_error("subject_name", _("Tell us the name of the person the request is about."))
            if not data.get("permission") and not self.kept_file and "permission" not in self.errors:
                self.add_error(
                    "permission", _("Attach the signed permission or proof of parental responsibility.")
                )
        country, subdivision = data.get("country"), data.get("subdivision") or ""
        if country in ("US", "CA") and not subdivision.startswith(f"{country}-"):
            self.add_error(
                "subdivision", _("Choose the state or province: the law that applies depends on it.")
            )
        elif country not in ("US", "CA") and subdivision:
            self.add_error(
                "subdivision", _("A state or province only applies in the United States or Canada.")
            )
        if data.get("period") == "since":
            since = data.get("since")
            if not since:
                self.add_error("since", _("Give the date, or choose another period."))
            elif since > date.today():  # noqa: DTZ011  (a calendar date the person typed)
                self.add_error("since", _("The date cannot be in the future."))
        if country and not self.errors.get("subdivision"):
            self._check_identity_details(data, country, subdivision.split("-", 1)[-1] if subdivision else "")
        if self.kind == Kind.OBJECTION and not data.get("marketing_only") and not data.get("grounds"):
            self.add_error("grounds", _("Tell us your reasons, or tick the box for direct marketing."))
        if data.get("about_customer_data") and not (data.get("customer_name") or "").strip():
            self.add_error("customer_name", _("Tell us which of our customers gave us the data."))
        return data

    def _check_identity_details(self, data: dict[str, Any], country: str, subdivision: str) -> None:
        """The details are optional (they help us find the data; staff ask for more only on a reasonable doubt),
        but for the specific pieces of information a Californian asks for: the law sets three and a signed
        declaration for those (CCPA §7062(c)), and without them there is nothing to answer them with."""
        regimes = applicable_regimes(country, subdivision)  # as the intake service will, to ask for the same
        specific = wants_specific_pieces(self.kind, regimes, asked=bool(data.get("specific_pieces")))
        tier = tier_for(
            self.kind, regimes, marketing_only=bool(data.get("marketing_only")), specific_pieces=specific
        )
        if tier is not Tier.HIGH:
            return
        given = [name for name in DATA_POINTS if data.get(name)]
        needed = POINTS_NEEDED[tier]
        untick = (
            " " + str(_("Or untick the box to ask for the categories only."))
            if data.get("specific_pieces")
            else ""
        )
        sign = str(
            _("For this request the law asks you to sign the declaration: tick it and type your name.")
        )
        if len(given) < needed:
            self.add_error(
                # The section exists whenever a tier needs details (see strictest_tier); the question pages show
                # an error of this code for the whole group of details, not for the phone number alone.
                "phone",
                forms.ValidationError(
                    (
                        _(
                            "For the specific pieces of information the law asks for at least %(needed)d of these "
                            "details so we can check it is you (you gave %(given)d)."
                        )
                        if specific
                        else _(
                            "Give at least %(needed)d of these details so we can check it is you (you gave %(given)d)."
                        )
                    )
                    % {"needed": needed, "given": len(given)}
                    + untick,
                    code=DETAILS_GROUP,
                ),
            )
        if not (data.get("declare") and (data.get("declaration_name") or "").strip()):
            self.add_error(
                "declare",
                sign + untick,
            )

    @property
    def is_spam(self) -> bool:
        return bool(self.cleaned_data.get("website"))

    def to_new_request(self, *, channel: str = "web") -> NewRequest:
        data = self.cleaned_data
        relationship = data["relationship"]
        subdivision = (data.get("subdivision") or "").split("-", 1)[-1] if data.get("subdivision") else ""
        grounds = data.get("grounds") or ""
        return NewRequest(
            kind=self.kind,
            requester_name=data["requester_name"],
            requester_email=data["requester_email"],
            country=data["country"],
            subdivision=subdivision,
            language=data["language"],
            channel=channel,
            relationship=relationship,
            subject_name=(data.get("subject_name") or "") if relationship != Relationship.SELF else "",
            subject_email=(data.get("subject_email") or "") if relationship != Relationship.SELF else "",
            power_of_attorney=relationship == Relationship.AGENT and bool(data.get("power_of_attorney")),
            details=data.get("details") or "",
            rectification_current=data.get("rectification_current") or "",
            rectification_wanted=data.get("rectification_wanted") or "",
            objection_grounds=grounds,
            marketing_only=bool(data.get("marketing_only")),
            period=data.get("period") or "",
            period_since=data.get("since") if data.get("period") == "since" else None,
            customer_name=(data.get("customer_name") or "").strip()
            if data.get("about_customer_data")
            else "",
            data_points={name: str(data[name]) for name in DATA_POINTS if data.get(name)},
            declaration_name=(data.get("declaration_name") or "") if data.get("declare") else "",
            specific_pieces=bool(data.get("specific_pieces")),
        )


class ReplyForm(PlainForm):
    body = forms.CharField(
        label=_("Your message"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )
    attachment = EvidenceField(
        label=_("Attach a file (optional)"), help_text=_("PDF, JPEG or PNG, at most 10 MB.")
    )

    def __init__(self, *args: Any, kept_file: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kept_file = kept_file


class AppealForm(PlainForm):
    reasons = forms.CharField(
        label=_("Why you think our decision is wrong"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text=_(
            "Say what you asked for that we did not do, and why you think the law entitles you to it."
        ),
    )


class ComplaintForm(PlainForm):
    complaint = forms.CharField(
        label=_("Your complaint"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        help_text=_("Tell us what went wrong in how we handled your request or your personal data."),
    )


# What a system's owner says they did, in the words of their task's action.
DONE_LABELS = {
    ConnectorAction.ERASE: _("Erased: the data is deleted (say in the note what the law made us keep)"),
    ConnectorAction.RECTIFY: _("Corrected: the data now says what it should"),
    ConnectorAction.RESTRICT: _("Restricted: the data is kept but no longer used"),
    ConnectorAction.UNRESTRICT: _("The restriction is lifted"),
    ConnectorAction.OPT_OUT: _("Opted out: the data is no longer sold, shared or used for marketing"),
}


class OwnerTaskForm(PlainForm):
    """A system owner's answer to their task: what they found or did, the export, or why it could not be done."""

    outcome = forms.ChoiceField(label=_("What did you find or do?"), widget=forms.RadioSelect)
    upload = forms.FileField(
        label=_("The export"),
        required=False,
        help_text=_(
            "PDF, CSV, JSON, text, JPEG or PNG, up to 10 MB. It goes into the packet for the person."
        ),
    )
    reason = forms.CharField(
        label=_("Why it could not be done, or a note for the data protection officer"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, task: OwnerTask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = {
            OwnerTaskStatus.NO_DATA: _("No data found: the system holds nothing about this person"),
            OwnerTaskStatus.EXPORTED: _("Exported: the file is attached below"),
            OwnerTaskStatus.DONE: DONE_LABELS.get(ConnectorAction(task.action), _("Done")),
            OwnerTaskStatus.COULD_NOT: _("Could not do it, because… (say why below)"),
        }
        field = self.fields["outcome"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (narrowing for the type checker)
        field.choices = [(outcome, labels[OwnerTaskStatus(outcome)]) for outcome in outcomes_for(task.action)]
        if OwnerTaskStatus.EXPORTED not in outcomes_for(task.action):
            del self.fields["upload"]

    def clean_upload(self) -> Any:
        upload = self.cleaned_data.get("upload")
        return check_extract(upload) if upload else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        outcome = data.get("outcome")
        if outcome == OwnerTaskStatus.EXPORTED and not data.get("upload") and not self.has_error("upload"):
            self.add_error("upload", _("Attach the export."))
        if outcome == OwnerTaskStatus.COULD_NOT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why it could not be done."))
        return data
