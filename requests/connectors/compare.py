"""Comparing the details a requester gave with what a system holds (issue 18): per detail, matches, differs, or
not held, so that staff verify identity from facts (EDPB Guidelines 01/2022: use information already held).

    fields = {"customers": {"phone": (("phone",),), "postal_address": (("address",),)}}
    compare({"phone": "020 7946 0001"}, export, fields)   # {"phone": Comparison("matches", 1)}

Pure: no Django, no database, no clock. A connector says which fields of its records hold which detail (its
`detail_fields`: the SQL dataset's `details:`, Zoho's defaults and settings); `compare_in` finds the person by the
email they proved, exports the records of the tables that hold details, and compares. What comes back holds
verdicts and counts of records, never a value: the export is read here and dropped.

The rules, for each detail (docs/connectors.md, "Comparing details", says the same for staff):

- phone: digits only ("(0)" after a country code dropped); a leading + or 00 is the international prefix, a
  leading 0 the national trunk prefix. Two numbers match when their digits are equal, or when one ends with the
  other and the extra leading digits (1 to 3) are a country code: 020 7946 0001, +44 20 7946 0001 and
  0044 (0)20 7946 0001 are one number. Fewer than 7 digits never match.
- postal_address: compared case-, accent-, punctuation- and space-insensitively, street words as their short
  forms (Street and St, Road and Rd, Square and Sq, ...). Equal text matches. When both
  addresses have a postcode, they match when the postcodes are equal and so are the house numbers (the first
  number outside the postcode; with no number on either side, the first lines). Otherwise the first line (up to
  the first comma or line break) of one must begin the other, and the numbers in them be the same.
- account_reference: equal after removing spaces, without regard to case.
- date_of_birth: read as a date when written as 1990-03-01, 01/03/1990 (also with . or -), 1 March 1990,
  1st Mar 1990 or March 1, 1990 (English or Russian month names). A numeric date is read day first, as the UK and
  the EU write it; month first only when day first is impossible (12/25/1990). Two-digit years are not read.
  Anything else is compared as text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeAlias, cast

from requests.connectors.base import (
    DETAILS,
    Connector,
    Detail,
    DetailMap,
    Export,
    Found,
    Scalar,
    Spec,
    Subject,
)

Verdict: TypeAlias = Literal["matches", "differs", "not_held", "no_record"]
VERDICTS: tuple[Verdict, ...] = ("matches", "differs", "not_held", "no_record")

MIN_PHONE_DIGITS = 7
MAX_COUNTRY_CODE = 3


@dataclass(frozen=True)
class Comparison:
    """One detail in one system: the verdict, and how many records held a field of that kind."""

    verdict: Verdict
    records: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "records": self.records}


# --- which fields hold which detail -------------------------------------------------------------------------


def parse_details(value: Any, where: str, problems: list[str]) -> dict[Detail, Spec] | None:
    """A `details:` map as a DPO writes it, for one table or module; each problem names its place.

    phone, account_reference, date_of_birth: a field, or a list of fields each holding a whole value.
    postal_address: a field holding a whole address, a list of fields that together make one address
    ([street, city, postcode]), or a list of those for several ([[street, postcode], other_address]).
    For any detail, a list inside the list is one value kept in several fields, joined in order.
    An empty list reads nothing (it switches a default off).
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        problems.append(
            f"{where}: expected details and their fields, e.g. {{phone: [phone, mobile], postal_address: address}}"
        )
        return None
    found: dict[Detail, Spec] = {}
    for name, spec in value.items():
        if name not in DETAILS:
            problems.append(f"{where}: '{name}' is not one of {', '.join(DETAILS)}")
            continue
        detail = cast(Detail, name)
        parsed = _spec(detail, spec)
        if parsed is None:
            problems.append(f"{where}.{name}: {_SHAPES[detail]}")
            continue
        found[detail] = parsed
    return found


_SHAPES: dict[Detail, str] = {
    "phone": "expected a field name or a list of them (phone: [phone, mobile])",
    "account_reference": "expected a field name or a list of them (account_reference: account_no)",
    "date_of_birth": "expected a field name or a list of them (date_of_birth: birth_date)",
    "postal_address": (
        "expected a field, a list of fields making one address ([street, city, postcode]), or a list of those "
        "for several ([[street, postcode], billing_address])"
    ),
}


