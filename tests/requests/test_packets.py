"""The fulfilment packet: built by the pdf task from the case's extracts, released by a DPO, downloaded by the
requester after a fresh code, gone after expiry (DESIGN §9)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.test import Client
from pypdf import PdfReader

from identity.models import Evidence
from identity.services import add_extract
from privacyportal import files as private_files
from privacyportal.uploads import check_extract
from requests import packets, services, sweeps
from requests.models import CompanySystem, Packet, PacketStatus, PrivacyRequest, ProcessingActivity
from tests.factories import make_case, pdf_bytes, signed_in

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 3, 2, 10, tzinfo=UTC)  # the 12 months covered: 2 Mar 2025 to 2 Mar 2026
ORDERS = (
    "order,date,total\n"
    "1001,2024-12-30,10.00\n"  # before the period: left out
    "1002,2025-06-01,25.50\n"
    "1003,2026-01-15,7.25\n"
    "1004,,3.00\n"  # undated: kept
)
CONTACT = json.dumps(
    {"contacts": [{"name": "Ada Lovelace", "email": "ada@example.org", "created_at": "2025-04-01T09:00:00Z"}]}
)
PDF_EXTRACT = pdf_bytes()


def text_of(pdf: bytes) -> str:
    """The PDF's text with line breaks folded, as a reader would read it."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def upload(name: str, data: bytes) -> Any:
    return check_extract(SimpleUploadedFile(name, data))


@pytest.fixture
def case(dpo: Any, handler: Any) -> PrivacyRequest:
    """An access case in progress with what two systems hold: a CSV, a JSON and a PDF extract.

    Where no law applies the operator's 12 months decide (requests/lookback.py): order 1001 is older."""
    return access_case(dpo, handler, country="JP")


def access_case(dpo: Any, handler: Any, *, country: str) -> PrivacyRequest:
    with time_machine.travel(RECEIVED, tick=False):
        case = services.confirm_email(
            make_case(kind="access", country=country, data_points={"phone": "1", "postal_address": "2"})
        )
        if case.identity_verified_at is None:  # the law of `country` asks for matching details
            services.verify(case, by=dpo, data_points=["phone", "postal_address"])
        services.assign(case, to=handler, by=dpo)
    activity = ProcessingActivity.objects.create(
        name="Client relationship", purposes="Running projects", data_categories="Contact details",
        legal_basis="contract", sources="You", retention="6 years", recipients="Zoho Corporation B.V.",
    )  # fmt: skip
    shop = CompanySystem.objects.create(name="Shop")
    crm = CompanySystem.objects.create(name="Zoho CRM")
    crm.activities.add(activity)
    for system in (shop, crm):
        services.record_system_check(case, by=handler, system=system, state="exported")
    add_extract(case, upload("orders.csv", ORDERS.encode()), system=shop, by=handler)
    add_extract(case, upload("contacts.json", CONTACT.encode()), system=crm, by=handler)
    add_extract(case, upload("notes.pdf", PDF_EXTRACT), system=crm, by=handler)
    return case


def build(case: PrivacyRequest, by: Any, capture: Any) -> Packet:
    with capture(execute=True):
        services.request_packet(case, by=by)
    return Packet.objects.get(privacy_request=case)


