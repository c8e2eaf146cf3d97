"""What each law a case falls under says in a letter: its name, its regulator, and the provisions a letter cites.

Pure: no ORM, no settings. `deadlines` knows each law's clocks and `fee_rules` its fees; this module knows how a
letter names it. The wording of each law's remedies, refusal grounds and rights lives in one template per law
(templates/pdf/laws/<template>.html, one file a lawyer of that law can read whole); docs/letters.md lists every
element a letter must hold against the provision it comes from.

A citation is one translated string ("Article 15 of the UK GDPR", "ч. 7 ст. 14 Федерального закона № 152-ФЗ"), not
built from parts: Russian legal citations decline the article and the law, which no template of parts gets right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Authority:
    """The regulator a person may complain to, as a letter names it."""

    name: str | Promise
    url: str


@dataclass(frozen=True)
class Law:
    code: str  # the regime code (deadlines.REGIMES)
    template: (
        str  # templates/pdf/laws/<template>.html: remedies, refusal grounds and rights in this law's words
    )
    short: str | Promise  # as a sentence names it: "the UK GDPR"
    title: str | Promise  # its full title, once, where the letter says which law applies
    # None where the regulator depends on where the person lives (each EU/EEA state has its own: `authority_for`).
    authority: Authority | None
    # What the letter cites for each purpose: a right (a case's kind), or "recipients" (the duty to pass a
    # correction or erasure on), "processor" (a request about data we process for a customer), "extension",
    # "fee", "keep" (what lets us keep data we were asked to erase). A purpose this law says nothing of is absent.
    cites: dict[str, str | Promise] = field(default_factory=dict)
    # The access letter's labels: where this law lists each element of an answer to a request for access.
    refs: dict[str, str | Promise] = field(default_factory=dict)


POLICY = Law(
    code="policy",
    template="policy",
    short=_("our privacy policy"),
    title=_("our privacy policy"),
    authority=None,  # the operator's own regulator (PRIVACY_SUPERVISORY_AUTHORITY): the selectors fill it in
)

_GDPR_REFS: dict[str, str | Promise] = {
    "purposes": _("GDPR Art. 15(1)(a)"),
    "categories": _("GDPR Art. 15(1)(b)"),
    "recipients": _("GDPR Art. 15(1)(c)"),
    "retention": _("GDPR Art. 15(1)(d)"),
    "sources": _("GDPR Art. 15(1)(g)"),
    "transfers": _("GDPR Art. 15(2)"),
    "automated": _("GDPR Art. 15(1)(h)"),
}

LAWS: dict[str, Law] = {
    law.code: law
    for law in (
        Law(
            code="eu_gdpr",
            template="gdpr",
            short=_("the GDPR"),
            title=_("the General Data Protection Regulation (EU) 2016/679 (GDPR)"),
            authority=None,
            cites={
                "access": _("Article 15 of the GDPR"),
                "portability": _("Articles 15 and 20 of the GDPR"),
                "rectification": _("Article 16 of the GDPR"),
                "erasure": _("Article 17 of the GDPR"),
                "restriction": _("Article 18 of the GDPR"),
                "objection": _("Article 21 of the GDPR"),
                "opt_out": _("Article 21(2) and (3) of the GDPR"),
                "recipients": _("Article 19 of the GDPR"),
                "keep": _("Article 17(3) of the GDPR"),
                "processor": _("Article 28(3) of the GDPR"),
                "extension": _("Article 12(3) of the GDPR"),
                "fee": _("Article 12(5) of the GDPR"),
            },
            refs=_GDPR_REFS,
        ),
        Law(
            code="uk_gdpr",
            template="gdpr",
            short=_("the UK GDPR"),
            title=_("the UK General Data Protection Regulation (UK GDPR) and the Data Protection Act 2018"),
            authority=Authority(
                _("the Information Commissioner's Office (ICO)"), "https://ico.org.uk/make-a-complaint/"
            ),
            cites={
                "access": _("Article 15 of the UK GDPR"),
                "portability": _("Articles 15 and 20 of the UK GDPR"),
                "rectification": _("Article 16 of the UK GDPR"),
                "erasure": _("Article 17 of the UK GDPR"),
                "restriction": _("Article 18 of the UK GDPR"),
                "objection": _("Article 21 of the UK GDPR"),
                "opt_out": _("Article 21(2) and (3) of the UK GDPR"),
                "recipients": _("Article 19 of the UK GDPR"),
                "keep": _("Article 17(3) of the UK GDPR"),
                "processor": _("Article 28(3) of the UK GDPR"),
                "extension": _("Article 12(3) of the UK GDPR"),
                "fee": _("Article 12(5) of the UK GDPR"),
            },
            refs=_GDPR_REFS,
        ),
        Law(
            code="ccpa",
            template="ccpa",
            short=_("the CCPA"),
            title=_("the California Consumer Privacy Act (CCPA), Cal. Civ. Code §1798.100 and following"),
            authority=Authority(_("the California Privacy Protection Agency"), "https://cppa.ca.gov/"),
            cites={
                "access": _("Cal. Civ. Code §1798.110 and §1798.115"),
                "portability": _("Cal. Civ. Code §1798.110 and §1798.130(a)(3)"),
                "rectification": _("Cal. Civ. Code §1798.106"),
                "erasure": _("Cal. Civ. Code §1798.105"),
                "opt_out": _("Cal. Civ. Code §1798.120 and Cal. Code Regs. tit. 11, §7026"),
                "limit_sensitive": _("Cal. Civ. Code §1798.121 and Cal. Code Regs. tit. 11, §7027"),
                "recipients": _("Cal. Civ. Code §1798.105(c) and §1798.106(c)"),
                "keep": _("Cal. Civ. Code §1798.105(d)"),
                "processor": _("Cal. Civ. Code §1798.140(ag) (service providers)"),
                "extension": _("Cal. Civ. Code §1798.130(a)(2)"),
                "fee": _("Cal. Civ. Code §1798.145(h)(3)"),
            },
        ),
        Law(
            code="us_state",
            template="us_state",
            short=_("your state's consumer privacy law"),
            title=_("the consumer privacy law of your state"),
            # The state's Attorney General, and the section of its law on consumers' rights (which holds the
            # rights, the extension, the fee and the appeal alike): selectors.laws reads deadlines.STATE_APPEALS.
            authority=None,
        ),
        Law(
            code="lgpd",
            template="lgpd",
            short=_("the LGPD"),
            title=_("the Brazilian General Data Protection Law (LGPD), Law No. 13.709/2018"),
            authority=Authority(
                _("the National Data Protection Authority (ANPD)"), "https://www.gov.br/anpd/"
            ),
            cites={
                "access": _("Article 18, I and II, and Article 19 of the LGPD"),
                "portability": _("Article 18, V, and Article 19 §3 of the LGPD"),
                "rectification": _("Article 18, III, of the LGPD"),
                "erasure": _("Article 18, IV and VI, of the LGPD"),
                "restriction": _("Article 18, IV, of the LGPD (blocking)"),
                "objection": _("Article 18 §2 of the LGPD"),
                "opt_out": _("Article 18 §2 and Article 18, IX, of the LGPD"),
                "recipients": _("Article 18 §6 of the LGPD"),
                "keep": _("Article 16 of the LGPD"),
                "processor": _("Articles 5, VII, and 39 of the LGPD"),
            },
            refs={
                "purposes": _("LGPD art. 19, II (purpose)"),
                "categories": _("LGPD art. 9"),
                "recipients": _("LGPD art. 18, VII"),
                "retention": _("LGPD art. 9, II"),
                "sources": _("LGPD art. 19, II (origin)"),
                "automated": _("LGPD art. 20"),
            },
        ),
        Law(
            code="quebec",
            template="quebec",
            short=_("the Quebec Private Sector Act"),
            title=_(
                "the Act respecting the protection of personal information in the private sector "
                "(CQLR c. P-39.1), as amended by Law 25"
            ),
            authority=Authority(
                _("the Commission d'accès à l'information du Québec"), "https://www.cai.gouv.qc.ca/"
            ),
            cites={
                "access": _("section 27 of the Quebec Private Sector Act"),
                "portability": _("section 27, third paragraph, of the Quebec Private Sector Act"),
                "rectification": _("section 28 of the Quebec Private Sector Act"),
                "erasure": _("section 28 of the Quebec Private Sector Act and article 40 of the Civil Code"),
                "restriction": _("section 28.1 of the Quebec Private Sector Act"),
                "objection": _("section 28.1 of the Quebec Private Sector Act"),
                "opt_out": _("section 22 of the Quebec Private Sector Act"),
                "processor": _("section 18.3 of the Quebec Private Sector Act"),
                "fee": _("section 33 of the Quebec Private Sector Act"),
            },
        ),
        Law(
            code="ru_152fz",
            template="ru_152fz",
            short=_("Federal Law No. 152-FZ"),
            title=_("Federal Law No. 152-FZ of 27 July 2006 “On Personal Data”"),
            authority=Authority(
                _(
                    "the Federal Service for Supervision of Communications, Information Technology and "
                    "Mass Media (Roskomnadzor)"
                ),
                "https://rkn.gov.ru/",
            ),
            cites={
                "access": _("Article 14 and Article 20(1) of Federal Law No. 152-FZ"),
                "portability": _("Article 14 and Article 20(1) of Federal Law No. 152-FZ"),
                "rectification": _("Article 14(1) and Article 20(3) of Federal Law No. 152-FZ"),
                "erasure": _("Article 14(1), Article 20(3) and Article 21 of Federal Law No. 152-FZ"),
                "restriction": _("Article 14(1) and Article 21 of Federal Law No. 152-FZ (blocking)"),
                "objection": _("Article 21(5.1) of Federal Law No. 152-FZ"),
                "opt_out": _("Article 15(2) of Federal Law No. 152-FZ"),
                "recipients": _("Article 20(3) of Federal Law No. 152-FZ"),
                "keep": _("Article 21(5) of Federal Law No. 152-FZ"),
                "processor": _("Article 6(3) and (5) of Federal Law No. 152-FZ"),
                "extension": _("Article 14(3) and Article 20 of Federal Law No. 152-FZ"),
            },
            refs={
                "basis": _("152-FZ art. 14(7)(2)"),
                "purposes": _("152-FZ art. 14(7)(3)"),
                "categories": _("152-FZ art. 14(7)(5)"),
                "recipients": _("152-FZ art. 14(7)(4), (9)"),
                "retention": _("152-FZ art. 14(7)(6)"),
                "sources": _("152-FZ art. 14(7)(5)"),
                "transfers": _("152-FZ art. 14(7)(8)"),
                "automated": _("152-FZ art. 16"),
            },
        ),
        Law(
            code="pipeda",
            template="pipeda",
            short=_("PIPEDA"),
            title=_("the Personal Information Protection and Electronic Documents Act (PIPEDA)"),
            authority=Authority(
                _("the Office of the Privacy Commissioner of Canada"), "https://www.priv.gc.ca/"
            ),
            cites={
                "access": _("section 8 and Schedule 1, principle 4.9, of PIPEDA"),
                "portability": _("section 8 and Schedule 1, principle 4.9, of PIPEDA"),
                "rectification": _("Schedule 1, principle 4.9.5, of PIPEDA"),
                "erasure": _("Schedule 1, principles 4.5.3 and 4.9.5, of PIPEDA"),
                "restriction": _("Schedule 1, principle 4.3.8, of PIPEDA"),
                "objection": _("Schedule 1, principle 4.3.8, of PIPEDA"),
                "opt_out": _("Schedule 1, principle 4.3.8, of PIPEDA"),
                "recipients": _("Schedule 1, principle 4.9.5, of PIPEDA"),
                "processor": _("Schedule 1, principle 4.1.3, of PIPEDA"),
                "extension": _("section 8(4) of PIPEDA"),
                "fee": _("section 8(6) of PIPEDA"),
            },
        ),
        Law(
            code="ch_fadp",
            template="ch_fadp",
            short=_("the Swiss FADP"),
            title=_("the Swiss Federal Act on Data Protection (FADP)"),
            authority=Authority(
                _("the Federal Data Protection and Information Commissioner (FDPIC)"),
                "https://www.edoeb.admin.ch/",
            ),
            cites={
                "access": _("Article 25 of the FADP"),
                "portability": _("Articles 25 and 28 of the FADP"),
                "rectification": _("Articles 32(1) and 6(5) of the FADP"),
                "erasure": _("Articles 30(2)(b) and 32(2)(c) of the FADP"),
                "restriction": _("Article 32(2)(a) of the FADP"),
                "objection": _("Article 30(2)(b) of the FADP"),
                "opt_out": _("Article 30(2)(b) of the FADP"),
                "processor": _("Article 9 of the FADP"),
                "fee": _("Article 25(6) of the FADP and Article 19 of the Data Protection Ordinance"),
            },
        ),
        Law(
            code="tr_kvkk",
            template="tr_kvkk",
            short=_("the KVKK"),
            title=_("the Turkish Personal Data Protection Law No. 6698 (KVKK)"),
            authority=Authority(_("the Personal Data Protection Board (KVKK)"), "https://www.kvkk.gov.tr/"),
            cites={
                "access": _("Articles 11 and 13 of the KVKK"),
                "portability": _("Articles 11 and 13 of the KVKK"),
                "rectification": _("Article 11(1)(d) of the KVKK"),
                "erasure": _("Articles 7 and 11(1)(e) of the KVKK"),
                "objection": _("Article 11(1)(g) of the KVKK"),
                "opt_out": _("Article 11 of the KVKK"),
                "recipients": _("Article 11(1)(f) of the KVKK"),
                "fee": _("Article 13(2) of the KVKK"),
            },
        ),
        Law(
            code="kr_pipa",
            template="kr_pipa",
            short=_("the Korean PIPA"),
            title=_("the Korean Personal Information Protection Act (PIPA)"),
            authority=Authority(
                _("the Personal Information Protection Commission (PIPC)"), "https://www.pipc.go.kr/"
            ),
            cites={
                "access": _("Article 35 of the PIPA"),
                "portability": _("Articles 35 and 35-2 of the PIPA"),
                "rectification": _("Article 36 of the PIPA"),
                "erasure": _("Article 36 of the PIPA"),
                "restriction": _("Article 37 of the PIPA"),
                "objection": _("Article 37 of the PIPA"),
                "opt_out": _("Article 37 of the PIPA"),
                "processor": _("Article 26 of the PIPA"),
                "fee": _("Article 38(3) of the PIPA"),
            },
        ),
    )
}

# The supervisory authority of each EU and EEA state (GDPR Art. 77: the one where the person lives, works or
# where the infringement happened). Germany has one per Land for companies: the person is pointed to the list.
EEA_AUTHORITIES: dict[str, Authority] = {
    "AT": Authority(
        _("the Austrian Data Protection Authority (Datenschutzbehörde)"), "https://www.dsb.gv.at/"
    ),
    "BE": Authority(_("the Belgian Data Protection Authority"), "https://www.dataprotectionauthority.be/"),
    "BG": Authority(_("the Bulgarian Commission for Personal Data Protection"), "https://www.cpdp.bg/"),
    "CY": Authority(
        _("the Commissioner for Personal Data Protection of Cyprus"), "https://www.dataprotection.gov.cy/"
    ),
    "CZ": Authority(_("the Czech Office for Personal Data Protection (ÚOOÚ)"), "https://uoou.gov.cz/"),
    "DE": Authority(
        _("the data protection authority of your German Land (listed by the Federal Commissioner, BfDI)"),
        "https://www.bfdi.bund.de/",
    ),
    "DK": Authority(_("the Danish Data Protection Agency (Datatilsynet)"), "https://www.datatilsynet.dk/"),
    "EE": Authority(_("the Estonian Data Protection Inspectorate"), "https://www.aki.ee/"),
    "ES": Authority(_("the Spanish Data Protection Agency (AEPD)"), "https://www.aepd.es/"),
    "FI": Authority(_("the Data Protection Ombudsman of Finland"), "https://tietosuoja.fi/"),
    "FR": Authority(
        _("the Commission nationale de l'informatique et des libertés (CNIL)"),
        "https://www.cnil.fr/fr/plaintes",
    ),
    "GR": Authority(_("the Hellenic Data Protection Authority"), "https://www.dpa.gr/"),
    "HR": Authority(_("the Croatian Personal Data Protection Agency (AZOP)"), "https://azop.hr/"),
    "HU": Authority(
        _("the Hungarian National Authority for Data Protection and Freedom of Information (NAIH)"),
        "https://naih.hu/",
    ),
    "IE": Authority(_("the Data Protection Commission of Ireland"), "https://www.dataprotection.ie/"),
    "IS": Authority(
        _("the Icelandic Data Protection Authority (Persónuvernd)"), "https://www.personuvernd.is/"
    ),
    "IT": Authority(
        _("the Italian Data Protection Authority (Garante per la protezione dei dati personali)"),
        "https://www.garanteprivacy.it/",
    ),
    "LI": Authority(_("the Data Protection Authority of Liechtenstein"), "https://www.datenschutzstelle.li/"),
    "LT": Authority(_("the State Data Protection Inspectorate of Lithuania"), "https://vdai.lrv.lt/"),
    "LU": Authority(
        _("the National Commission for Data Protection of Luxembourg (CNPD)"), "https://cnpd.public.lu/"
    ),
    "LV": Authority(_("the Data State Inspectorate of Latvia"), "https://www.dvi.gov.lv/"),
    "MT": Authority(_("the Information and Data Protection Commissioner of Malta"), "https://idpc.org.mt/"),
    "NL": Authority(
        _("the Dutch Data Protection Authority (Autoriteit Persoonsgegevens)"),
        "https://www.autoriteitpersoonsgegevens.nl/",
    ),
    "NO": Authority(
        _("the Norwegian Data Protection Authority (Datatilsynet)"), "https://www.datatilsynet.no/"
    ),
    "PL": Authority(
        _("the Polish President of the Personal Data Protection Office (UODO)"), "https://uodo.gov.pl/"
    ),
    "PT": Authority(_("the Portuguese National Data Protection Commission (CNPD)"), "https://www.cnpd.pt/"),
    "RO": Authority(
        _("the Romanian National Supervisory Authority for Personal Data Processing (ANSPDCP)"),
        "https://www.dataprotection.ro/",
    ),
    "SE": Authority(_("the Swedish Authority for Privacy Protection (IMY)"), "https://www.imy.se/"),
    "SI": Authority(_("the Information Commissioner of Slovenia"), "https://www.ip-rs.si/"),
    "SK": Authority(
        _("the Office for Personal Data Protection of the Slovak Republic"), "https://dataprotection.gov.sk/"
    ),
}
# Where the person lives outside the EEA and the GDPR applies through where we are established: the list of every
# authority, kept by the European Data Protection Board.
EDPB_MEMBERS = Authority(
    _("the supervisory authority of the EU or EEA state where you live or work, or where the law was broken"),
    "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
)


# What each legal basis of the register (models.LegalBasis) is called, and where each law provides for it: a 152-FZ
# letter cites art. 6(1), an LGPD letter art. 7, not the GDPR's Art. 6(1). A law without an entry cites nothing.
BASIS_NAMES: dict[str, str | Promise] = {
    "consent": _("Consent"),
    "contract": _("Contract"),
    "legal_obligation": _("Legal obligation"),
    "vital_interests": _("Vital interests"),
    "public_task": _("Public task"),
    "legitimate_interests": _("Legitimate interests"),
}
_GDPR_BASES: dict[str, str | Promise] = {
    "consent": _("GDPR Art. 6(1)(a)"),
    "contract": _("GDPR Art. 6(1)(b)"),
    "legal_obligation": _("GDPR Art. 6(1)(c)"),
    "vital_interests": _("GDPR Art. 6(1)(d)"),
    "public_task": _("GDPR Art. 6(1)(e)"),
    "legitimate_interests": _("GDPR Art. 6(1)(f)"),
}
BASES: dict[str, dict[str, str | Promise]] = {
    # The UK GDPR keeps the GDPR's numbering; "GDPR Art. 6(1)(b)" names both, as the access letter's labels do.
    "eu_gdpr": _GDPR_BASES,
    "uk_gdpr": _GDPR_BASES,
    # 152-FZ art. 6(1): 1 consent, 2 a duty under law, 3 justice, 4 public functions, 5 a contract, 6 vital interests,
    # 7 the operator's or a third party's rights and legitimate interests.
    "ru_152fz": {
        "consent": _("152-FZ art. 6(1)(1)"),
        "legal_obligation": _("152-FZ art. 6(1)(2)"),
        "public_task": _("152-FZ art. 6(1)(4)"),
        "contract": _("152-FZ art. 6(1)(5)"),
        "vital_interests": _("152-FZ art. 6(1)(6)"),
        "legitimate_interests": _("152-FZ art. 6(1)(7)"),
    },
    # LGPD art. 7: I consent, II a legal obligation, III public administration, V a contract, VII protecting life,
    # IX legitimate interests.
    "lgpd": {
        "consent": _("LGPD art. 7, I"),
        "legal_obligation": _("LGPD art. 7, II"),
        "public_task": _("LGPD art. 7, III"),
        "contract": _("LGPD art. 7, V"),
        "vital_interests": _("LGPD art. 7, VII"),
        "legitimate_interests": _("LGPD art. 7, IX"),
    },
}


def basis_label(basis: str, laws: Iterable[Law]) -> str:
    """A register entry's legal basis as a letter prints it: its name, and where each of the laws provides for it
    ("Contract (152-FZ art. 6(1)(5); UK GDPR Art. 6(1)(b))")."""
    name = str(BASIS_NAMES.get(basis, basis))
    cited: list[str] = []
    for known in laws:
        found = BASES.get(known.code, {}).get(basis)
        if found is not None and str(found) not in cited:
            cited.append(str(found))
    return f"{name} ({'; '.join(cited)})" if cited else name


# Every regulator the portal names, to recognise the one PRIVACY_SUPERVISORY_AUTHORITY configures by its address.
KNOWN_AUTHORITIES: tuple[Authority, ...] = (
    *(known.authority for known in LAWS.values() if known.authority is not None),
    *EEA_AUTHORITIES.values(),
)


def law(code: str) -> Law:
    """The law of a regime code; a code this module does not know is treated as the operator's policy."""
    return LAWS.get(code, POLICY)


def laws_of(regimes: Iterable[str]) -> list[Law]:
    """The laws behind a case's regimes, in the case's order, each once; the operator's policy only where no law
    applies (it adds nothing to a letter that cites a law)."""
    found: list[Law] = []
    for code in regimes:
        known = LAWS.get(code)
        if known is not None and known not in found:
            found.append(known)
    return found or [POLICY]


def authority_for(known: Law, country: str) -> Authority | None:
    """The regulator a person in `country` complains to under `known` (None: the caller names one)."""
    if known.code == "eu_gdpr":
        return EEA_AUTHORITIES.get(country.upper(), EDPB_MEMBERS)
    return known.authority


def citation(laws: Iterable[Law], purpose: str) -> list[str | Promise]:
    """What each law cites for `purpose`, in order (laws that say nothing of it are left out)."""
    return [known.cites[purpose] for known in laws if purpose in known.cites]