def _spec(detail: Detail, spec: Any) -> Spec | None:
    """Every value as a tuple of fields. A list inside the list is always one value in several fields; a flat
    list is several values, except for an address, where it is the parts of one."""

    def name(item: Any) -> bool:
        return isinstance(item, str) and bool(item.strip())

    if name(spec):
        return ((spec.strip(),),)
    if not isinstance(spec, list):
        return None
    if detail == "postal_address" and spec and all(name(item) for item in spec):
        return (tuple(item.strip() for item in spec),)
    values = []
    for item in spec:
        if name(item):
            values.append((item.strip(),))
        elif isinstance(item, list) and item and all(name(part) for part in item):
            values.append(tuple(part.strip() for part in item))
        else:
            return None
    return tuple(values)


def detail_columns(spec: Mapping[Detail, Spec]) -> tuple[str, ...]:
    """Every field a table's map names, each once (for checking them against a database)."""
    return tuple(dict.fromkeys(field for values in spec.values() for value in values for field in value))


def spec_to_json(spec: Mapping[Detail, Spec]) -> dict[str, Any]:
    return {detail: [list(value) for value in values] for detail, values in spec.items()}


# --- finding and comparing ----------------------------------------------------------------------------------


def compare_in(connector: Connector, subject: Subject, given: Mapping[str, str]) -> dict[str, Comparison]:
    """Find the person in one system by the email they proved, export the records of the tables that hold
    details, and compare. The given phone is compared, never searched for: a record found by it would always
    "match" it, however little else of it were the requester's."""
    found = connector.find(Subject(email=subject.email))
    if not found.refs:
        return nothing_found(given)
    fields = connector.detail_fields
    mapped = Found(tuple(ref for ref in found.refs if ref.table in fields))
    export = connector.export(mapped) if mapped.refs else Export({}, {})
    return compare(given, export, fields)


def nothing_found(given: Mapping[str, str]) -> dict[str, Comparison]:
    return {detail: Comparison("no_record") for detail in _given(given)}


def compare(given: Mapping[str, str], export: Export, fields: DetailMap) -> dict[str, Comparison]:
    """Per detail given (in DETAILS' order): "matches" when a record holds an equal value, "differs" when records
    hold that kind of value and none is equal, "not_held" when no record holds one."""
    verdicts: dict[str, Comparison] = {}
    for detail, value in _given(given).items():
        records = 0
        matched = False
        for table, rows in export.rows.items():
            specs = fields.get(table, {}).get(detail, ())
            if not specs:
                continue
            for row in rows:
                held = [v for spec in specs if (v := _held(row, spec))]
                if held:
                    records += 1
                    matched = matched or any(MATCHERS[detail](value, h) for h in held)
        verdict: Verdict = "matches" if matched else "differs" if records else "not_held"
        verdicts[detail] = Comparison(verdict, records)
    return verdicts


def _given(given: Mapping[str, str]) -> dict[Detail, str]:
    return {d: str(given[d]).strip() for d in DETAILS if str(given.get(d) or "").strip()}


def _held(row: Mapping[str, Scalar], spec: tuple[str, ...]) -> str:
    """One held value: the fields of `spec` that have something, joined as parts of one value."""
    parts = [str(row[field]).strip() for field in spec if row.get(field) not in (None, "")]
    return ", ".join(part for part in parts if part)


# --- phone --------------------------------------------------------------------------------------------------


def phone_digits(value: str) -> str:
    """The number's digits without its prefixes: international (+, 00) and national trunk (a leading 0).
    A country code stays: +44 20 7946 0001 is 442079460001, 020 7946 0001 is 2079460001."""
    text = value.strip()
    text = re.sub(r"(?<=\d)\s*\(0\)", "", text)  # +44 (0)20: the trunk 0 written beside the country code
    digits = "".join(ch for ch in text if ch.isdigit() and ch.isascii())
    if text.startswith("+"):
        return digits
    if digits.startswith("00"):
        return digits[2:]
    return digits[1:] if digits.startswith("0") else digits


def phone_matches(given: str, held: str) -> bool:
    a, b = sorted((phone_digits(given), phone_digits(held)), key=len)
    if len(a) < MIN_PHONE_DIGITS:
        return False
    return a == b or (b.endswith(a) and len(b) - len(a) <= MAX_COUNTRY_CODE)


# --- postal address -----------------------------------------------------------------------------------------

# A UK postcode (SW1A 1AA, M1 1AE), or else a numeric one of 4 or 5 digits (ZIP+4 too) outside the first line.
UK_POSTCODE = re.compile(r"\b([a-z]{1,2}\d[a-z\d]?) ?(\d[a-z]{2})\b")
NUMERIC_POSTCODE = re.compile(r"\b(\d{4,5})(?: \d{4})?\b")
NUMBER = re.compile(r"\b\d+[a-z]?\b")
# Street words and their usual short forms count as one (both sides are shortened alike, so "St" may stand for
# Street or Saint without harm).
SHORT = {
    "street": "st", "saint": "st", "road": "rd", "square": "sq", "avenue": "ave", "av": "ave", "lane": "ln",
    "drive": "dr", "court": "ct", "place": "pl", "crescent": "cres", "terrace": "tce", "gardens": "gdns",
    "close": "cl", "boulevard": "blvd", "highway": "hwy", "apartment": "apt", "mount": "mt",
}  # fmt: skip


