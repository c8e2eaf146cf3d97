"""Letters to the requester (DESIGN §9): which outcome gets which letter, what it says, and its PDF.

A letter is rendered once per event it answers (an email task retried after a mail-server outage finds
it again), stored encrypted under PRIVATE_ROOT/letters, attached to the email, and listed on the case page
and the status page.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from identity.tiers import at_least
from privacyportal import files
from privacyportal.pdf import render_html, render_pdf

from . import lookback
from .audit import record_event
from .explain import explain, for_requester, regime_name
from .laws import POLICY, basis_label
from .models import (
    CheckState,
    Kind,
    LegalBasis,
    Letter,
    LetterKind,
    PrivacyRequest,
    ProcessingActivity,
    SystemCheck,
)
from .selectors import (
    HOLDS_DATA,
    CaseLaw,
    asks_specific_pieces,
    authority_line,
    case_laws,
    certificates,
    citations,
    deadlines_of,
    follow_up_context,
    identity_reached,
    local_date,
    local_today,
    period_covered,
    recipient_rows,
    recipients_to_notify,
    verification_tier,
)

# The email templates that carry a letter, and which.
_BY_TEMPLATE = {
    "request-extended": LetterKind.EXTENSION,
    "fee-quoted": LetterKind.FEE,
    "request-denied": LetterKind.REFUSAL,
    "fee-declined": LetterKind.REFUSAL,
    "fee-lapsed": LetterKind.REFUSAL,
    "request-forwarded": LetterKind.FORWARD,
    "appeal-decided": LetterKind.APPEAL_DECISION,
    "complaint-answered": LetterKind.COMPLAINT_OUTCOME,
}
CONFIRMED_KINDS = frozenset({Kind.ERASURE, Kind.RECTIFICATION, Kind.RESTRICTION, Kind.OBJECTION})


def letter_for(privacy_request: PrivacyRequest, template: str) -> LetterKind | None:
    """The letter an email about this case carries, if any."""
    if template != "request-completed":
        return _BY_TEMPLATE.get(template)
    if privacy_request.kind in (Kind.ACCESS, Kind.PORTABILITY):
        return access_letter_kind(privacy_request)
    if privacy_request.kind in CONFIRMED_KINDS:
        return LetterKind.CONFIRMATION
    return LetterKind.COMPLETION


def access_letter_kind(privacy_request: PrivacyRequest) -> LetterKind:
    """A Californian gets the CCPA 'request to know' response; everyone else the Art. 15 letter."""
    return LetterKind.CCPA_KNOW if "ccpa" in privacy_request.regimes else LetterKind.ACCESS


def period_reach(privacy_request: PrivacyRequest, start: date | None) -> str:
    """Why the answer starts where it does, for the letter's sentence: "everything" held; "asked" (the requester
    chose the date or the last 12 months); "ccpa_floor" (1 January 2022, as far back as CCPA reaches); "twelve"
    (the last 12 months: CCPA's default, or the operator's promise where no law reaches further)."""
    if start is None:
        return "everything"
    if "ccpa" in privacy_request.regimes and start == lookback.CCPA_FLOOR:
        return "ccpa_floor"
    if privacy_request.period in (lookback.SINCE, lookback.TWELVE_MONTHS):
        return "asked"
    return "twelve"


def activities_for(privacy_request: PrivacyRequest) -> list[ProcessingActivity]:
    """The register entries behind the systems where this person's data was found (Art. 15(1)(a)-(h)), by name in
    the active language."""
    activities = ProcessingActivity.objects.filter(
        systems__checks__privacy_request=privacy_request, systems__checks__state__in=HOLDS_DATA
    ).distinct()
    # By the name as printed: ordering by the active language's column would put the entries still without a
    # Russian name (printed in English) first or last, not in their place.
    return sorted(activities, key=lambda activity: activity.name.casefold())


def _one_per_template(entries: list[CaseLaw]) -> list[CaseLaw]:
    """The EU and UK GDPR share their wording: a part they both hold is said once."""
    firsts: dict[str, CaseLaw] = {}
    for entry in entries:
        firsts.setdefault(entry.template, entry)
    return list(firsts.values())


def _refs(entries: list[CaseLaw]) -> dict[str, str]:
    """The access letter's labels: for each element of the answer, where each of the case's laws asks for it."""
    fields = {key for entry in entries for key in entry.law.refs}
    # dict.fromkeys: the EU and UK GDPR share their labels; each is said once.
    return {
        key: "; ".join(dict.fromkeys(str(e.law.refs[key]) for e in entries if key in e.law.refs))
        for key in fields
    }


def law_context(privacy_request: PrivacyRequest) -> dict[str, Any]:
    """What a letter says of the laws: which apply and why, what each cites, whom to complain to."""
    entries = case_laws(privacy_request)
    cites = citations(privacy_request)
    if not cites["basis"]:
        cites["basis"] = gettext("under our privacy policy")
    return {
        "laws": entries,
        # Parts the EU and UK GDPR word alike (refusal grounds, access notes) once; each law's remedies always.
        "law_parts": _one_per_template(entries),
        "primary_law": entries[0],
        "statutory": entries[0].law is not POLICY,
        "cites": cites,
        "refs": _refs(entries),
        # Each legal basis of the register, named with where each of the case's laws provides for it.
        "basis_labels": {
            code: basis_label(code, [entry.law for entry in entries]) for code in LegalBasis.values
        },
        # 152-FZ art. 22.1: the operator names the person responsible for organising the processing.
        "responsible_person": any(entry.code == "ru_152fz" for entry in entries),
        "gdpr": any(entry.law.template == "gdpr" for entry in entries),
        # Under both the EU and the UK GDPR the shared wording is the requester's own; the UK's exemptions
        # (DPA 2018 Schedules 2-4) are said as well.
        "uk_gdpr_too": {"eu_gdpr", "uk_gdpr"} <= {entry.code for entry in entries},
        "supervisory_authority": authority_line(privacy_request),
    }


def letter_context(privacy_request: PrivacyRequest, kind: str) -> dict[str, Any]:
    """Everything any letter may say about this case. Templates choose; they hold no rules."""

    start, end = period_covered(privacy_request)
    checks = (
        SystemCheck.objects.filter(privacy_request=privacy_request)
        .select_related("system")
        .order_by("system__name")
    )
    reached = identity_reached(privacy_request)
    asked = asks_specific_pieces(privacy_request)
    base_url = settings.PORTAL_BASE_URL.rstrip("/")
    return {
        "case": privacy_request,
        "kind": kind,
        "operator_name": settings.PRIVACY_OPERATOR_NAME,
        "operator_address": settings.PRIVACY_OPERATOR_ADDRESS,
        "dpo_email": settings.PRIVACY_DPO_EMAIL,
        "base_url": base_url,
        # Where our information practices are set out (CCPA §7024(b) points an unverified requester there);
        # "" when not configured: the letter offers to send them.
        "privacy_policy_url": settings.PRIVACY_POLICY_URL,
        # Opting out needs no proof of identity: a refused deletion says where (CCPA §7022).
        "opt_out_url": base_url + reverse("new_request", args=[Kind.OPT_OUT]),
        "today": local_today(),
        "received": local_date(privacy_request.received_at),
        "due_sentence": explain(deadlines_of(privacy_request)),
        # The same date as a sentence for the requester (the staff's compact form reads like a code to them).
        "due_in_words": for_requester(deadlines_of(privacy_request)),
        "regime_names": [regime_name(code) for code in privacy_request.regimes],
        "period_from": start,
        "period_to": end,
        "period_reach": period_reach(privacy_request, start),
        "activities": activities_for(privacy_request),
        "recipients": recipients_to_notify(privacy_request),
        # Art. 19: each recipient with what staff recorded (told how and when, or why not), or None.
        "recipient_rows": recipient_rows(privacy_request),
        # What was looked at: a system skipped on purpose was not searched, so the letter does not list it.
        "checks": [c for c in checks if c.state not in (CheckState.NOT_CHECKED, CheckState.SKIPPED)],
        # Per system, what the approved erasure deleted, anonymised and kept, on which ground, and when.
        "certificates": certificates(privacy_request),
        "holds_data": any(c.state in HOLDS_DATA for c in checks),
        "fee_lines": privacy_request.fee_breakdown,
        "ccpa": "ccpa" in privacy_request.regimes,
        # CCPA §7024(a): the specific pieces only to a Californian who asked for them and was verified as they need
        # (identity/tiers.py); verified less, the request is answered as one for the categories.
        "specific_pieces_asked": asked,
        "specific_pieces": asked
        and reached is not None
        and at_least(reached, verification_tier(privacy_request)),
        "fee_lapse_days": settings.PRIVACY_FEE_LAPSE_DAYS,
        # The day the fees sweep closes an unanswered quote, counted from the quote (not from this letter).
        "reply_by": local_date(privacy_request.fee_quoted_at or timezone.now())
        + timedelta(days=settings.PRIVACY_FEE_LAPSE_DAYS),
        # How to appeal a refusal under a US state law; an appeal's or a complaint's case, authority and outcome.
        **follow_up_context(privacy_request),
        **law_context(privacy_request),
    }


def render(privacy_request: PrivacyRequest, kind: str) -> bytes:
    """The letter's PDF, in the requester's language."""
    # The context is worded (the due-date sentence) in the requester's language too, not only the template.
    with translation.override(privacy_request.language):
        context = letter_context(privacy_request, kind)
    return render_pdf(f"letter-{kind.replace('_', '-')}", context, language=privacy_request.language)


def render_page(privacy_request: PrivacyRequest, kind: str) -> str:
    """The letter as the HTML its PDF is printed from: what staff read before they confirm sending it."""
    with translation.override(privacy_request.language):
        context = letter_context(privacy_request, kind)
    return render_html(f"letter-{kind.replace('_', '-')}", context, language=privacy_request.language)


def issue(privacy_request: PrivacyRequest, kind: str, *, for_event: int) -> Letter:
    """The letter of this kind answering this event: the one already written, or a new one."""
    existing = Letter.objects.filter(privacy_request=privacy_request, kind=kind, for_event=for_event).first()
    if existing is not None:
        return existing
    data = render(privacy_request, kind)
    stored_name, digest = files.store_bytes(data, "letters")
    try:
        with transaction.atomic():
            letter = Letter.objects.create(
                privacy_request=privacy_request,
                kind=kind,
                language=privacy_request.language,
                for_event=for_event,
                stored_name=stored_name,
                sha256=digest,
                size=len(data),
            )
            record_event(privacy_request, "letter_issued", data={"letter": letter.pk, "kind": kind})
    except IntegrityError:
        # A concurrent run of the same task wrote it first: keep theirs, drop ours.
        files.remove(stored_name, "letters")
        return Letter.objects.get(privacy_request=privacy_request, kind=kind, for_event=for_event)
    return letter


def read(letter: Letter) -> bytes:
    return files.load(letter.stored_name, "letters")


def read_for_staff(letter: Letter, *, by: Any) -> bytes:
    """Decrypt a letter for a member of staff; every look is an event on the case (as for evidence), recorded once
    the file decrypted: a look that failed showed nothing."""
    data = read(letter)
    with transaction.atomic():
        record_event(letter.privacy_request, "letter_viewed", by=by, data={"letter": letter.pk})
    return data