def unzip(packet: Packet) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(packets.read(packet))) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_packet_holds_the_letter_report_data_and_a_manifest_that_matches(
    case: PrivacyRequest, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    packet = build(case, handler, django_capture_on_commit_callbacks)
    assert (packet.status, packet.percent, packet.step) == (PacketStatus.READY, 100, "ready")
    files = unzip(packet)
    assert set(files) == {
        "cover-letter.pdf", "report.pdf", "data.json", "manifest.json", "csv/shop-orders.csv",
        "csv/zoho-crm-contacts.csv", "extracts/shop/orders.csv", "extracts/zoho-crm/contacts.json",
        "extracts/zoho-crm/notes.pdf",
    }  # fmt: skip
    manifest = json.loads(files["manifest.json"])
    assert manifest["reference"] == case.reference
    assert {f["name"] for f in manifest["files"]} == set(files) - {"manifest.json"}
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
        assert len(files[entry["name"]]) == entry["size"]
    data = json.loads(files["data.json"])
    assert data["period"] == {"from": "2025-03-02", "to": "2026-03-02"}
    orders = next(s for s in data["systems"] if s["system"] == "Shop")
    assert [r["order"] for r in orders["rows"]] == ["1002", "1003", "1004"]  # 1001 predates the period
    assert orders["rows_outside_period_left_out"] == 1
    contacts = next(s for s in data["systems"] if s["system"] == "Zoho CRM")
    assert contacts["rows"] == [
        {"name": "Ada Lovelace", "email": "ada@example.org", "created_at": "2025-04-01T09:00:00Z"}
    ]
    assert files["csv/shop-orders.csv"].decode().splitlines() == [
        "order,date,total", "1002,2025-06-01,25.50", "1003,2026-01-15,7.25", "1004,,3.00"
    ]  # fmt: skip
    report = text_of(files["report.pdf"])
    assert case.reference in report and "1003" in report
    # The reference itself may hold the digits (PR-2026-010017 did): the left-out row must not be elsewhere.
    assert "1001" not in report.replace(case.reference, "")
    assert "1 record dated outside the period covered was left out" in report
    letter = text_of(files["cover-letter.pdf"])
    assert case.reference in letter and "Zoho Corporation B.V." in letter
    # Stored encrypted: the bytes at rest are not a ZIP.
    on_disk = private_files.read_raw(packet.stored_name, "packets")
    assert not on_disk.startswith(b"PK") and packet.sha256 == hashlib.sha256(packets.read(packet)).hexdigest()
    assert list(case.events.filter(verb__startswith="packet").values_list("verb", flat=True)) == [
        "packet_requested", "packet_built"
    ]  # fmt: skip


def test_under_uk_gdpr_the_packet_holds_everything_whatever_its_date(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = access_case(dpo, handler, country="GB")
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    data = json.loads(files["data.json"])
    assert data["period"] == {"from": None, "to": "2026-03-02"}
    orders = next(s for s in data["systems"] if s["system"] == "Shop")
    assert [r["order"] for r in orders["rows"]] == ["1001", "1002", "1003", "1004"]
    assert orders["rows_outside_period_left_out"] == 0
    report = text_of(files["report.pdf"])
    assert "Everything held, up to 2 March 2026" in report and "left out" not in report


def test_the_report_prints_every_row_of_a_table_longer_than_it_used_to(
    case: PrivacyRequest, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # It stopped at 100 rows, and a requester with 130 orders never saw the last 30 in a readable form.
    rows = "\n".join(f"{n},2025-07-01,1.00" for n in range(5000, 5130))
    shop = CompanySystem.objects.get(name="Shop")
    add_extract(case, upload("big.csv", f"order,date,total\n{rows}\n".encode()), system=shop, by=handler)
    report = text_of(unzip(build(case, handler, django_capture_on_commit_callbacks))["report.pdf"])
    assert "130 records from big.csv." in report
    assert all(str(n) in report for n in range(5000, 5130))
    assert "This report prints the first" not in report


@pytest.mark.parametrize(
    ("language", "pointer"),
    [
        ("en", "This report prints the first {shown} of 1,060 records. All 1,060 are in csv/shop-big.csv and in "
               "data.json."),
        ("ru", "В отчёте приведены первые {shown} из 1 060 записей. Все 1 060 есть в файлах csv/shop-big.csv и "
               "data.json."),
    ],
)  # fmt: skip
def test_past_its_cap_the_report_says_how_many_rows_there_are_and_which_files_hold_them_all(
    case: PrivacyRequest,
    handler: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
    language: str,
    pointer: str,
) -> None:
    monkeypatch.setattr(packets, "REPORT_CELLS", 300)  # the real cap prints thousands of rows: slow to test
    PrivacyRequest.objects.filter(pk=case.pk).update(language=language)
    rows = "\n".join(f"{n},2025-07-01,1.00" for n in range(10_000, 11_060))
    shop = CompanySystem.objects.get(name="Shop")
    add_extract(case, upload("big.csv", f"order,date,total\n{rows}\n".encode()), system=shop, by=handler)
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    report = text_of(files["report.pdf"])
    # Whole numbers only: the case's random reference (PR-2026-107351) holds "10735" inside it.
    numbers = set(re.findall(r"\d+", report))
    shown = len([n for n in range(10_000, 11_060) if str(n) in numbers])
    assert 20 <= shown < 100
    assert pointer.format(shown=shown) in report.replace("csv/ ", "csv/")  # where a line wrapped
    # The rows printed are the first ones, in order; the files hold every row.
    assert str(10_000 + shown - 1) in numbers and str(10_000 + shown) not in numbers
    big = next(s for s in json.loads(files["data.json"])["systems"] if s["source_file"] == "big.csv")
    assert len(big["rows"]) == 1_060
    assert len(files["csv/shop-big.csv"].decode().splitlines()) == 1 + 1_060
    # The small tables beside it print whole.
    assert "1002" in report and "1003" in report and "1004" in report


# A delivery exported at 13:05 UTC on 2 July 2025: 14:05 in London, where the operator works (summer time).
DELIVERIES = (
    "order_id,customer_email_address,created_at,delivery_status_description,amount_total\n"
    "7001,ada@example.org,2025-07-02T13:05:00Z,Left with a neighbour,12.00\n"
)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["2 July 2025, 14:05", "1 June 2025", "15 January 2026", "1 April 2025, 10:00"]),
        ("ru", ["2 июля 2025 г., 14:05", "1 июня 2025 г.", "15 января 2026 г.", "1 апреля 2025 г., 10:00"]),
    ],
)
def test_the_report_prints_column_names_whole_and_dates_in_words(
    case: PrivacyRequest,
    handler: Any,
    django_capture_on_commit_callbacks: Any,
    language: str,
    words: list[str],
) -> None:
    PrivacyRequest.objects.filter(pk=case.pk).update(language=language)
    shop = CompanySystem.objects.get(name="Shop")
    add_extract(case, upload("deliveries.csv", DELIVERIES.encode()), system=shop, by=handler)
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    report = text_of(files["report.pdf"])
    # A name too long for its column wraps after one of its words ("customer_ email_ address"), never inside
    # one: the user test read "create / d_at" and "amount_t / otal".
    whole = re.sub(r"(?<=[_@]) ", "", report)
    for name in ("order_id", "customer_email_address", "created_at", "delivery_status_description",
                 "amount_total", "ada@example.org"):  # fmt: skip
        assert name in whole, name
    for said in words:
        assert said in report, said
    assert not re.search(r"\d{4}-\d{2}-\d{2}", report.replace(case.reference, ""))  # no ISO date left
    # The files keep the values as the systems recorded them.
    assert "2025-07-02T13:05:00Z" in files["csv/shop-deliveries.csv"].decode()


