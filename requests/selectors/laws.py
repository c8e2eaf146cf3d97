"""Which laws a case's letters and emails cite, why each applies, and whom the requester may complain to."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from .. import deadlines, laws
from ..laws import Authority, Law
from ..models import FOLLOW_UPS, Kind, PrivacyRequest
from .clock import us_state_of


@dataclass(frozen=True)
class CaseLaw:
    """One law as a letter presents it: the law, why it applies to this requester, and its regulator."""

    law: Law
    why: str  # "where you live", "where we are established", or both; "" for the operator's policy
    authority: Authority
    template: str  # the include holding this law's remedies, refusal grounds and rights
    title: str  # the law's full title as the letter's header gives it (a US state's law by its state)

    @property
    def code(self) -> str:
        return self.law.code


def _operator_authority() -> Authority:
    """The operator's own regulator, PRIVACY_SUPERVISORY_AUTHORITY ("name, https://..."), split so letters print the
    address on its own. One the portal knows (the ICO, the CNIL...) is named as the portal names it, so a Russian
    letter names it in Russian; an empty setting names the authority of the requester's own country."""
    configured = settings.PRIVACY_SUPERVISORY_AUTHORITY.strip()
    name, _sep, url = configured.rpartition(", ")
    if not url.startswith("http"):
        name, url = ("", configured) if configured.startswith("http") else (configured, "")
    for known in laws.KNOWN_AUTHORITIES:
        if url and known.url == url:
            return known
    if not name:
        return Authority(_("the data protection authority of the country where you live"), url)
    return Authority(name, url)


def _authority(known: Law, privacy_request: PrivacyRequest) -> Authority:
    if known.code == "eu_gdpr" and privacy_request.country.upper() not in deadlines.EU_EEA:
        # The GDPR reaches this person through where we are established (Art. 3(1)): our lead authority is theirs.
        return _operator_authority()
    found = laws.authority_for(known, privacy_request.country)
    if found is not None:
        return found
    if known.code == "us_state":
        rule = deadlines.STATE_APPEALS.get(us_state_of(privacy_request))
        if rule is not None:
            return Authority(_(rule.authority), rule.authority_url)
        return Authority(_("the Attorney General of your state"), "")
    return _operator_authority()


def _subject(privacy_request: PrivacyRequest) -> PrivacyRequest:
    """The case whose laws a letter cites: an appeal or a complaint is about its original request and is answered
    under that request's laws (its own regimes carry only the clock of the appeal or the complaint)."""
    if privacy_request.kind in FOLLOW_UPS and privacy_request.original is not None:
        return privacy_request.original
    return privacy_request


def case_laws(privacy_request: PrivacyRequest) -> list[CaseLaw]:
    """The laws the case falls under, the requester's own first, each with why it applies and its regulator;
    the operator's policy alone where no law does."""
    subject = _subject(privacy_request)
    own = deadlines.residence_regime(subject.country, subject.subdivision)
    result = []
    for known in laws.laws_of(subject.regimes):
        if known is laws.POLICY:
            why = ""
        elif known.code == own:
            why = _("where you live")
        else:
            why = _("where we are established")
        title = str(known.title)
        if known.code == "us_state" and (section := _state_section(subject)):
            rule = deadlines.STATE_APPEALS[us_state_of(subject)]
            title = _("the consumer privacy law of %(state)s (%(section)s)") % {
                "state": _(rule.state),
                "section": section,
            }
        template = f"pdf/laws/{known.template}.html"
        result.append(CaseLaw(known, why, _authority(known, subject), template, title))
    # The requester's own law leads: it is the one they know.
    result.sort(key=lambda entry: entry.code != own)
    return result


def _joined(items: list[str | Promise]) -> str:
    return str(get_text_list([str(item) for item in items], _("and")))


def purpose_of(privacy_request: PrivacyRequest) -> str:
    """The purpose a letter cites for the case's right: an objection to marketing is the marketing opt-out."""
    if privacy_request.kind == Kind.OBJECTION and privacy_request.marketing_only:
        return "opt_out"
    return str(privacy_request.kind)


def _state_section(privacy_request: PrivacyRequest) -> str:
    """The section of the requester's US state law on consumers' rights ("Va. Code §59.1-577"): the section its
    appeal is in, without the subsection; "" for a state whose law we hold no section of (Utah)."""
    rule = deadlines.STATE_APPEALS.get(us_state_of(privacy_request))
    return re.sub(r"\([^)]*\)$", "", rule.law).strip() if rule is not None else ""


# What a US state law's consumer-rights section answers: each right, the extension and the fee.
_STATE_SECTION_PURPOSES = frozenset({*(str(kind) for kind in Kind), "extension", "fee"})


def citations(privacy_request: PrivacyRequest) -> dict[str, str]:
    """Each purpose a letter cites (the right, "recipients", "processor", "extension", "fee", "keep") with what the
    case's laws say of it, joined ("Article 17 of the UK GDPR and Article 21 of Federal Law No. 152-FZ"); "" where
    no law speaks of it. `basis` is the right's own."""
    found = [entry.law for entry in case_laws(privacy_request)]
    subject = _subject(privacy_request)
    section = _state_section(subject) if any(known.code == "us_state" for known in found) else ""

    def cite(purpose: str) -> str:
        items = laws.citation(found, purpose)
        if section and purpose in _STATE_SECTION_PURPOSES:
            items.append(section)
        return _joined(items)

    cited = {purpose: cite(purpose) for purpose in ["recipients", "processor", "extension", "fee", "keep"]}
    cited["basis"] = cite(purpose_of(subject))
    return cited


def authority_line(privacy_request: PrivacyRequest) -> str:
    """Whom the requester may complain to, for an email: "the ICO (https://...)", several joined with "or". Call it
    in the requester's language: the names are translated."""
    named = []
    for entry in case_laws(privacy_request):
        name, url = entry.authority.name, entry.authority.url
        text = f"{name} ({url})" if url else str(name)
        if text not in named:
            named.append(text)
    return str(get_text_list(named, _("or")))
