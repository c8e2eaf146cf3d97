"""Which laws a case's letters and emails cite, why each applies, and whom the requester may complain to."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from .. import deadlines, laws
from ..laws import Authority, Law
from ..models import Kind, PrivacyRequest
from .clock import us_state_of


@dataclass(frozen=True)
class CaseLaw:
    """One law as a letter presents it: the law, why it applies to this requester, and its regulator."""

    law: Law
    why: str  # "where you live", "where we are established", or both; "" for the operator's policy
    authority: Authority
    template: str  # the include holding this law's remedies, refusal grounds and rights

    @property
    def code(self) -> str:
        return self.law.code


def _operator_authority() -> Authority:
    """PRIVACY_SUPERVISORY_AUTHORITY reads "name, https://..."; split so letters print the address on its own."""
    name, _sep, url = settings.PRIVACY_SUPERVISORY_AUTHORITY.rpartition(", ")
    return (
        Authority(name, url)
        if url.startswith("http")
        else Authority(settings.PRIVACY_SUPERVISORY_AUTHORITY, "")
    )


def _authority(known: Law, privacy_request: PrivacyRequest) -> Authority:
    found = laws.authority_for(known, privacy_request.country)
    if found is not None:
        return found
    if known.code == "us_state":
        rule = deadlines.STATE_APPEALS.get(us_state_of(privacy_request))
        if rule is not None:
            return Authority(rule.authority, rule.authority_url)
        return Authority(_("the Attorney General of your state"), "")
    return _operator_authority()


def case_laws(privacy_request: PrivacyRequest) -> list[CaseLaw]:
    """The laws the case falls under, the requester's own first, each with why it applies and its regulator;
    the operator's policy alone where no law does."""
    own = deadlines.residence_regime(privacy_request.country, privacy_request.subdivision)
    result = []
    for known in laws.laws_of(privacy_request.regimes):
        if known is laws.POLICY:
            why = ""
        elif known.code == own:
            why = _("where you live")
        else:
            why = _("where we are established")
        result.append(
            CaseLaw(known, why, _authority(known, privacy_request), f"pdf/laws/{known.template}.html")
        )
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


def citations(privacy_request: PrivacyRequest) -> dict[str, str]:
    """Each purpose a letter cites (the right, "recipients", "processor", "extension", "fee") with what the case's
    laws say of it, joined ("Article 17 of the UK GDPR and Article 21 of Federal Law No. 152-FZ"); "" where no law
    speaks of it. `basis` is the right's own."""
    found = [entry.law for entry in case_laws(privacy_request)]
    purposes = ["recipients", "processor", "extension", "fee", "keep"]
    cited = {purpose: _joined(laws.citation(found, purpose)) for purpose in purposes}
    cited["basis"] = _joined(laws.citation(found, purpose_of(privacy_request)))
    return cited


def authority_line(privacy_request: PrivacyRequest) -> str:
    """Whom the requester may complain to, for an email: "the ICO (https://...)", several joined with "or"."""
    named = []
    for entry in case_laws(privacy_request):
        text = (
            f"{entry.authority.name} ({entry.authority.url})"
            if entry.authority.url
            else str(entry.authority.name)
        )
        if text not in named:
            named.append(text)
    return str(get_text_list(named, _("or")))
