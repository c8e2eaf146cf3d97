"""The request form as question pages (GOV.UK's pattern, issue 21): one question a page, then check your answers.

What was typed lives in the session, as typed, until the requester sends it from the check page. Each page checks
its own questions with the whole form (`PrivacyRequestForm`, the one the public API uses too), so every rule has
one home and a rule across pages (the details California asks for depend on the state) is checked where its
fields are asked. Where the person lives decides the law, and the law decides what else is asked: a request for
oneself under the GDPR asks a name and an email address and nothing else required.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from identity.tiers import POINTS_NEEDED, Tier, tier_for, wants_specific_pieces

from .forms import DATA_POINTS, DECLARATION, FIELDS_BY_KIND, PrivacyRequestForm
from .models import Kind, Relationship
from .selectors import applicable_regimes

# The pages in the order they are asked; which of them a request needs depends on the answers so far.
STEPS = ("who", "them", "where", "state", "request", "identity", "contact")
CHECK = "check"
SESSION_KEY = "intake"

# The fields each page asks, before the form trims them to the right and the law (`fields_of`).
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "who": ("relationship",),
    "them": ("subject_name", "subject_email", "permission", "power_of_attorney"),
    "where": ("country",),
    "state": ("subdivision",),
    "request": (
        "period",
        "since",
        "specific_pieces",
        "rectification_current",
        "rectification_wanted",
        "marketing_only",
        "grounds",
    ),
    "identity": (*DATA_POINTS, *DECLARATION),
    "contact": (
        "requester_name",
        "requester_email",
        "language",
        "details",
        "about_customer_data",
        "customer_name",
        "website",
    ),
}
FILE_FIELDS = {"permission"}

# The question each page asks, for oneself and for someone else (the page's heading and its title).
QUESTIONS: dict[str, tuple[Promise, Promise]] = {
    "who": (_("Who is this request about?"), _("Who is this request about?")),
    "them": (_("About the person you ask for"), _("About the person you ask for")),
    "where": (_("Which country do you live in?"), _("Which country does the person live in?")),
    "state": (
        _("Which state or province do you live in?"),
        _("Which state or province does the person live in?"),
    ),
    "identity": (_("Details to check it is you"), _("Details to check it is the person")),
    "contact": (_("Your name and email address"), _("Your name and email address")),
}
REQUEST_QUESTIONS: dict[str, Promise] = {
    Kind.ACCESS: _("What should your copy include?"),
    Kind.PORTABILITY: _("What should your file include?"),
    Kind.RECTIFICATION: _("What should we correct?"),
    Kind.RESTRICTION: _("Why should we stop using the data?"),
    Kind.OBJECTION: _("What do you object to?"),
}


@dataclass
class Answers:
    """One right's answers in the session: as typed, and the pages the requester has been through."""

    kind: str
    values: dict[str, str] = field(default_factory=dict)
    seen: list[str] = field(default_factory=list)

    @property
    def for_someone_else(self) -> bool:
        return self.values.get("relationship") in (Relationship.AGENT, Relationship.PARENT)

    @property
    def regimes(self) -> list[str]:
        country = self.values.get("country", "")
        subdivision = self.values.get("subdivision", "")
        return (
            applicable_regimes(country, subdivision.split("-", 1)[-1] if subdivision else "")
            if country
            else []
        )


def load(session: SessionBase, kind: str) -> Answers:
    stored = session.get(SESSION_KEY, {}).get(kind, {})
    return Answers(kind=kind, values=dict(stored.get("values", {})), seen=list(stored.get("seen", [])))


def save(session: SessionBase, answers: Answers) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    stored[answers.kind] = {"values": answers.values, "seen": answers.seen}
    session[SESSION_KEY] = stored


def forget(session: SessionBase, kind: str) -> None:
    stored = dict(session.get(SESSION_KEY, {}))
    stored.pop(kind, None)
    session[SESSION_KEY] = stored


def _tier(answers: Answers) -> Tier:
    values = answers.values
    specific = wants_specific_pieces(answers.kind, answers.regimes, asked=bool(values.get("specific_pieces")))
    return tier_for(
        answers.kind,
        answers.regimes,
        marketing_only=bool(values.get("marketing_only")),
        specific_pieces=specific,
    )


def steps_for(answers: Answers) -> list[str]:
    """The pages this request needs, given what is answered so far."""
    steps = ["who"]
    if answers.for_someone_else:
        steps.append("them")
    steps.append("where")
    if answers.values.get("country") in ("US", "CA"):
        steps.append("state")
    if FIELDS_BY_KIND[answers.kind]:
        steps.append("request")
    # Only where the law of the place asks to match details before it is answered (CCPA, for example).
    if answers.values.get("country") and POINTS_NEEDED[_tier(answers)] > 0:
        steps.append("identity")
    steps.append("contact")
    return steps


@functools.cache
def _fields_of_kind(kind: str) -> frozenset[str]:
    """The fields the form keeps for a right (it trims them by the right alone): worked out once, since building
    the form (its country and state lists) is the dearest part of a page."""
    return frozenset(PrivacyRequestForm(kind=kind).fields)


