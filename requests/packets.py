"""The fulfilment packet (DESIGN §9): what an access or portability requester downloads.

A ZIP built by a Celery task on the `pdf` queue from what staff recorded on the case:
- `cover-letter.pdf`: the Art. 15 (or CCPA "request to know") letter;
- `report.pdf`: the data in readable tables (long tables are cut short and point to the CSV/JSON);
- `data.json` and `csv/*.csv`: the same data, structured and machine-readable (portability);
- `extracts/*`: the files staff uploaded from each company system, as uploaded;
- `manifest.json`: the SHA-256 and size of every other file.

Rows from CSV and JSON extracts that carry a date outside the period the request covers are left out.
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

from django.db import transaction
from django.utils import timezone, translation

from identity.models import Evidence
from privacyportal import files
from privacyportal.pdf import render_pdf

from . import letters
from .audit import record_event
from .lifecycle import packet_sources
from .models import LetterKind, Packet, PacketStatus, PrivacyRequest
from .selectors import period_covered

logger = logging.getLogger(__name__)

# The readable report shows at most this many rows per table; the CSV and JSON hold them all.
REPORT_ROWS = 100
# Columns that date a row, in the order they are trusted.
DATE_COLUMNS = ("date", "created_at", "created", "timestamp", "occurred_at", "sent_at", "time", "updated_at")
_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})")


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
        parsed = json.loads(data.decode("utf-8-sig"))
        if isinstance(parsed, dict):
            lists = [v for v in parsed.values() if isinstance(v, list)]
            parsed = lists[0] if len(lists) == 1 else [parsed]
        if isinstance(parsed, list):
            return [item if isinstance(item, dict) else {"value": item} for item in parsed]
    return None


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
            day = row_date(row)
            if day is not None and ((start is not None and day < start) or day > end):
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
    if tables or extracts:
        contents.append(("report.pdf", _report(privacy_request, tables, start, end)))
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


def _report(privacy_request: PrivacyRequest, tables: list[Table], start: date | None, end: date) -> bytes:
    with translation.override(privacy_request.language):
        context = letters.letter_context(privacy_request, "report")
    context.update(
        tables=[
            {
                "table": table,
                "shown": table.rows[:REPORT_ROWS],
                "more": max(0, len(table.rows) - REPORT_ROWS),
                "csv": f"csv/{table.slug}.csv",
            }
            for table in tables
        ],
        report_rows=REPORT_ROWS,
        period_from=start,
        period_to=end,
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
    """Decrypt a packet for staff checking it; every look is an event on the case (as for evidence)."""
    with transaction.atomic():
        record_event(packet.privacy_request, "packet_viewed", by=by, data={"build": packet.build})
    return read(packet)