@dataclass(frozen=True)
class Address:
    text: str  # every part, normalised
    first_line: str
    postcode: str  # without spaces; "" when none is found
    numbers: tuple[str, ...]  # outside the postcode, in order: the house number first


def _plain(value: str) -> str:
    """Case, accents, apostrophes and punctuation gone; words separated by one space."""
    text = unicodedata.normalize("NFKD", value.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"['’`]", "", text)  # St James's = St Jamess, not St James s
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def address(value: str) -> Address:
    lines = [
        " ".join(SHORT.get(w, w) for w in _plain(part).split()) for part in re.split(r"[,;\n\r]+", value)
    ]
    lines = [line for line in lines if line]
    text = " ".join(lines)
    first = lines[0] if lines else ""
    postcode, rest = "", text
    if uk := list(UK_POSTCODE.finditer(text)):
        last = uk[-1]
        postcode = last.group(1) + last.group(2)
        rest = text[: last.start()] + text[last.end() :]
    else:
        later = " ".join(lines[1:])
        if numeric := list(NUMERIC_POSTCODE.finditer(later)):
            last = numeric[-1]
            postcode = last.group(1)
            rest = first + " " + later[: last.start()] + later[last.end() :]
    return Address(text, first, postcode, tuple(NUMBER.findall(rest)))


def address_matches(given: str, held: str) -> bool:
    a, b = address(given), address(held)
    if not a.text or not b.text:
        return False
    if a.text == b.text:
        return True
    if a.postcode and b.postcode:
        if a.postcode != b.postcode:
            return False
        if a.numbers or b.numbers:
            return a.numbers[:1] == b.numbers[:1]
        return a.first_line == b.first_line
    begins = _starts(b.text, a.first_line) or _starts(a.text, b.first_line)
    return begins and set(a.numbers) == set(b.numbers)


def _starts(text: str, line: str) -> bool:
    return bool(line) and (text == line or text.startswith(line + " "))


# --- account reference and date of birth --------------------------------------------------------------------


def account_matches(given: str, held: str) -> bool:
    a, b = ("".join(v.split()).casefold() for v in (given, held))
    return bool(a) and a == b


MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("january", "jan", "января", "январь"), ("february", "feb", "февраля", "февраль"),
            ("march", "mar", "марта", "март"), ("april", "apr", "апреля", "апрель"),
            ("may", "мая", "май"), ("june", "jun", "июня", "июнь"), ("july", "jul", "июля", "июль"),
            ("august", "aug", "августа", "август"), ("september", "sep", "sept", "сентября", "сентябрь"),
            ("october", "oct", "октября", "октябрь"), ("november", "nov", "ноября", "ноябрь"),
            ("december", "dec", "декабря", "декабрь"),
        ],
        start=1,
    )
    for name in names
}  # fmt: skip
ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[t ])")
NUMERIC = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
DAY_MONTH = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)? ([^\W\d_]+)\.? (\d{4})$")
MONTH_DAY = re.compile(r"^([^\W\d_]+)\.? (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})$")


def parse_date(value: str) -> date | None:
    """A date of birth as people and databases write it (the module's docstring lists the forms), or None."""
    text = " ".join(value.strip().casefold().replace(",", " ").split())
    text = re.sub(r"\s*г\.?$", "", text)  # "1 марта 1990 г."
    if m := ISO.match(text):
        return _date(int(m[1]), int(m[2]), int(m[3]))
    if m := NUMERIC.match(text):
        day, month, year = int(m[1]), int(m[2]), int(m[3])
        return _date(year, month, day) or _date(year, day, month)
    if m := DAY_MONTH.match(text):
        return _date(int(m[3]), MONTHS.get(m[2], 0), int(m[1]))
    if m := MONTH_DAY.match(text):
        return _date(int(m[3]), MONTHS.get(m[1], 0), int(m[2]))
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_matches(given: str, held: str) -> bool:
    a, b = parse_date(given), parse_date(held)
    if a is not None and b is not None:
        return a == b
    # Not read as dates: equal text still matches (a form this module does not know, written the same way).
    return bool(_plain(given)) and _plain(given) == _plain(held)


MATCHERS = {
    "phone": phone_matches,
    "postal_address": address_matches,
    "account_reference": account_matches,
    "date_of_birth": date_matches,
}