def test_the_extracts_hold_only_the_period_the_report_states(
    case: PrivacyRequest, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop = CompanySystem.objects.get(name="Shop")
    crm = CompanySystem.objects.get(name="Zoho CRM")
    leads = {
        "exported_by": "crm",
        "leads": [
            {"id": "L1", "created_at": "2024-05-01T10:00:00Z"},
            {"id": "L2", "created_at": "2025-05-01"},
        ],
    }
    add_extract(case, upload("leads.json", json.dumps(leads).encode()), system=crm, by=handler)
    add_extract(
        case, upload("visits.csv", b"visit,date\nV1,2023-01-05\nV2,2024-11-30\n"), system=shop, by=handler
    )
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    report = text_of(files["report.pdf"])
    assert "Period covered 2 March 2025 – 2 March 2026" in report
    assert "1 record dated outside the period covered was left out" in report  # order 1001, lead L1
    assert "2 records dated outside the period covered were left out" in report  # both visits
    assert "without the records dated outside the period covered" in report
    # The system's own files, as the report says: order 1001 and lead L1 are before the period.
    assert files["extracts/shop/orders.csv"].decode().splitlines() == [
        "order,date,total", "1002,2025-06-01,25.50", "1003,2026-01-15,7.25", "1004,,3.00"
    ]  # fmt: skip
    assert json.loads(files["extracts/zoho-crm/leads.json"]) == {
        "exported_by": "crm",
        "leads": [{"id": "L2", "created_at": "2025-05-01"}],
    }
    assert "extracts/shop/visits.csv" not in files  # nothing in it is within the period
    assert not any(b"1001," in data or b'"L1"' in data for data in files.values())
    # A file with nothing outside the period, and a document, are exactly as uploaded.
    assert files["extracts/zoho-crm/contacts.json"] == CONTACT.encode()
    assert files["extracts/zoho-crm/notes.pdf"] == PDF_EXTRACT
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]