def fields_of(step: str, answers: Answers) -> list[str]:
    """The fields a page asks: of its own, those the right keeps (the form trims them) and the law needs."""
    names = [name for name in STEP_FIELDS[step] if name in _fields_of_kind(answers.kind)]
    if step == "them" and answers.values.get("relationship") != Relationship.AGENT:
        names.remove("power_of_attorney")
    if step == "request" and "specific_pieces" in names and "ccpa" not in answers.regimes:
        names.remove("specific_pieces")  # only the CCPA tells the categories from the specific pieces
    if step == "identity" and _tier(answers) is not Tier.HIGH:
        names = [name for name in names if name not in DECLARATION]
    return names


def effective(answers: Answers) -> dict[str, str]:
    """The answers of the pages this request needs: a page no longer needed (the state, once the country is
    France) has its answers left out, so nothing stale reaches the case."""
    keep = {name for step in steps_for(answers) for name in fields_of(step, answers)}
    return {name: value for name, value in answers.values.items() if name in keep}


def form_for(answers: Answers, *, kept_file: str | None, files: Any = None) -> PrivacyRequestForm:
    return PrivacyRequestForm(effective(answers), files, kind=answers.kind, kept_file=kept_file)


def take(answers: Answers, step: str, posted: QueryDict) -> None:
    """Keep what a page sent, as typed: a box left unticked or a field emptied removes the earlier answer."""
    for name in STEP_FIELDS[step]:
        if name in FILE_FIELDS:
            continue
        value = posted.get(name, "")
        if value.strip():
            answers.values[name] = value
        else:
            answers.values.pop(name, None)


def errors_on(step: str, answers: Answers, form: PrivacyRequestForm) -> dict[str, list[str]]:
    """The errors of one page's fields, from the whole form's checks (call `form.is_valid()` first)."""
    return {
        name: [str(error) for error in form.errors[name]]
        for name in fields_of(step, answers)
        if name in form.errors
    }


def first_open(answers: Answers, *, kept_file: str | None, form: PrivacyRequestForm | None = None) -> str:
    """The first page still to answer (never seen, or with an error now), or the check page. `form`: these
    answers' form, already checked, if the caller has it."""
    if form is None:
        form = form_for(answers, kept_file=kept_file)
        form.is_valid()
    for step in steps_for(answers):
        if step not in answers.seen or errors_on(step, answers, form):
            return step
    return CHECK


def previous(step: str, answers: Answers) -> str | None:
    steps = steps_for(answers)
    if step == CHECK:
        return steps[-1]
    index = steps.index(step) if step in steps else 0
    return steps[index - 1] if index > 0 else None


def question(step: str, answers: Answers) -> Promise:
    if step == "request":
        return REQUEST_QUESTIONS[answers.kind]
    mine, theirs = QUESTIONS[step]
    return theirs if answers.for_someone_else else mine


@dataclass(frozen=True)
class Row:
    """One line of "check your answers": the question, the answer as the requester will read it, where to change it."""

    step: str
    name: str
    anchor: str
    label: str
    value: object  # the answer's words, or a date the page writes in its language


def _choice_label(choices: Any, value: str) -> str:
    for key, label in choices:
        if isinstance(label, (list, tuple)):  # a group of choices (the states of a country)
            found = _choice_label(label, value)
            if found:
                return found
        elif str(key) == value:
            return str(label)
    return ""


# Rows "check your answers" shows only when the answer they follow was this one.
_UNLESS: dict[str, tuple[str, object]] = {
    "since": ("period", "since"),
    "about_customer_data": ("about_customer_data", True),
    "customer_name": ("about_customer_data", True),
    "website": ("website", "never"),  # the field people never see
}


def summary(answers: Answers, form: PrivacyRequestForm, *, kept_file: str | None) -> list[Row]:
    """Every answer of the pages this request needs, cleaned (call `form.is_valid()` first)."""
    rows = []
    data = form.cleaned_data
    for step in steps_for(answers):
        for name in fields_of(step, answers):
            if name in _UNLESS and data.get(_UNLESS[name][0]) != _UNLESS[name][1]:
                continue  # a follow-on question that did not arise (a date, when no date was the choice)
            formfield = form.fields[name]
            value = data.get(name)
            text: object
            if name in FILE_FIELDS:
                text = kept_file or ""
            elif hasattr(formfield, "choices") and value:
                text = _choice_label(formfield.choices, str(value))
            elif isinstance(value, bool):
                text = str(_("Yes") if value else _("No"))
            elif hasattr(value, "isoformat"):
                text = value  # a date: the template writes it in words, in the page's language
            else:
                text = str(value or "")
            bound = form[name]
            anchor = bound.id_for_label or f"{bound.auto_id}_0"
            rows.append(Row(step=step, name=name, anchor=anchor, label=str(formfield.label), value=text))
    return rows
