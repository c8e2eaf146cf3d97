"""The fulfilment packet (DESIGN §9): what an access or portability requester downloads.

A ZIP built by a Celery task on the `pdf` queue from what staff recorded on the case:
- `cover-letter.pdf`: the Art. 15 (or CCPA "request to know") letter;
- `report.pdf`: the data in readable tables, dates in words (a huge table prints its first rows and says
  where all of them are);
- `data.json` and `csv/*.csv`: the same data, structured and machine-readable (portability);
- `extracts/*`: the files staff uploaded from each company system, in their own format;
- `manifest.json`: the SHA-256 and size of every other file.

Rows from CSV and JSON extracts that carry a date outside the period the request covers are left out, of the
extracts as of everything else: the whole packet covers the period the report states.
Each build has a number; a newer build supersedes an older one, which stops at its next step, so a re-run
replaces the packet instead of adding another. The ZIP is stored encrypted under PRIVATE_ROOT/packets.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import dateformat, timezone, translation
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from identity.models import Evidence
from privacyportal import files
from privacyportal.pdf import render_pdf

from . import letters
from .audit import record_event
from .lifecycle import packet_sources
from .models import LetterKind, Packet, PacketStatus, PrivacyRequest
from .selectors import operator_zone, period_covered

logger = logging.getLogger(__name__)

# The readable report prints every row of every table up to this many cells (rows times columns) in all; the CSV
# and JSON hold them all. Past it a report runs to hundreds of pages nobody reads, and the pdf worker's time and
# memory grow with it (bench/bench_packet.py: 10,000 rows in 5 tables printed whole took a minute and over 500 MB),
# so tables past their share print their first rows and say how many there are and which files hold them.
REPORT_CELLS = 6_000
# Each table prints at least this many rows, however many tables share the cells.
REPORT_LEAST_ROWS = 20
# Tables wider than this (or whose names and dates need more than a line) print each row as a small card of
# "column: value" lines: side by side on a portrait page, more columns are too narrow to read.
REPORT_COLUMNS = 6
# Columns that date a row, in the order they are trusted.
DATE_COLUMNS = ("date", "created_at", "created", "timestamp", "occurred_at", "sent_at", "time", "updated_at")
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")
# A whole value that is an ISO 8601 date or date and time (what systems export): the report says it in words.
_MOMENT = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$"
)


# CCPA §7024(d): never disclosed in a response to know, even to the person themselves. Columns whose names say
# they hold these are left out of a Californian's packet (staff remain responsible for documents).
NEVER_DISCLOSED = re.compile(
    r"ssn|social.?security|passport|driver.?s?.?licen[cs]e|national.?id|tax.?id|account.?(number|no)|iban|"
    r"card.?(number|no)|routing|password|passcode|pin$|security.?(question|answer)|health.?insurance|"
    r"medical.?(id|record.?number)|biometric|fingerprint",
    re.IGNORECASE,
)


class Superseded(Exception):
    """A newer build of this packet was asked for: this one stops."""


@dataclass
class Table:
    """The rows one extract holds, after leaving out those dated outside the period."""

    system: str
    source: str
    columns: list[str]
    rows: list[dict[str, Any]] = field(default_factory=list)
    left_out: int = 0
    withheld: list[str] = field(default_factory=list)  # columns left out by law (CCPA §7024(d))

    @property
    def slug(self) -> str:
        stem = re.sub(r"[^\w-]+", "-", f"{self.system}-{self.source.rsplit('.', 1)[0]}").strip("-").lower()
        return stem or "data"


def row_date(row: dict[str, Any]) -> date | None:
    """The date a row carries in a date column (ISO 8601 text), if any."""
    for column in DATE_COLUMNS:
        for key, value in row.items():
            if (
                isinstance(key, str)
                and key.strip().lower() == column
                and isinstance(value, str)
                and (found := _DATE.match(value))
            ):
                try:
                    return date(int(found[1]), int(found[2]), int(found[3]))
                except ValueError:
                    return None
    return None


def parse_rows(name: str, data: bytes) -> list[dict[str, Any]] | None:
    """The rows of a CSV or JSON extract (a list of objects, or an object holding one); None for other files."""
    # Only text is decoded: a real PDF carries binary bytes from its second line on.
    if name.lower().endswith(".csv"):
        # Values beyond the header (an unquoted comma in an address) go under "_extra", not under None.
        return [dict(row) for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")), restkey="_extra")]
    if name.lower().endswith(".json"):
        found = _json_items(json.loads(data.decode("utf-8-sig")))
        if found is not None:
            return [item if isinstance(item, dict) else {"value": item} for item in found[0]]
    return None


def _json_items(parsed: Any) -> tuple[list[Any], str | None] | None:
    """Where a JSON extract keeps its rows: a list; the one list an object holds (with its key); otherwise the
    object itself, as one row. None for a bare value."""
    if isinstance(parsed, dict):
        lists = [key for key, value in parsed.items() if isinstance(value, list)]
        return (parsed[lists[0]], lists[0]) if len(lists) == 1 else ([parsed], None)
    return (parsed, None) if isinstance(parsed, list) else None


def outside(row: dict[str, Any], start: date | None, end: date) -> bool:
    """Whether a row is dated outside the period covered (an undated row never is)."""
    day = row_date(row)
    return day is not None and ((start is not None and day < start) or day > end)


def within_period(name: str, data: bytes, start: date | None, end: date) -> bytes | None:
    """An extract as the packet carries it: without the rows dated outside the period, in its own format.

    The bytes as uploaded when nothing is left out (or the file holds no rows: a PDF, an image); None when every
    row is. The report and data.json leave those rows out, so a raw copy holding them would contradict both.
    """
    if name.lower().endswith(".csv"):
        reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
        header = next(reader, None)
        if header is None:
            return data
        # The same rows csv.DictReader (parse_rows) sees: blank lines are none.
        rows = [values for values in reader if values]
        kept = [values for values in rows if not outside(dict(zip(header, values, strict=False)), start, end)]
        if len(kept) == len(rows):
            return data
        if rows and not kept:
            return None
        out = io.StringIO()
        csv.writer(out).writerows([header, *kept])
        return out.getvalue().encode("utf-8")
    if name.lower().endswith(".json"):
        parsed = json.loads(data.decode("utf-8-sig"))
        found = _json_items(parsed)  # the rows where parse_rows finds them
        if found is None:
            return data
        items, key = found
        kept_items = [item for item in items if not (isinstance(item, dict) and outside(item, start, end))]
        if len(kept_items) == len(items):
            return data
        if not kept_items:
            return None
        # An object as one row is either kept whole or left out whole, above: only lists get here.
        document = {**parsed, key: kept_items} if key is not None else kept_items
        return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    return data


def tables_from(
    extracts: list[tuple[Evidence, bytes]],
    start: date | None,
    end: date,
    *,
    withhold_sensitive: bool = False,
) -> list[Table]:
    tables = []
    for item, data in extracts:
        rows = parse_rows(item.name, data)
        if rows is None:
            continue
        # Column names in first-seen order; a dict, not a list, so many columns cost linear time, not quadratic.
        seen: dict[str, None] = {}
        for row in rows:
            seen.update(dict.fromkeys(row))
        withheld = [c for c in seen if withhold_sensitive and NEVER_DISCLOSED.search(str(c))]
        columns = [c for c in seen if c not in set(withheld)]
        hidden = set(withheld)
        table = Table(
            system=item.system.name if item.system else "",
            source=item.name,
            columns=columns,
            withheld=withheld,
        )
        for row in rows:
            if outside(row, start, end):
                table.left_out += 1
            else:
                table.rows.append({k: v for k, v in row.items() if k not in hidden} if hidden else row)
        tables.append(table)
    return tables


def _progress(packet: Packet, build: int, step: str, percent: int) -> None:
    """Show the step on the case page; a newer build asked for meanwhile stops this one."""
    if not Packet.objects.filter(pk=packet.pk, build=build).update(step=step, percent=percent):
        raise Superseded


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): a company system's data, or a name the
# requester typed, must not run in whoever opens the file. Such cells get a leading apostrophe in the CSVs only;
# data.json keeps every value exactly.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    return f"'{value}" if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def _csv_bytes(table: Table) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(column) for column in table.columns])
    writer.writerows([_cell(row.get(column, "")) for column in table.columns] for row in table.rows)
    return out.getvalue().encode("utf-8")


def _unique(name: str, taken: set[str]) -> str:
    stem, dot, suffix = name.rpartition(".")
    candidate, n = name, 2
    while candidate in taken:
        candidate = f"{stem}-{n}.{suffix}" if dot else f"{name}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def assemble(privacy_request: PrivacyRequest, on_step: Any = None) -> tuple[bytes, list[dict[str, Any]]]:
    """Build the ZIP for a case; return it and its manifest. `on_step(step, percent)` reports progress."""
    step = on_step or (lambda _step, _percent: None)
    start, end = period_covered(privacy_request)
    step("reading extracts", 10)
    extracts = [
        (item, files.load(item.stored_name))
        for item in Evidence.objects.filter(
            privacy_request=privacy_request, kind=Evidence.Kind.EXTRACT, purged_at__isnull=True
        )
        .select_related("system")
        .order_by("system__name", "uploaded_at", "pk")
    ]
    kind = letters.access_letter_kind(privacy_request)
    ccpa = kind == LetterKind.CCPA_KNOW
    step("writing the cover letter", 25)
    contents: list[tuple[str, bytes]] = [("cover-letter.pdf", letters.render(privacy_request, kind))]
    if ccpa and not letters.letter_context(privacy_request, kind)["specific_pieces"]:
        # Verified below the high tier: the categories in the letter are the whole answer (CCPA §7024(a)).
        extracts = []
    tables = tables_from(extracts, start, end, withhold_sensitive=ccpa)
    if ccpa:
        # The tables hold the data without what may never be disclosed; the raw files would not.
        extracts = [(item, data) for item, data in extracts if parse_rows(item.name, data) is None]
    step("writing the report", 45)
    generated = timezone.now()
    # The files as each system exported them, without the rows dated outside the period (or left out whole).
    extracts = [
        (item, kept)
        for item, data in extracts
        if (kept := within_period(item.name, data, start, end)) is not None
    ]
    if tables or extracts:
        contents.append(("report.pdf", _report(privacy_request, tables, start, end, extracts=bool(extracts))))
        step("writing the data files", 75)
        contents.append(("data.json", _data_json(privacy_request, tables, start, end, generated)))
    taken = {name for name, _ in contents}
    for table in tables:
        contents.append((_unique(f"csv/{table.slug}.csv", taken), _csv_bytes(table)))
    for item, data in extracts:
        system = re.sub(r"[^\w-]+", "-", item.system.name if item.system else "other").strip("-").lower()
        contents.append((_unique(f"extracts/{system}/{item.name}", taken), data))
    step("writing the manifest", 90)
    manifest = [
        {"name": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
        for name, data in contents
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents:
            archive.writestr(name, data)
        archive.writestr(
            "manifest.json",
            json.dumps(
                {
                    "reference": privacy_request.reference,
                    "generated_at": generated.isoformat(),
                    "files": manifest,
                },
                indent=2,
                ensure_ascii=False,
            ),
        )
    return out.getvalue(), manifest


# Where a name or value may wrap in a narrow column: after the separators systems put between words (created_at,
# order.id, ada@example.org) and between the words of a camelCase name (createdAt). Without these the PDF broke
# inside words ("create / d_at"); wrapping anywhere stays the last resort for a value with none (a long number).
_WORD_END = re.compile(r"(?<=[_.\-/@])|(?<=[a-z])(?=[A-Z])")


# Only a value's long words get them: each is a box of its own for WeasyPrint, and a table of short values
# printed at half the speed with them.
_LONG_WORD = re.compile(r"\S{13,}")


def breakable(text: str, *, every_word: bool = False) -> SafeString:
    """`text`, escaped, with a line-break opportunity between the words of each long word (of every one)."""
    if every_word:
        return mark_safe("<wbr>".join(escape(part) for part in _WORD_END.split(text)))  # noqa: S308 (escaped)
    out, done = [], 0
    for word in _LONG_WORD.finditer(text):
        out += [escape(text[done : word.start()]), breakable(word.group(), every_word=True)]
        done = word.end()
    out.append(escape(text[done:]))
    return mark_safe("".join(out))  # noqa: S308 (escaped)


@dataclass(frozen=True)
class Cell:
    """A value as the report prints it, and the characters it takes: `least` on one line (a date never wraps),
    `most` unwrapped."""

    html: SafeString
    least: int = 0
    most: int = 0


def in_words(text: str) -> tuple[str, str] | None:
    """An ISO 8601 date, or date and time, as (the date in words in the active language, the time or "");
    None for anything else. A time with a zone is given where the operator is."""
    if not _MOMENT.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # shaped like a date but none (2025-02-30): printed as written
        return None
    if len(text) == len("2025-06-01"):
        return dateformat.format(moment, gettext("j E Y")), ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(operator_zone())
    return dateformat.format(moment, gettext("j E Y")), dateformat.format(moment, "H:i")


def cell(value: Any) -> Cell:
    """A value as the report prints it: an ISO date and time as "3 March 2026, 14:05" ("3 марта 2026 г., 14:05"),
    nested JSON as JSON, anything else as it is."""
    if value is None:
        return Cell(mark_safe(""))
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
    words = in_words(text.strip()) if isinstance(value, str) else None
    if words is None:
        return Cell(breakable(text), most=len(text))
    day, time = words
    if not time:
        return Cell(format_html('<span class="nowrap">{}</span>', day), len(day), len(day))
    return Cell(
        format_html('<span class="nowrap">{},</span> {}', day, time), len(day) + 1, len(day) + 2 + len(time)
    )


# Characters of the report's table type across the page, and the most a column asks for: a longer value wraps.
LINE_CHARS = 90
WANT_CHARS = 40
PADDING_CHARS = 2


def column_widths(columns: list[str], rows: list[list[Cell]]) -> list[float] | None:
    """Each column's share of the page in per cent: at least its name's longest word and its longest date, the
    rest shared by how long its values run. None when the columns cannot all fit side by side.

    Fixed widths: an automatic table layout measures every cell of every row, which made a long report take
    minutes to print (and `overflow-wrap: anywhere`, which kept such a table on the page, cut names mid-word).
    """
    if len(columns) > REPORT_COLUMNS:
        return None
    need = [
        max([len(part) * 1.25 for part in _WORD_END.split(column)] + [c[n].least for c in rows])
        + PADDING_CHARS
        for n, column in enumerate(columns)
    ]
    if sum(need) > LINE_CHARS:
        return None
    want = [
        max(need[n], min(WANT_CHARS, max([c[n].most for c in rows], default=0)) + PADDING_CHARS)
        for n in range(len(columns))
    ]
    spare = LINE_CHARS - sum(need)
    extra = [w - n for w, n in zip(want, need, strict=True)]
    if sum(extra) > spare:  # not all they want: the spare room shared by how much more each wants
        want = [n + spare * e / sum(extra) for n, e in zip(need, extra, strict=True)]
    return [round(100 * w / sum(want), 1) for w in want]


def rows_printed(tables: list[Table]) -> list[int]:
    """How many rows of each table the report prints: every row while the cells allow; past that, small tables
    whole and the big ones sharing what is left alike."""
    printed = [0] * len(tables)
    left = REPORT_CELLS
    by_size = sorted(range(len(tables)), key=lambda n: len(tables[n].rows) * max(1, len(tables[n].columns)))
    for place, n in enumerate(by_size):
        width = max(1, len(tables[n].columns))
        share = left // (len(tables) - place)
        printed[n] = min(len(tables[n].rows), max(REPORT_LEAST_ROWS, share // width))
        left = max(0, left - printed[n] * width)
    return printed


def _printed(table: Table, count: int) -> dict[str, Any]:
    """What the report prints of one table, its first `count` rows (in the active language)."""
    names = [str(column) for column in table.columns]
    rows = [[cell(row.get(column)) for column in table.columns] for row in table.rows[:count]]
    widths = column_widths(names, rows)
    columns = [breakable(name, every_word=True) for name in names]
    # Side by side a row is its cells; as cards, its (name, cell) lines.
    printed: list[Any] = rows
    if widths is None:
        printed = [list(zip(columns, row, strict=True)) for row in rows]
    return {
        "table": table,
        "columns": columns,
        "widths": widths,
        "total": len(table.rows),
        "rows": printed,
        "shown": count,
        "more": len(table.rows) > count,
        "csv": f"csv/{table.slug}.csv",
    }


def _report(
    privacy_request: PrivacyRequest, tables: list[Table], start: date | None, end: date, *, extracts: bool
) -> bytes:
    with translation.override(privacy_request.language):
        context = letters.letter_context(privacy_request, "report")
        printed = [_printed(table, count) for table, count in zip(tables, rows_printed(tables), strict=True)]
    context.update(
        tables=printed,
        period_from=start,
        period_to=end,
        extracts=extracts,
        zone=settings.PRIVACY_OPERATOR_TIMEZONE,
    )
    return render_pdf("packet-report", context, language=privacy_request.language)


def _data_json(
    privacy_request: PrivacyRequest, tables: list[Table], start: date | None, end: date, generated: datetime
) -> bytes:
    document = {
        "reference": privacy_request.reference,
        "right": privacy_request.kind,
        "received": privacy_request.received_at.isoformat(),
        # "from": null means everything held, whatever its date.
        "period": {"from": start.isoformat() if start else None, "to": end.isoformat()},
        "generated_at": generated.isoformat(),
        "systems": [
            {
                "system": table.system,
                "source_file": table.source,
                "columns": table.columns,
                "rows": table.rows,
                "rows_outside_period_left_out": table.left_out,
                "columns_withheld_by_law": table.withheld,
            }
            for table in tables
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False, default=str).encode("utf-8")


def build(privacy_request_id: int, build: int) -> bool:
    """Build packet number `build` of a case (the task's body). False if a newer build superseded it."""
    claimed = Packet.objects.filter(
        privacy_request_id=privacy_request_id, build=build, status__in=packet_sources(PacketStatus.BUILDING)
    ).update(status=PacketStatus.BUILDING, step="starting", percent=5, error="")
    if not claimed:
        return False
    packet = Packet.objects.select_related("privacy_request").get(privacy_request_id=privacy_request_id)
    privacy_request = packet.privacy_request
    try:
        data, manifest = assemble(privacy_request, lambda step, pct: _progress(packet, build, step, pct))
        stored_name, digest = files.store_bytes(data, "packets")
    except Superseded:
        return False
    except Exception:
        logger.exception("packet build %s of case %s failed", build, privacy_request_id)
        with transaction.atomic():
            if Packet.objects.filter(
                pk=packet.pk, build=build, status__in=packet_sources(PacketStatus.FAILED)
            ).update(status=PacketStatus.FAILED, error="The build failed; see the worker log.", percent=0):
                record_event(privacy_request, "packet_failed", data={"build": build})
        raise
    with transaction.atomic():
        old = Packet.objects.select_for_update().get(pk=packet.pk)
        if old.build != build or old.status not in packet_sources(PacketStatus.READY):
            files.remove(stored_name, "packets")  # superseded, or deleted by the purge meanwhile
            return False
        Packet.objects.filter(pk=packet.pk).update(
            status=PacketStatus.READY,
            step="ready",
            percent=100,
            stored_name=stored_name,
            sha256=digest,
            size=len(data),
            files=manifest,
            built_at=timezone.now(),
        )
        record_event(
            privacy_request, "packet_built", data={"build": build, "files": len(manifest), "size": len(data)}
        )
    if old.stored_name and old.stored_name != stored_name:
        files.remove(old.stored_name, "packets")  # the build this one replaces
    return True


def read(packet: Packet) -> bytes:
    return files.load(packet.stored_name, "packets")


def read_for_staff(packet: Packet, *, by: Any) -> bytes:
    """Decrypt a packet for staff checking it; every look is an event on the case (as for evidence), recorded once
    the file decrypted: a look that failed showed nothing."""
    data = read(packet)
    with transaction.atomic():
        record_event(packet.privacy_request, "packet_viewed", by=by, data={"build": packet.build})
    return data