def test_building_again_replaces_the_packet(
    case: PrivacyRequest, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = build(case, handler, django_capture_on_commit_callbacks)
    second = build(case, handler, django_capture_on_commit_callbacks)
    assert Packet.objects.filter(privacy_request=case).count() == 1
    assert (second.build, second.status) == (
        2,
        PacketStatus.READY,
    ) and second.stored_name != first.stored_name
    assert not private_files.exists(first.stored_name, "packets")
    # The first build's task, arriving late, finds itself superseded and changes nothing.
    assert packets.build(case.pk, 1) is False
    assert Packet.objects.get(privacy_request=case).stored_name == second.stored_name


def fail_build(case: PrivacyRequest, by: Any, capture: Any, monkeypatch: Any) -> None:
    """A build whose report cannot be made: the task raises and the packet says it failed."""

    def broken(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the PDF engine fell over")

    monkeypatch.setattr(packets, "_report", broken)
    with pytest.raises(RuntimeError):
        build(case, by, capture)
    monkeypatch.undo()


def test_a_failed_build_says_so_on_the_case_page(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    fail_build(case, handler, django_capture_on_commit_callbacks, monkeypatch)
    packet = Packet.objects.get(privacy_request=case)
    assert packet.status == PacketStatus.FAILED and "failed" in packet.error
    page = signed_in(dpo, "DPO").get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    assert "Failed" in page and "Build again" in page and "packet_failed" in page


def test_progress_shows_on_the_case_page_and_the_page_refreshes_itself(
    case: PrivacyRequest, dpo: Any
) -> None:
    Packet.objects.create(
        privacy_request=case, status=PacketStatus.BUILDING, step="writing the report", percent=45
    )
    page = signed_in(dpo, "DPO").get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    assert 'value="45"' in page and "writing the report" in page and 'http-equiv="refresh"' in page


def test_only_a_dpo_releases_and_the_requester_is_told(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    build(case, handler, django_capture_on_commit_callbacks)
    url = f"/admin/requests/privacyrequest/{case.pk}/change/"
    assert signed_in(handler, "Handler").post(url, {"action": "release"}).status_code == 403
    mail.outbox.clear()
    as_dpo = signed_in(dpo, "DPO")
    with django_capture_on_commit_callbacks(execute=True):
        check = as_dpo.post(url, {"action": "release"})
    # First the email the requester will get, and nothing sent or released yet.
    assert check.status_code == 200 and "Confirm and send" in check.content.decode()
    assert not mail.outbox and Packet.objects.get(privacy_request=case).status == PacketStatus.READY
    with django_capture_on_commit_callbacks(execute=True):
        assert as_dpo.post(url, {"action": "release", "confirmed": "1"}).status_code == 302
    packet = Packet.objects.get(privacy_request=case)
    assert packet.status == PacketStatus.RELEASED and packet.released_by == dpo
    assert packet.expires_at is not None and (packet.expires_at - packet.released_at).days == 30  # type: ignore[operator]
    (email,) = mail.outbox
    assert email.to == [case.requester_email] and "is ready" in str(email.subject)
    assert "/status/" in str(email.body) and "once you have signed in with the code" in str(email.body)
    assert "fresh code" not in str(email.body)  # no second code within 30 minutes of signing in
    # Released means final: it cannot be rebuilt under the requester's feet.
    with pytest.raises(services.TransitionError):
        services.request_packet(case, by=dpo)


def status_client(email: str) -> Client:
    client = Client()
    mail.outbox.clear()
    client.post("/status/", {"email": email})
    code = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert code
    client.post("/status/code/", {"code": code.group(1)})
    return client


def emailed_code() -> str:
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    return found.group(1)


def released(case: PrivacyRequest, dpo: Any, handler: Any, capture: Any) -> Packet:
    build(case, handler, capture)
    with capture(execute=True):
        return services.release_packet(case, by=dpo)


# Signed in at 13:05 UTC on 3 April 2026: 14:05 in London, where the operator works (summer time).
SIGNED_IN = datetime(2026, 4, 3, 13, 5, tzinfo=UTC)


def test_signed_in_in_the_last_30_minutes_the_requester_downloads_at_once_and_the_page_says_what_and_until_when(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(SIGNED_IN, tick=False) as clock:
        case = access_case(dpo, handler, country="JP")
        packet = released(case, dpo, handler, django_capture_on_commit_callbacks)
        client = status_client(case.requester_email)
        case_page = client.get(f"/status/cases/{case.reference}/").content.decode()
        assert "Your data is ready to download until 3 May 2026." in case_page
        assert "fresh code" not in case_page
        clock.shift(timedelta(minutes=29))
        download = f"/status/cases/{case.reference}/download/"
        size = filesizeformat(packet.size)
        page = client.get(download).content.decode()
        # Before the click the page says what the file holds, how big it is and until when it is there.
        assert f"Your data is ready: one ZIP file of {size}, available until 3 May 2026." in page
        assert "a cover letter, a readable report, your data as JSON and CSV files" in page
        assert f"Download your data (ZIP, {size})" in page and "Email me a code" not in page
        assert "this page stays open" in page
        response = client.post(download, {"download": "1"})
        assert response["Location"] == download + "file/" and not mail.outbox[1:]  # no second code
        got = client.get(download + "file/")
        assert got.status_code == 200 and got["Content-Type"] == "application/zip"
        assert got["Content-Disposition"] == f'attachment; filename="{case.reference}.zip"'
        assert got.content == packets.read(packet)
        assert client.get(download + "file/")["Location"] == download  # one click, one download
        assert Packet.objects.get(pk=packet.pk).downloads == 1
        assert case.events.filter(verb="packet_downloaded", actor_kind="requester").count() == 1
        clock.shift(timedelta(minutes=40))
        again = client.get(download)
    page = again.content.decode()
    assert (
        f"You downloaded your data on 3 April 2026, 14:34 (ZIP, {size}). It stays available until 3 May 2026; "
        "after that we delete the copy."
    ) in page
    # Signed in over an hour ago (the session, in use, lasts an hour from its last change): another download
    # needs a code.
    assert "Download again" not in page and "Email me a code" in page


def test_a_russian_requester_reads_the_download_page_in_russian(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with time_machine.travel(SIGNED_IN, tick=False):
        case = access_case(dpo, handler, country="JP")
        PrivacyRequest.objects.filter(pk=case.pk).update(language="ru")
        released(case, dpo, handler, django_capture_on_commit_callbacks)
        client = status_client(case.requester_email)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ru"
        download = f"/status/cases/{case.reference}/download/"
        client.get(client.post(download, {"download": "1"})["Location"])
        page = client.get(download).content.decode()
    assert "Вы скачали свои данные 3 апреля 2026, 14:05 (ZIP," in page
    assert "Они доступны до 3 мая 2026; после этого мы удалим копию." in page
    assert "Скачать ещё раз (ZIP," in page


def test_a_sign_in_older_than_30_minutes_asks_for_a_fresh_code_and_each_download_is_recorded(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = status_client(case.requester_email)
    case_page = client.get(f"/status/cases/{case.reference}/")
    assert "Download your data" not in case_page.content.decode()  # built but not released: nothing to see
    assert client.get(f"/status/cases/{case.reference}/download/").status_code == 404
    packet = released(case, dpo, handler, django_capture_on_commit_callbacks)
    assert "Download your data" in client.get(f"/status/cases/{case.reference}/").content.decode()
    download = f"/status/cases/{case.reference}/download/"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=False):
        # Signed in is not enough: the file itself sends us back for a code.
        assert client.get(download + "file/")["Location"] == download
        page = client.get(download).content.decode()
        assert (
            "You signed in more than 30 minutes ago, so for your safety we first email you a fresh code."
            in page
        )
        assert "Download your data (ZIP" not in page
        # The button of a page shown while the sign-in was fresh now leads to the code.
        stale = client.post(download, {"download": "1"})
        assert stale.status_code == 200 and "Email me a code" in stale.content.decode()
        assert client.get(download + "file/")["Location"] == download
        mail.outbox.clear()
        client.post(download, {"send": "1"})
        assert "is your code to download your data" in str(mail.outbox[-1].subject)
        code = emailed_code()
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        assert client.post(download, {"code": wrong}).status_code == 400
        response = client.post(download, {"code": code})
        assert response["Location"] == download + "file/"
        got = client.get(download + "file/")
        assert got.status_code == 200 and got["Content-Type"] == "application/zip"
        assert got["Content-Disposition"] == f'attachment; filename="{case.reference}.zip"'
        assert got.content == packets.read(packet)
        assert Packet.objects.get(pk=packet.pk).downloads == 1
        assert case.events.filter(verb="packet_downloaded", actor_kind="requester").count() == 1
        timeline = client.get(f"/status/cases/{case.reference}/").content.decode()
        assert "Your data was ready to download." in timeline and "You downloaded your data." in timeline
        # One code, one download.
        assert client.get(download + "file/")["Location"] == download
        assert client.post(download, {"code": code}).status_code == 400


def test_signing_out_ends_the_download_without_a_code(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    released(case, dpo, handler, django_capture_on_commit_callbacks)
    client = status_client(case.requester_email)
    client.post("/status/sign-out/")
    assert "status_signed_in_at" not in client.session
    download = f"/status/cases/{case.reference}/download/"
    assert client.post(download, {"download": "1"})["Location"] == "/status/"


@pytest.mark.parametrize("way", ["code", "fresh sign-in"])
def test_two_downloads_racing_with_one_grant_get_one_file(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any, way: str
) -> None:
    packet = released(case, dpo, handler, django_capture_on_commit_callbacks)
    client = status_client(case.requester_email)
    download = f"/status/cases/{case.reference}/download/"
    if way == "code":
        client.post(download, {"send": "1"})
        assert client.post(download, {"code": emailed_code()})["Location"] == download + "file/"
    else:
        assert client.post(download, {"download": "1"})["Location"] == download + "file/"
    # Two requests read the session before either answers: both see the grant.
    from django.contrib.sessions.backends.db import SessionStore

    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    as_read = dict(SessionStore(session_key=key).load())
    first = client.get(download + "file/")
    store = SessionStore(session_key=key)
    store.update(as_read)
    store.save()  # the second request's view of the session, from before the first one saved
    second = client.get(download + "file/")
    assert first.status_code == 200 and first.content == packets.read(packet)
    assert second.status_code == 302 and second["Location"] == download
    assert Packet.objects.get(pk=packet.pk).downloads == 1


def test_someone_else_cannot_reach_the_packet(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    released(case, dpo, handler, django_capture_on_commit_callbacks)
    make_case(requester_email="eve@example.net")
    eve = status_client("eve@example.net")
    assert eve.get(f"/status/cases/{case.reference}/download/").status_code == 404
    assert eve.post(f"/status/cases/{case.reference}/download/", {"download": "1"}).status_code == 404
    assert eve.get(f"/status/cases/{case.reference}/download/file/").status_code == 404


def test_after_expiry_the_page_says_so_and_the_sweep_deletes_the_file(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    packet = released(case, dpo, handler, django_capture_on_commit_callbacks)
    assert private_files.exists(packet.stored_name, "packets")
    later = datetime.now(UTC) + timedelta(days=31)
    with time_machine.travel(later, tick=False):
        client = status_client(case.requester_email)
        response = client.get(f"/status/cases/{case.reference}/download/")
        assert response.status_code == 410 and "This download has expired" in response.content.decode()
        assert client.post(f"/status/cases/{case.reference}/download/", {"download": "1"}).status_code == 410
        assert sweeps.packet_purge() == 1
        assert sweeps.packet_purge() == 0
    assert not private_files.exists(packet.stored_name, "packets")
    packet.refresh_from_db()
    assert packet.status == PacketStatus.EXPIRED and packet.purged_at is not None
    assert "has been deleted" in client.get(f"/status/cases/{case.reference}/").content.decode()
    assert case.events.filter(verb="packet_purged").count() == 1


def californian_case(dpo: Any, handler: Any, **fields: Any) -> PrivacyRequest:
    case = services.confirm_email(
        make_case(kind="access", country="US", subdivision="CA", specific_pieces=True,
                  data_points={"phone": "1", "postal_address": "2", "date_of_birth": "1990-01-01"}, **fields)
    )  # fmt: skip
    services.verify(case, by=dpo, data_points=["phone", "postal_address", "date_of_birth"])
    services.assign(case, to=handler, by=dpo)
    shop = CompanySystem.objects.create(name="Shop")
    services.record_system_check(case, by=handler, system=shop, state="exported")
    orders = "order,ssn,Card Number,total\n1002,123-45-6789,4111111111111111,25.50\n"
    add_extract(case, upload("orders.csv", orders.encode()), system=shop, by=handler)
    return case


def test_a_californians_packet_never_holds_what_ccpa_forbids_disclosing(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = californian_case(dpo, handler, declaration_name="Ada Lovelace")
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    assert "extracts/shop/orders.csv" not in files  # the raw file would carry them
    assert files["csv/shop-orders.csv"].decode().splitlines() == ["order,total", "1002,25.50"]
    everything = b"".join(files.values())
    assert b"123-45-6789" not in everything and b"4111111111111111" not in everything
    shop = json.loads(files["data.json"])["systems"][0]
    assert shop["columns_withheld_by_law"] == ["ssn", "Card Number"]
    assert "Left out by law: ssn, Card Number" in text_of(files["report.pdf"])


def test_without_the_signed_declaration_a_californian_gets_the_categories_only(
    dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = californian_case(
        dpo, handler
    )  # three details matched, but no declaration under penalty of perjury
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    assert set(files) == {"cover-letter.pdf", "manifest.json"}
    assert "answered your request as a request for the categories" in text_of(files["cover-letter.pdf"])


def test_an_access_request_is_completed_only_once_its_packet_is_released(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="release the packet first"):
        services.complete(case, by=handler, outcome="fulfilled")
    released(case, dpo, handler, django_capture_on_commit_callbacks)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.complete(case, by=handler, outcome="fulfilled")
    (email,) = mail.outbox
    (_name, pdf, kind) = email.attachments[0]
    assert kind == "application/pdf" and "Access to your personal data" in text_of(pdf)


def test_a_packet_built_again_after_its_download_expired_is_a_new_one_that_expires_too(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    released(case, dpo, handler, django_capture_on_commit_callbacks)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=31), tick=False):
        assert sweeps.packet_purge() == 1
        again = build(case, handler, django_capture_on_commit_callbacks)
        assert (again.status, again.purged_at, again.released_at, again.downloads) == (
            PacketStatus.READY,
            None,
            None,
            0,
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.release_packet(case, by=dpo, build=again.build)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=62), tick=False):
        assert sweeps.packet_purge() == 1  # the rebuilt file goes too
    again.refresh_from_db()
    assert not private_files.exists(again.stored_name, "packets")


def test_release_names_the_build_that_was_checked(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    first = build(case, handler, django_capture_on_commit_callbacks)
    build(case, handler, django_capture_on_commit_callbacks)  # built again after the DPO looked at the first
    with pytest.raises(services.TransitionError, match="built again meanwhile"):
        services.release_packet(case, by=dpo, build=first.build)
    assert Packet.objects.get(privacy_request=case).status == PacketStatus.READY


def test_a_csv_row_with_more_values_than_its_header_does_not_break_the_build(
    case: PrivacyRequest, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    shop = CompanySystem.objects.get(name="Shop")
    add_extract(
        case, upload("addresses.csv", b"name,address\nAda,1 Baker St, London\n"), system=shop, by=handler
    )
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    table = next(s for s in json.loads(files["data.json"])["systems"] if s["source_file"] == "addresses.csv")
    assert table["rows"] == [{"name": "Ada", "address": "1 Baker St", "_extra": [" London"]}]


def test_a_cell_a_spreadsheet_would_run_is_defused_in_the_csv_and_exact_in_data_json(
    case: PrivacyRequest, handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Formula injection: a company system's value (or a name someone typed) starting with = + - @ ran in the
    # spreadsheet of whoever opened the packet's CSV.
    hostile = "name,note,=cmd\n=HYPERLINK(A9),+1+1,@SUM(A1)\n-2,plain,\tTAB\n"
    add_extract(
        case,
        upload("hostile.csv", hostile.encode()),
        system=CompanySystem.objects.get(name="Shop"),
        by=handler,
    )
    files = unzip(build(case, handler, django_capture_on_commit_callbacks))
    rows = list(csv.reader(io.StringIO(files["csv/shop-hostile.csv"].decode())))
    assert rows == [
        ["name", "note", "'=cmd"],
        ["'=HYPERLINK(A9)", "'+1+1", "'@SUM(A1)"],
        ["'-2", "plain", "'\tTAB"],
    ]
    data = next(s for s in json.loads(files["data.json"])["systems"] if s["source_file"] == "hostile.csv")
    assert data["rows"][0] == {
        "name": "=HYPERLINK(A9)",
        "note": "+1+1",
        "=cmd": "@SUM(A1)",
    }


def test_columns_keep_their_first_seen_order_however_many_there_are() -> None:
    rows = [{f"c{n}": n for n in range(2000)}, {"late": 1, "c0": 0}]
    item = Evidence(name="wide.json", system=None)
    (table,) = packets.tables_from([(item, json.dumps(rows).encode())], date(2000, 1, 1), date(2100, 1, 1))
    assert table.columns == [f"c{n}" for n in range(2000)] + ["late"] and len(table.rows) == 2


def test_a_packet_moves_only_as_its_table_says(
    case: PrivacyRequest, dpo: Any, handler: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    fail_build(case, handler, django_capture_on_commit_callbacks, monkeypatch)
    with pytest.raises(services.TransitionError):
        services.release_packet(case, by=dpo)  # a failed build is never released
    packet = released(case, dpo, handler, django_capture_on_commit_callbacks)
    # A late copy of the build task for the released build changes nothing: released is final.
    assert packets.build(case.pk, packet.build) is False
    packet.refresh_from_db()
    assert packet.status == PacketStatus.RELEASED and packet.sha256
