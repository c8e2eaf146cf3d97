"""Hostile input (issue 9, item 3): what an attacker types, uploads, guesses or forges gets nowhere.

Every free-text field a requester or staff can fill carries script, markup and template syntax; each place
that text reaches (public pages, the admin, the dashboard, both parts of every email, the PDF letters and
the packet report) must show it as text. SQL-looking searches, other people's ids, guessed codes, missing
CSRF tokens, disguised files and a forged audit row must each fail safely; arbitrary input to the public
forms and the public API must never be a 500.

Everything goes through the doors a user has: the public pages, the staff admin (password + TOTP), the API
with a token. Emails are sent on commit, so writes run in `django_capture_on_commit_callbacks(execute=True)`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from django.utils.text import Truncator
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image
from pypdf import PdfReader

from identity import tokens
from identity.models import EmailChallenge, Evidence
from identity.services import MAX_ATTEMPTS, issue_verification
from privacyportal import pdf
from requests import audit, services
from requests.lifecycle import Status
from requests.models import (
    RIGHTS,
    CompanySystem,
    Kind,
    Letter,
    Message,
    Packet,
    PacketStatus,
    PrivacyRequest,
    ProcessingActivity,
    RequestEvent,
    SystemCheck,
)
from requests.roles import ensure_roles
from tests.factories import in_role, make_case, pdf_bytes, signed_in
from tests.intake import send

pytestmark = pytest.mark.django_db

# --- The payloads and how to tell they stayed inert ------------------------------------------------------

PAYLOADS = (
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '<img src="file:///etc/passwd">',
    "javascript:alert(1)",
    "{{7*7}}",
    "{% debug %}",
)
# What would be live markup if a payload reached HTML unescaped.
LIVE = ("<script>alert(1)</script>", "<img src=x onerror", '<img src="file:', 'href="javascript:')


def hostile(tag: str) -> str:
    """A payload naming the field it was typed into, so each can be traced to where it shows."""
    return f"{tag}: " + " ".join(PAYLOADS)


def short_hostile(tag: str) -> str:
    """For fields of at most 100 characters (a company system's name)."""
    return f"{tag} <img src=x onerror=alert(1)>{{{{7*7}}}}"


def assert_escaped(html: str, text: str) -> None:
    """`text` shows in the page as text: escaped once, never as live markup, never rendered as a template."""
    assert escape(text) in html, f"{text!r} is not shown (escaped) in the page"
    assert_no_live_markup(html)


def assert_no_live_markup(html: str) -> None:
    for live in LIVE:
        assert live not in html, f"live markup {live!r} in the page"


def html_part(message: EmailMessage) -> str:
    alternatives = getattr(message, "alternatives", [])
    assert alternatives and alternatives[0][1] == "text/html", "every email has an HTML part"
    return str(alternatives[0][0])


def as_quoted_to_subject(name: str) -> str:
    """How the agent-confirmation email quotes the agent's name: at most 60 characters."""
    return Truncator(name).chars(60)


def assert_email_text(message: EmailMessage, text: str) -> None:
    """The plain-text part carries `text` literally (plain text has nothing to escape)."""
    assert text in str(message.body), f"{text!r} missing from the text part of {message.subject!r}"


def assert_email_html_inert(message: EmailMessage, text: str) -> None:
    """The HTML part shows `text` escaped and nothing live."""
    html = html_part(message)
    assert escape(text) in html, f"{text!r} not shown escaped in the HTML part of {message.subject!r}"
    assert_no_live_markup(html)


def pdf_text(data: bytes) -> str:
    """The PDF's text with line wraps and page breaks folded to single spaces."""
    pages = PdfReader(io.BytesIO(data)).pages
    return " ".join(" ".join(page.extract_text().split()) for page in pages)


def pdf_images(data: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    return "".join(text.split())


def assert_pdf_literal(data: bytes, text: str) -> None:
    """`text` is in the PDF as text (compared without whitespace: table cells wrap long words anywhere)."""
    assert squeeze(text) in squeeze(pdf_text(data)), f"{text!r} is not in the PDF as text"
    assert pdf_images(data) == 0, "the PDF holds an image: markup was rendered"


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every URL WeasyPrint asks the letters' fetcher for while the test runs."""
    urls: list[str] = []
    real = pdf._fetch_static

    def recording(url: str) -> tuple[bytes, str]:
        urls.append(url)
        return real(url)

    monkeypatch.setattr(pdf, "_fetch_static", recording)
    return urls


def assert_only_static_fetched(urls: list[str]) -> None:
    assert any(url.endswith("/static/css/letter.css") for url in urls), "no PDF was rendered"
    strays = [url for url in urls if not url.startswith(f"{pdf.BASE_URL}static/")]
    assert strays == [], f"a letter tried to fetch {strays}"


# --- Shared set-up ----------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _roles_and_private_root(settings: Any, tmp_path: Any) -> None:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups
    settings.PRIVATE_ROOT = tmp_path / "private"


Act = Callable[..., Any]


@pytest.fixture
def act(django_capture_on_commit_callbacks: Any) -> Act:
    """POST one action form of the admin case page, as the page would, and deliver its emails."""

    def post(client: Client, case: PrivacyRequest, action: str, **fields: Any) -> Any:
        # A final action acts on the second POST, the confirmation page's "Confirm and send" (which posts this).
        data = {
            "action": action,
            "confirmed": "1",
            **{f"{action}-{name}": value for name, value in fields.items()},
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(case_url(case), data)

    return post


def case_url(case: PrivacyRequest) -> str:
    return f"/admin/requests/privacyrequest/{case.pk}/change/"


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


def emails_to(address: str) -> list[EmailMessage]:
    return [m for m in mail.outbox if address in m.to]


def letters_in(messages: list[EmailMessage]) -> list[bytes]:
    return [
        content
        for message in messages
        for _name, content, mimetype in message.attachments
        if mimetype == "application/pdf"
    ]


def code_in(message: EmailMessage) -> str:
    found = re.search(r"^\s+(\d{6})$", str(message.body), re.MULTILINE)
    assert found, message.body
    return found.group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def status_client(email: str) -> Client:
    """A requester signed in to the status page (without spending rate-limit allowance on the sign-in)."""
    client = Client()
    session = client.session
    session["status_email"] = email.lower()
    session.save()
    return client


def signed_in_by_code(email: str) -> Client:
    """A requester signed in to the status page the real way: the emailed code."""
    client = Client()
    mail.outbox.clear()
    client.post("/status/", {"email": email})
    client.post("/status/code/", {"code": code_in(mail.outbox[-1])})
    assert client.get("/status/cases/").status_code == 200
    return client


def open_rectification(**fields: Any) -> PrivacyRequest:
    """A UK rectification whose email was confirmed: open, nothing else needed."""
    return services.confirm_email(make_case(kind="rectification", **fields))


def in_progress(assignee: Any, **fields: Any) -> PrivacyRequest:
    return services.assign(open_rectification(**fields), to=assignee, by=assignee)


def api_client(user: Any, role: str) -> Client:
    in_role(user, role)
    _token, plaintext = tokens.create_token(user, name="hostile", days=30)
    return Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 200)).save(out, format=fmt)
    return out.getvalue()


PDF = pdf_bytes()


# --- 1. Script, markup and template syntax stay text --------------------------------------------------------


def test_what_an_agent_types_on_the_public_form_is_text_on_every_page_email_and_letter(
    client: Client, dpo: Any, act: Act, fetched: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    typed = {
        name: hostile(name)
        for name in (
            "requester_name",
            "subject_name",
            "details",
            "rectification_current",
            "rectification_wanted",
            "customer_name",
        )
    }
    form = {
        **typed,
        "requester_email": "agent@example.org",
        "relationship": "agent",
        "subject_email": "subject@example.org",
        "country": "GB",
        "subdivision": "",
        "language": "en",
        "about_customer_data": "on",
        "permission": SimpleUploadedFile('"><img src=x onerror=alert(1)>.pdf', PDF),
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, "rectification", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    case = PrivacyRequest.objects.get()
    assert {name: getattr(case, name) for name in typed} == typed  # stored as typed, not "cleaned"

    # The public pages.
    assert_escaped(client.get("/requests/submitted/").content.decode(), typed["customer_name"])
    (verification,) = emails_to("agent@example.org")
    assert_email_text(verification, typed["requester_name"])
    assert_email_html_inert(verification, typed["requester_name"])  # its own HTML template escapes
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/verify/", {"code": code_in(verification)}).status_code == 302
    (to_subject,) = emails_to("subject@example.org")
    # To the person an agent names: only the agent's name, cut short and marked as theirs (issue 15, phishing).
    assert typed["subject_name"] not in str(to_subject.body)
    assert_email_text(to_subject, as_quoted_to_subject(typed["requester_name"]))
    token = re.search(r"/confirm-agent/([^/\s]+)/", str(to_subject.body))
    assert token
    assert_escaped(
        Client().get(f"/confirm-agent/{token.group(1)}/").content.decode(), typed["requester_name"]
    )

    # The staff side: the case page, the queue, the dashboard.
    staff = signed_in(dpo, "DPO")
    page = staff.get(case_url(case)).content.decode()
    for text in typed.values():
        assert_escaped(page, text)
    queue = staff.get("/admin/requests/privacyrequest/").content.decode()
    assert case.reference in queue
    assert_no_live_markup(queue)
    assert_no_live_markup(staff.get("/admin/dashboard/").content.decode())

    # The answer: email and confirmation letter quote the correction.
    mail.outbox.clear()
    assert act(staff, case, "assign", assignee=dpo.pk).status_code == 302
    assert act(staff, case, "complete", outcome="fulfilled", note="Corrected.").status_code == 302
    (answer,) = emails_to("agent@example.org")
    assert_email_text(answer, typed["requester_name"])
    (letter,) = letters_in([answer])
    for name in ("requester_name", "rectification_current", "rectification_wanted"):
        assert_pdf_literal(letter, typed[name])
    assert_only_static_fetched(fetched)


def test_objection_grounds_are_text_for_staff_and_in_the_letter(
    client: Client, dpo: Any, act: Act, fetched: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    grounds = hostile("grounds")
    form = {
        "requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
        "country": "GB", "subdivision": "", "language": "en", "grounds": grounds,
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, "objection", form).status_code == 302
    client.post("/verify/", {"code": code_in(mail.outbox[-1])})
    case = PrivacyRequest.objects.get()
    assert case.objection_grounds == grounds and case.status == Status.OPEN
    staff = signed_in(dpo, "DPO")
    assert_escaped(staff.get(case_url(case)).content.decode(), grounds)
    mail.outbox.clear()
    act(staff, case, "assign", assignee=dpo.pk)
    assert act(staff, case, "complete", outcome="fulfilled", note="").status_code == 302
    (letter,) = letters_in(emails_to("ada@example.org"))
    assert_pdf_literal(letter, grounds)
    assert_only_static_fetched(fetched)


def test_a_form_sent_back_with_an_error_shows_what_was_typed_escaped(client: Client) -> None:
    typed = {name: hostile(name) for name in ("requester_name", "details", "grounds", "customer_name")}
    form = {
        **typed, "requester_email": "not an address", "relationship": "self", "country": "GB",
        "language": "en", "about_customer_data": "on",
    }  # fmt: skip
    response = send(client, "restriction", form)
    assert response.status_code == 400
    # The page in error, and the page answered before it (the reasons), each show what was typed.
    page = response.content.decode() + client.get("/requests/new/restriction/request/").content.decode()
    for text in typed.values():
        assert_escaped(page, text)
    assert not PrivacyRequest.objects.exists()


# Staff text: (action, its fields with TEXT where the payload goes, the role, the case it needs, and where
# the text must show: admin case page, status page, the requester's email, a PDF letter).
TEXT = "\x00TEXT\x00"
STAFF_TEXT = [
    ("pause", {"reason": TEXT}, "open", {"admin", "status"}),
    ("message", {"body": TEXT}, "open", {"admin", "status"}),
    ("extend", {"reason": TEXT}, "open", {"admin", "email", "letter"}),
    # The status page of a closed case shows its outcome: the explanation, the note, the controller named.
    ("deny", {"reason": "manifestly_unfounded", "explanation": TEXT}, "open", {"admin", "status", "email", "letter"}),
    ("complete", {"outcome": "partially_fulfilled", "note": TEXT}, "in_progress",
     {"admin", "status", "email", "letter"}),
    ("fee", {"amount": "12.50", "currency": "GBP", "reason": "excessive", "breakdown": f"{TEXT}: 12.50"},
     "open", {"status", "email", "letter"}),
    ("forward", {"controller": TEXT}, "open", {"admin", "status", "email", "letter"}),
    ("withdraw", {"note": TEXT}, "open", {"admin"}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("action", "fields", "state", "shown"), STAFF_TEXT, ids=[row[0] for row in STAFF_TEXT]
)
def test_what_staff_type_is_text_on_the_case_page_status_page_emails_and_letters(
    dpo: Any,
    act: Act,
    fetched: list[str],
    action: str,
    fields: dict[str, str],
    state: str,
    shown: set[str],
) -> None:
    text = hostile(action)
    name = hostile("requester_name")
    case = open_rectification(requester_name=name)
    if state == "in_progress":
        case = services.assign(case, to=dpo, by=dpo)
    staff = signed_in(dpo, "DPO")
    mail.outbox.clear()
    response = act(staff, case, action, **{k: v.replace(TEXT, text) for k, v in fields.items()})
    assert response.status_code == 302, response.content.decode()[:3000]
    emails = emails_to(case.requester_email)
    assert emails, "the requester is told"

    page = staff.get(case_url(case)).content.decode()
    (assert_escaped if "admin" in shown else assert_text_absent)(page, text)
    status_page = status_client(case.requester_email).get(f"/status/cases/{case.reference}/")
    assert status_page.status_code == 200
    (assert_escaped if "status" in shown else assert_text_absent)(status_page.content.decode(), text)
    for message in emails:
        assert_email_text(message, name)
        if "email" in shown:
            assert_email_text(message, text)
        else:  # messages stay on the status page: their text is never emailed
            assert text not in str(message.body) and text not in html_part(message)
            assert escape(text) not in html_part(message)
    letters = letters_in(emails)
    assert len(letters) == (1 if "letter" in shown else 0)
    for letter in letters:
        assert_pdf_literal(letter, text)
        assert_pdf_literal(letter, name)
    if letters:
        assert_only_static_fetched(fetched)
    assert_no_live_markup(staff.get("/admin/dashboard/").content.decode())


def test_the_html_part_of_the_email_to_the_person_an_agent_names_shows_the_agents_text_escaped(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """An agent chooses both the text and the inbox: live markup here is HTML injection into an email the
    operator sends to a third party (a phishing link, a tracking image), not only a display bug."""
    agent = hostile("requester_name")
    form = {
        "requester_name": agent, "requester_email": "agent@example.org", "relationship": "agent",
        "subject_name": "Charles Babbage", "subject_email": "subject@example.org", "country": "GB",
        "language": "en", "rectification_current": "1 Old Road", "rectification_wanted": "2 New Street",
        "permission": SimpleUploadedFile("permission.pdf", PDF),
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, "rectification", form).status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/verify/", {"code": code_in(mail.outbox[-1])})
    (to_subject,) = emails_to("subject@example.org")
    assert_email_html_inert(to_subject, as_quoted_to_subject(agent))


# Every email the requester (or the person an agent names) can receive, with what staff typed in the case.
REQUESTER_TEMPLATES = sorted(
    {"packet-ready", "request-honoured", "request-expired", "request-acknowledged", "fee-lapsed",
     "request-received", "new-message", "request-extended", "fee-quoted", "fee-declined", "request-completed",
     "request-denied", "request-forwarded", "request-withdrawn", "sign-in", "download-code", "subject-confirm",
     "verify-email"}
)  # fmt: skip


@pytest.mark.parametrize(
    "template",
    REQUESTER_TEMPLATES,
)
def test_the_html_part_of_every_requester_email_shows_typed_text_escaped(template: str) -> None:
    from privacyportal.emails import make_message

    case = open_rectification(requester_name=hostile("requester_name"), subject_name=hostile("subject_name"))
    PrivacyRequest.objects.filter(pk=case.pk).update(
        extension_reason=hostile("extension_reason"),
        outcome_note=hostile("outcome_note"),
        forwarded_to=hostile("controller"),
        fee_breakdown=[{"item": hostile("fee item"), "amount": "12.50"}],
    )
    case = fresh(case)
    message = make_message(
        template,
        {"privacy_request": case, "base_url": "https://portal.example", "supervisory_authority": "the ICO",
         "code": "123456", "link": "https://portal.example/verify/abc/", "minutes": 30, "days": 7},
        to=[case.requester_email],
    )  # fmt: skip
    html = html_part(message)
    names = (case.requester_name, case.subject_name, as_quoted_to_subject(case.requester_name))
    typed = [text for text in names if text in str(message.body)]
    typed += [
        text
        for text in (case.extension_reason, case.outcome_note, case.forwarded_to, hostile("fee item"))
        if text in str(message.body)
    ]
    assert typed, "the email carries something the requester or staff typed"
    for text in typed:
        assert escape(text) in html, f"{text[:20]!r}… is not escaped in the HTML part"
    assert_no_live_markup(html)


def assert_text_absent(html: str, text: str) -> None:
    assert escape(text) not in html
    assert_no_live_markup(html)


def test_a_requesters_reply_is_text_for_staff_and_on_their_status_page(dpo: Any) -> None:
    case = open_rectification()
    body = hostile("reply")
    requester = status_client(case.requester_email)
    response = requester.post(f"/status/cases/{case.reference}/", {"body": body})
    assert response.status_code == 302
    assert Message.objects.get(privacy_request=case).body == body
    assert_escaped(requester.get(f"/status/cases/{case.reference}/").content.decode(), body)
    assert_escaped(signed_in(dpo, "DPO").get(case_url(case)).content.decode(), body)


def test_register_entries_system_names_check_notes_and_extracts_are_text_in_admin_and_the_packet(
    dpo: Any, handler: Any, act: Act, fetched: list[str], django_capture_on_commit_callbacks: Any
) -> None:
    staff = signed_in(dpo, "DPO")
    entry = {
        "name": hostile("register name"),
        "purposes": hostile("purposes"),
        "data_categories": hostile("categories"),
        "legal_basis": "contract",
        "sources": hostile("sources"),
        "recipients": hostile("recipient") + "\nPlain Couriers Ltd",
        "retention": hostile("retention"),
        "transfers": hostile("transfers"),
        "automated_decisions": hostile("automated"),
    }
    # Typed as the English texts (the page has a field per language: requests/translation.py).
    english = {key if key == "legal_basis" else f"{key}_en": value for key, value in entry.items()}
    response = staff.post("/admin/requests/processingactivity/add/", english)
    assert response.status_code == 302, response.content.decode()[:3000]
    activity = ProcessingActivity.objects.get()
    system_name = short_hostile("system")
    response = staff.post(
        "/admin/requests/companysystem/add/",
        {"name": system_name, "description_en": hostile("description"), "owner": dpo.pk,
         "activities": [activity.pk], "active": "on"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    system = CompanySystem.objects.get()
    assert (activity.name, system.name) == (entry["name"], system_name)
    assert_escaped(staff.get("/admin/requests/processingactivity/").content.decode(), entry["name"])
    assert_escaped(staff.get("/admin/requests/companysystem/").content.decode(), system_name)
    assert_escaped(staff.get(f"/admin/requests/processingactivity/{activity.pk}/change/").content.decode(),
                   entry["purposes"])  # fmt: skip

    # An access case: a handler records what the system holds, with a note and a CSV extract.
    case = services.confirm_email(
        make_case(kind="access", requester_name=hostile("requester_name"),
                  data_points={"phone": "+44 1", "postal_address": "1 Road"})
    )  # fmt: skip
    services.assign(case, to=handler, by=dpo)
    column, cell = hostile("column"), hostile("cell")
    out = io.StringIO()
    import csv

    csv.writer(out).writerows([["order", column], ["1001", cell]])
    notes = hostile("notes")
    worker = signed_in(handler, "Handler")
    response = act(
        worker, case, "check", system=system.pk, state="exported", notes=notes,
        extract=SimpleUploadedFile("export.csv", out.getvalue().encode(), content_type="text/csv"),
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    page = worker.get(case_url(case)).content.decode()
    assert_escaped(page, notes)
    assert_escaped(page, system_name)

    assert act(worker, case, "packet").status_code == 302
    packet = Packet.objects.get(privacy_request=case)
    assert packet.status == PacketStatus.READY, packet.error
    download = staff.get(f"/admin/packets/{case.pk}/")
    assert download.status_code == 200
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    cover, report = files["cover-letter.pdf"], files["report.pdf"]
    for text in (case.requester_name, system_name, entry["name"], entry["purposes"], entry["sources"],
                 entry["data_categories"], entry["retention"], entry["transfers"],
                 entry["automated_decisions"], hostile("recipient")):  # fmt: skip
        assert_pdf_literal(cover, text)
    for text in (case.requester_name, system_name, column, cell):
        assert_pdf_literal(report, text)
    data = json.loads(files["data.json"])
    assert data["systems"][0]["rows"] == [{"order": "1001", column: cell}]
    assert_only_static_fetched(fetched)


def test_what_staff_type_when_logging_a_letter_is_text_on_the_case_page_and_in_the_acknowledgement(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    typed = {name: hostile(name) for name in ("requester_name", "subject_name", "details", "customer_name")}
    form = {
        **typed, "channel": "post", "received_on": timezone.localdate().isoformat(), "kind": "erasure",
        "requester_email": "ada@example.org", "relationship": "agent", "country": "GB", "subdivision": "",
        "language": "en",
    }  # fmt: skip
    client = signed_in(handler, "Handler")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/requests/privacyrequest/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    case = PrivacyRequest.objects.get()
    page = client.get(case_url(case)).content.decode()
    for text in typed.values():
        assert_escaped(page, text)
    (acknowledgement,) = emails_to("ada@example.org")
    assert_email_text(acknowledgement, typed["requester_name"])


def test_an_api_token_name_is_text_on_the_token_page(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    name = short_hostile("token")
    assert client.post("/admin/tokens/", {"name": name, "days": "90", "create": "1"}).status_code == 200
    assert_escaped(client.get("/admin/tokens/").content.decode(), name)


@pytest.mark.parametrize(
    "url",
    [
        "/?next=%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        '/status/?q="><script>alert(1)</script>',
        "/requests/new/access/?requester_name=%3Cscript%3Ealert(1)%3C/script%3E",
        "/verify/%3Cscript%3Ealert(1)%3C%2Fscript%3E/",
        "/confirm-agent/%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/",
    ],
)
def test_public_pages_never_reflect_the_address_as_markup(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (200, 400, 404)
    assert_no_live_markup(response.content.decode())


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"])
def test_language_switch_and_staff_sign_in_never_redirect_off_site(dpo: Any, target: str) -> None:
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import PASSWORD

    switched = Client().post("/i18n/setlang/", {"language": "ru", "next": target})
    assert switched.status_code == 302 and switched["Location"] == "/"
    in_role(dpo, "DPO")
    device = TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    response = Client().post(
        f"/admin/login/?next={target}",
        {"username": dpo.username, "password": PASSWORD, "otp_device": device.persistent_id,
         "otp_token": f"{totp(device.bin_key):06d}", "next": target},
    )  # fmt: skip
    # Signed in, and sent somewhere on this site (Django's LOGIN_REDIRECT_URL when `next` is unsafe).
    assert response.status_code == 302 and "_auth_user_id" in response.wsgi_request.session
    location = response["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location
    assert location == "/admin/"  # the queue, not Django's /accounts/profile/


@pytest.mark.parametrize("url", ["file:///etc/passwd", "http://example.com/x.png"])
def test_the_letters_fetcher_refuses_local_files_and_the_network(url: str) -> None:
    with pytest.raises(ValueError, match="refused"):
        pdf._fetch_static(url)


def queue_search(client: Any, term: str) -> Any:
    """The queue's search box: the term POSTed, then the queue page its token names."""
    return client.post("/admin/requests/privacyrequest/search/", {"term": term, "filters": ""}, follow=True)


@pytest.mark.parametrize("payload", [*PAYLOADS, "' OR 1=1 --"])
def test_the_queue_search_and_the_dashboard_show_what_was_asked_as_text(dpo: Any, payload: str) -> None:
    staff = signed_in(dpo, "DPO")
    response = queue_search(staff, payload)
    assert response.status_code == 200
    assert_escaped(response.content.decode(), payload)
    dashboard = staff.get("/admin/dashboard/", {"year": payload, "scope": payload})
    assert dashboard.status_code == 200
    assert_no_live_markup(dashboard.content.decode())


# --- 2. SQL-looking searches and filters ---------------------------------------------------------------------

SQL = [
    "' OR 1=1 --",
    '" OR ""="',
    "1; DROP TABLE requests_privacyrequest; --",
    "%' OR '%'='",
    "PR-' OR 1=1 --",
    "ada@example.org' OR 'a'='a",
    "' UNION SELECT username, password FROM auth_user --",
]


@pytest.fixture
def two_queues(handler: Any, other_handler: Any) -> tuple[PrivacyRequest, PrivacyRequest]:
    """A handler's own case, and another handler's case the first may not see."""
    mine = in_progress(handler, requester_email="ada@example.org")
    theirs = in_progress(other_handler, requester_email="bob@example.net")
    return mine, theirs


@pytest.mark.parametrize("sql", SQL)
def test_sql_in_the_queue_search_and_filters_finds_nothing_extra(
    handler: Any, two_queues: tuple[PrivacyRequest, PrivacyRequest], sql: str
) -> None:
    mine, theirs = two_queues
    client = signed_in(handler, "Handler")
    queue = "/admin/requests/privacyrequest/"
    found = queue_search(client, mine.requester_email).content.decode()
    assert mine.reference in found and theirs.reference not in found  # the search works, within reach

    response = queue_search(client, sql)
    assert response.status_code == 200
    page = response.content.decode()
    assert mine.reference not in page and theirs.reference not in page
    for parameter in ("status__exact", "kind__exact", "governing_regime__exact", "due", "who", "queue",
                      "repetitive__exact", "processor_request__exact", "effective_due_at__gte"):  # fmt: skip
        response = client.get(queue, {parameter: sql})
        assert response.status_code in (200, 302), (parameter, response.status_code)
        if response.status_code == 302:  # Django's "bad filter" answer: the queue again, with ?e=1
            assert response["Location"].endswith("?e=1"), response["Location"]
        else:
            assert theirs.reference not in response.content.decode(), parameter
    assert PrivacyRequest.objects.count() == 2  # nothing dropped, nothing changed


@pytest.mark.parametrize("sql", SQL)
def test_sql_in_the_api_list_filters_is_a_400_or_finds_nothing_extra(
    handler: Any, two_queues: tuple[PrivacyRequest, PrivacyRequest], sql: str
) -> None:
    mine, theirs = two_queues
    client = api_client(handler, "Handler")

    def search(term: str) -> Any:
        return client.post("/api/v1/search/cases/", json.dumps({"q": term}), content_type="application/json")

    assert [c["reference"] for c in search(mine.requester_email).json()["results"]] == [mine.reference]
    assert search(theirs.requester_email).json()["results"] == []
    response = search(sql)
    assert response.status_code == 200 and response.json()["results"] == []
    for parameter in ("status", "kind", "regime", "overdue", "due_before", "assignee", "repetitive",
                      "processor_request", "page_size", "cursor", "queue"):  # fmt: skip
        response = client.get("/api/v1/cases/", {parameter: sql})
        assert response.status_code in (200, 400, 404), (parameter, response.status_code)
        if response.status_code == 200:  # DRF reads some junk cursors as "the first page"
            assert {c["reference"] for c in response.json()["results"]} <= {mine.reference}, parameter
        else:
            assert "detail" in response.json(), parameter
    assert PrivacyRequest.objects.count() == 2


# --- 3. Other people's cases, files, letters and packets: 404, never 403, never the data -----------------------


@pytest.fixture
def their_case(dpo: Any, other_handler: Any, django_capture_on_commit_callbacks: Any) -> dict[str, Any]:
    """Another handler's case, with everything a case can hold: a message, an extract, a letter, a packet."""
    from identity.services import add_extract
    from privacyportal import files
    from privacyportal.uploads import check_extract

    case = in_progress(other_handler, requester_email="bob@example.net")
    system = CompanySystem.objects.create(name="CRM")
    item = add_extract(
        case,
        check_extract(SimpleUploadedFile("orders.csv", b"order\n1001\n")),
        system=system,
        by=other_handler,
    )
    message = services.send_message(case, by=other_handler, body="Which account?")
    with django_capture_on_commit_callbacks(execute=True):
        services.extend(case, by=dpo, reason="Five systems to search.")
    letter = Letter.objects.get(privacy_request=case)
    stored_name, digest = files.store_bytes(b"PK\x05\x06" + b"\x00" * 18, "packets")
    now = timezone.now()
    Packet.objects.create(
        privacy_request=case, status=PacketStatus.RELEASED, stored_name=stored_name, sha256=digest, size=22,
        released_at=now, expires_at=now + timedelta(days=30),
    )  # fmt: skip
    return {"case": case, "evidence": item, "message": message, "letter": letter}


def file_urls(their: dict[str, Any]) -> list[str]:
    return [
        f"/admin/evidence/{their['evidence'].pk}/",
        f"/admin/letters/{their['letter'].pk}/",
        f"/admin/packets/{their['case'].pk}/",
    ]


def test_a_handler_gets_404_for_another_handlers_evidence_letter_and_packet(
    dpo: Any, handler: Any, their_case: dict[str, Any]
) -> None:
    case = their_case["case"]
    before = case.events.count()
    client = signed_in(handler, "Handler")
    for url in file_urls(their_case):
        assert client.get(url).status_code == 404, url
    for url in ("/admin/evidence/999999/", "/admin/letters/999999/", "/admin/packets/999999/"):
        assert client.get(url).status_code == 404, url
    assert case.events.count() == before  # nothing was opened, so nothing was recorded
    dpo_client = signed_in(dpo, "DPO")  # the same addresses do open for someone allowed
    assert [dpo_client.get(url).status_code for url in file_urls(their_case)] == [200, 200, 200]


def test_a_handler_gets_the_same_answer_for_another_handlers_case_as_for_no_case(
    handler: Any, their_case: dict[str, Any]
) -> None:
    case, message = their_case["case"], their_case["message"]
    client = signed_in(handler, "Handler")
    missing = PrivacyRequest.objects.order_by("-pk").first().pk + 1000  # type: ignore[union-attr]
    for path in ("change", "history", "delete"):
        theirs = client.get(f"/admin/requests/privacyrequest/{case.pk}/{path}/")
        nothing = client.get(f"/admin/requests/privacyrequest/{missing}/{path}/")
        assert (theirs.status_code, theirs.get("Location")) == (nothing.status_code, nothing.get("Location"))
        assert (
            case.reference not in theirs.content.decode()
            and case.requester_email not in theirs.content.decode()
        )
    posted = client.post(f"/admin/requests/privacyrequest/{case.pk}/change/",
                         {"action": "complete", "complete-outcome": "fulfilled"})  # fmt: skip
    assert posted.status_code != 403 and fresh(case).status == Status.IN_PROGRESS
    assert client.get(f"/admin/requests/message/{message.pk}/change/").status_code == 404


def test_a_handler_cannot_read_the_audit_trail_of_another_handlers_case(
    handler: Any, their_case: dict[str, Any]
) -> None:
    case = their_case["case"]
    client = signed_in(handler, "Handler")
    listing = client.get("/admin/requests/requestevent/", {"privacy_request__id__exact": case.pk})
    assert case.reference not in listing.content.decode()
    event = case.events.order_by("seq").last()
    theirs = client.get(f"/admin/requests/requestevent/{event.pk}/change/")
    nothing = client.get("/admin/requests/requestevent/999999/change/")
    assert (theirs.status_code, theirs.get("Location")) == (nothing.status_code, nothing.get("Location"))


def test_the_api_answers_404_for_another_handlers_case(
    dpo: Any, handler: Any, their_case: dict[str, Any]
) -> None:
    case = their_case["case"]
    client = api_client(handler, "Handler")
    base = f"/api/v1/cases/{case.reference}/"
    for url in (base, f"{base}messages/", f"{base}packet/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}complete/", f"{base}messages/", f"{base}assign/"):
        response = client.post(url, json.dumps({"body": "hi", "outcome": "fulfilled", "assignee": handler.pk}),
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 404, url
    assert fresh(case).status == Status.IN_PROGRESS and fresh(case).assignee != handler
    assert api_client(dpo, "DPO").get(base).status_code == 200


def test_a_requester_gets_404_for_someone_elses_case_letter_and_download(their_case: dict[str, Any]) -> None:
    case, letter = their_case["case"], their_case["letter"]
    mine = make_case(requester_email="eve@example.net")
    eve = status_client("eve@example.net")
    base = f"/status/cases/{case.reference}/"
    for url in (base, f"{base}letters/{letter.pk}/", f"{base}download/", f"{base}download/file/",
                f"/status/cases/{mine.reference}/letters/{letter.pk}/"):  # fmt: skip
        assert eve.get(url).status_code == 404, url
    assert eve.post(base, {"body": "I am Bob, honest"}).status_code == 404
    assert eve.post(base, {"fee_decision": "decline"}).status_code == 404
    assert eve.post(f"{base}download/", {"send": "1"}).status_code == 404
    assert not Message.objects.filter(privacy_request=case, author_kind="requester").exists()
    assert fresh(case).status == Status.IN_PROGRESS
    bob = status_client(case.requester_email)  # the owner reaches the same addresses
    assert bob.get(f"{base}letters/{letter.pk}/").status_code == 200
    assert bob.get(f"{base}download/").status_code == 200


# --- 4. Guessing codes: each locks after the allowed attempts, even for the right code; rate limits ----------

RECTIFICATION_FORM = {
    "requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
    "country": "GB", "subdivision": "", "language": "en",
    "rectification_current": "1 Old Road", "rectification_wanted": "2 New Street",
}  # fmt: skip


def test_the_email_code_locks_after_the_allowed_attempts_even_for_the_right_code(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, "rectification", RECTIFICATION_FORM).status_code == 302
    email = mail.outbox[-1]
    code = code_in(email)
    token = re.search(r"/verify/([^/\s]+)/", str(email.body))
    assert token
    for _ in range(MAX_ATTEMPTS):
        assert client.post("/verify/", {"code": wrong(code)}).status_code == 400
    assert client.post("/verify/", {"code": code}).status_code == 400
    assert Client().post(f"/verify/{token.group(1)}/").status_code == 400  # the same challenge's link too
    assert PrivacyRequest.objects.get().status == Status.NEW


def test_the_api_email_code_locks_after_the_allowed_attempts_even_for_the_right_code(
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        case = make_case(kind="rectification")
    code = code_in(mail.outbox[-1])
    client = Client()

    def attempt(value: str) -> int:
        body = json.dumps({"reference": case.reference, "code": value})
        return client.post("/api/v1/public/verify/", body, content_type="application/json").status_code

    assert [attempt(wrong(code)) for _ in range(MAX_ATTEMPTS)] == [400] * MAX_ATTEMPTS
    assert attempt(code) == 400
    assert fresh(case).status == Status.NEW


def test_the_status_sign_in_code_locks_after_the_allowed_attempts_even_for_the_right_code() -> None:
    make_case()
    client = Client()
    mail.outbox.clear()
    client.post("/status/", {"email": "ada@example.org"})
    code = code_in(mail.outbox[-1])
    for _ in range(MAX_ATTEMPTS):
        assert client.post("/status/code/", {"code": wrong(code)}).status_code == 400
    assert client.post("/status/code/", {"code": code}).status_code == 400
    assert client.get("/status/cases/")["Location"] == "/status/"


def released_packet(case: PrivacyRequest) -> Packet:
    """A packet a DPO released (the bytes are not the point here)."""
    from privacyportal import files

    stored_name, digest = files.store_bytes(b"PK\x05\x06" + b"\x00" * 18, "packets")
    now = timezone.now()
    return Packet.objects.create(
        privacy_request=case, status=PacketStatus.RELEASED, stored_name=stored_name, sha256=digest, size=22,
        released_at=now, expires_at=now + timedelta(days=30),
    )  # fmt: skip


def test_the_download_code_locks_after_the_allowed_attempts_even_for_the_right_code(dpo: Any) -> None:
    case = in_progress(dpo)
    packet = released_packet(case)
    client = status_client(case.requester_email)
    download = f"/status/cases/{case.reference}/download/"
    mail.outbox.clear()
    client.post(download, {"send": "1"})
    code = code_in(mail.outbox[-1])
    for _ in range(MAX_ATTEMPTS):
        assert client.post(download, {"code": wrong(code)}).status_code == 400
    assert client.post(download, {"code": code}).status_code == 400
    assert client.get(f"{download}file/")["Location"] == download
    assert Packet.objects.get(pk=packet.pk).downloads == 0
    assert not case.events.filter(verb="packet_downloaded").exists()


def _pending(client: Client, case: PrivacyRequest) -> None:
    session = client.session
    session["pending_case"] = case.pk
    session.save()


# Each public POST that counts against a limit: (name, set-up returning the client, URL and body).
def _rl_submit() -> tuple[Client, str, Any]:
    return Client(), "/requests/new/opt_out/", {"requester_email": "not an address"}


def _rl_verify() -> tuple[Client, str, Any]:
    client = Client()
    _pending(client, make_case(kind="rectification"))
    return client, "/verify/", {"code": "000000"}


def _rl_resend() -> tuple[Client, str, Any]:
    client = Client()
    _pending(client, make_case(kind="rectification"))
    return client, "/verify/resend/", {}


def _rl_link() -> tuple[Client, str, Any]:
    return Client(), "/verify/not-a-token/", {}


def _rl_sign_in() -> tuple[Client, str, Any]:
    return Client(), "/status/", {"email": "nobody@example.org"}


def _rl_status_code() -> tuple[Client, str, Any]:
    return Client(), "/status/code/", {"code": "000000"}


def _rl_confirm_agent() -> tuple[Client, str, Any]:
    case = make_case(
        kind="rectification", relationship="agent", subject_name="Bob", subject_email="b@example.org"
    )
    token = issue_verification(case, EmailChallenge.Purpose.SUBJECT_CONFIRM).token
    return Client(), f"/confirm-agent/{token}/", {"answer": "maybe"}


def _rl_download() -> tuple[Client, str, Any]:
    case = make_case(kind="rectification")
    released_packet(case)
    return (
        status_client(case.requester_email),
        f"/status/cases/{case.reference}/download/",
        {"code": "000000"},
    )


def _rl_api_intake() -> tuple[Client, str, Any]:
    return Client(), "/api/v1/public/requests/", json.dumps({"kind": "opt_out"})


def _rl_api_verify() -> tuple[Client, str, Any]:
    return Client(), "/api/v1/public/verify/", json.dumps({"reference": "PR-2026-000001", "code": "000000"})


RATE_LIMITED = {
    "submit": _rl_submit, "verify-code": _rl_verify, "resend": _rl_resend, "verify-link": _rl_link,
    "status-sign-in": _rl_sign_in, "status-code": _rl_status_code, "confirm-agent": _rl_confirm_agent,
    "download-code": _rl_download, "api-intake": _rl_api_intake, "api-verify": _rl_api_verify,
}  # fmt: skip


@pytest.mark.parametrize("name", RATE_LIMITED)
def test_public_posts_answer_429_over_the_rate_limit(settings: Any, name: str) -> None:
    settings.RATELIMIT_SUBMIT = settings.RATELIMIT_VERIFY = settings.RATELIMIT_RESEND = "2/d"
    settings.RATELIMIT_STEPS = "2/d"
    client, url, body = RATE_LIMITED[name]()
    is_json = isinstance(body, str)

    def post() -> Any:
        if is_json:
            return client.post(url, body, content_type="application/json")
        return client.post(url, body)

    assert [post().status_code != 429 for _ in range(2)] == [True, True]
    counts = (PrivacyRequest.objects.count(), RequestEvent.objects.count(), len(mail.outbox))
    refused = post()
    assert refused.status_code == 429
    assert (PrivacyRequest.objects.count(), RequestEvent.objects.count(), len(mail.outbox)) == counts
    if is_json:
        assert "Too many requests" in refused.json()["detail"]
    else:
        assert "Too many attempts" in refused.content.decode()


# --- 5. CSRF on every public POST ---------------------------------------------------------------------------


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def _csrf_form() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    # Answered up to "check your answers" (each page's POST checks the token as well), then sent from there.
    answered = Client()
    send(answered, "rectification", RECTIFICATION_FORM, until="/check/")
    client = csrf_client()
    client.cookies = answered.cookies
    return client, "/requests/new/rectification/check/", {}, PrivacyRequest.objects.exists


def _csrf_sign_in() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    make_case()
    mail.outbox.clear()
    return csrf_client(), "/status/", {"email": "ada@example.org"}, lambda: bool(mail.outbox)


def _csrf_status_code() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = make_case()
    issued = issue_verification(case, EmailChallenge.Purpose.SIGN_IN)
    client = csrf_client()
    session = client.session
    session["status_pending_case"] = case.pk
    session.save()
    return client, "/status/code/", {"code": issued.code}, lambda: "status_email" in client.session


def _csrf_verify() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = make_case(kind="rectification")
    issued = issue_verification(case)
    client = csrf_client()
    _pending(client, case)
    return client, "/verify/", {"code": issued.code}, lambda: fresh(case).status != Status.NEW


def _csrf_resend() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    client = csrf_client()
    _pending(client, make_case(kind="rectification"))
    mail.outbox.clear()
    return client, "/verify/resend/", {}, lambda: bool(mail.outbox)


def _csrf_link() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = make_case(kind="rectification")
    issued = issue_verification(case)
    return csrf_client(), f"/verify/{issued.token}/", {}, lambda: fresh(case).status != Status.NEW


def _csrf_confirm_agent() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = make_case(
        kind="rectification", relationship="agent", subject_name="Bob", subject_email="b@example.org"
    )
    token = issue_verification(case, EmailChallenge.Purpose.SUBJECT_CONFIRM).token
    return (
        csrf_client(),
        f"/confirm-agent/{token}/",
        {"answer": "no"},
        lambda: fresh(case).subject_answer != "",
    )


def _signed_in_csrf(case: PrivacyRequest) -> Client:
    client = csrf_client()
    session = client.session
    session["status_email"] = case.requester_email
    session.save()
    return client


def _csrf_reply() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = open_rectification()
    return (_signed_in_csrf(case), f"/status/cases/{case.reference}/", {"body": "Please delete it all."},
            Message.objects.exists)  # fmt: skip


def _quoted() -> PrivacyRequest:
    from decimal import Decimal

    from tests.factories import StaffFactory

    staff: Any = StaffFactory(username="fee-dpo")
    case = open_rectification()
    services.quote_fee(case, by=staff, amount=Decimal("10.00"), currency="GBP",
                       reason="excessive", breakdown=[("Copying", Decimal("10.00"))])  # fmt: skip
    return case


def _csrf_fee() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = _quoted()
    return (_signed_in_csrf(case), f"/status/cases/{case.reference}/", {"fee_decision": "accept"},
            lambda: fresh(case).status != Status.FEE_PENDING)  # fmt: skip


def _csrf_decline_fee() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = _quoted()
    return (_signed_in_csrf(case), f"/status/cases/{case.reference}/decline-fee/", {},
            lambda: fresh(case).status == Status.DENIED)  # fmt: skip


def _csrf_withdraw() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = open_rectification()
    return (_signed_in_csrf(case), f"/status/cases/{case.reference}/withdraw/", {},
            lambda: fresh(case).status == Status.WITHDRAWN)  # fmt: skip


def _csrf_sign_out() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    client = _signed_in_csrf(make_case())
    return client, "/status/sign-out/", {}, lambda: "status_email" not in client.session


def _csrf_download() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = make_case(kind="rectification")
    released_packet(case)
    mail.outbox.clear()
    return (_signed_in_csrf(case), f"/status/cases/{case.reference}/download/", {"send": "1"},
            lambda: bool(mail.outbox))  # fmt: skip


def _csrf_direct_download() -> tuple[Client, str, dict[str, Any], Callable[[], bool]]:
    case = make_case(kind="rectification")
    released_packet(case)
    client = _signed_in_csrf(case)
    session = client.session
    session["status_signed_in_at"] = timezone.now().timestamp()  # just now: the download needs no second code
    session.save()
    return (client, f"/status/cases/{case.reference}/download/", {"download": "1"},
            lambda: "download_ok" in client.session)  # fmt: skip


CSRF_POSTS = {
    "request-form": _csrf_form, "status-sign-in": _csrf_sign_in, "status-code": _csrf_status_code,
    "verify-code": _csrf_verify, "resend": _csrf_resend, "verify-link": _csrf_link,
    "confirm-agent": _csrf_confirm_agent, "reply": _csrf_reply, "fee-decision": _csrf_fee,
    "decline-fee": _csrf_decline_fee, "withdraw": _csrf_withdraw, "sign-out": _csrf_sign_out,
    "download-code": _csrf_download, "download": _csrf_direct_download,
}  # fmt: skip


# Where a POST's form is, when not at the POST's own address.
TOKEN_PAGES = {"resend": "/verify/", "sign-out": "/status/cases/", "status-sign-in": "/status/"}


@pytest.mark.parametrize("name", CSRF_POSTS)
def test_public_posts_without_the_csrf_token_are_refused_and_change_nothing(name: str) -> None:
    client, url, body, happened = CSRF_POSTS[name]()
    response = client.post(url, body)
    assert response.status_code == 403
    assert not happened()
    # The same POST with the token the page hands out goes through: the 403 was the missing token.
    client.get(TOKEN_PAGES.get(name, url), follow=True)
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    assert client.post(url, {**body, "csrfmiddlewaretoken": token}).status_code != 403
    assert happened()


def test_a_staff_session_on_the_api_needs_the_csrf_token(dpo: Any) -> None:
    case = open_rectification()
    staff = signed_in(dpo, "DPO")
    client = csrf_client()
    client.cookies = staff.cookies
    url = f"/api/v1/cases/{case.reference}/messages/"
    body = json.dumps({"body": "Which address?"})
    assert client.post(url, body, content_type="application/json").status_code == 403
    assert not Message.objects.exists()
    client.get("/admin/")
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(url, body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200 and Message.objects.count() == 1


def test_a_staff_action_without_the_csrf_token_is_refused(dpo: Any) -> None:
    case = open_rectification()
    client = csrf_client()
    client.cookies = signed_in(dpo, "DPO").cookies
    response = client.post(case_url(case), {"action": "extend", "extend-reason": "More systems."})
    assert response.status_code == 403 and not fresh(case).extended


# --- 6. Uploads refused by content, with a message, storing nothing ------------------------------------------

# A real PDF with a page of HTML after it: a browser sniffing the bytes would run the script.
POLYGLOT = pdf_bytes() + b"<html><script>alert(1)</script></html>\n%%EOF\n"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
PUBLIC_TYPE = "Send a PDF, JPEG or PNG file."
EXTRACT_TYPE = "Send a PDF, JPEG, PNG, CSV, JSON or text file."
TOO_LARGE = "The file is larger than 10 MB."
# (id, file name, how to make the bytes, message on the public pages, message on the staff extract upload)
HOSTILE_FILES = [
    ("polyglot-pdf", "scan.pdf", lambda: POLYGLOT, "This PDF could not be accepted.",
     "This PDF could not be accepted."),
    ("svg-named-png", "photo.png", lambda: SVG, PUBLIC_TYPE, EXTRACT_TYPE),
    ("oversized", "big.pdf", lambda: b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n",
     TOO_LARGE, TOO_LARGE),
    ("truncated-png", "scan.png", lambda: image_bytes("PNG")[:80], "This image could not be read.",
     "This image could not be read."),
    ("jpeg-named-pdf", "scan.pdf", lambda: image_bytes("JPEG"), PUBLIC_TYPE, EXTRACT_TYPE),
]  # fmt: skip


def nothing_stored(settings: Any) -> None:
    assert not Evidence.objects.exists()
    folder = settings.PRIVATE_ROOT / "evidence"
    assert not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize(("name", "make", "message"), [(f[1], f[2], f[3]) for f in HOSTILE_FILES],
                         ids=[f[0] for f in HOSTILE_FILES])  # fmt: skip
def test_a_hostile_permission_file_on_the_public_form_is_refused_and_nothing_is_kept(
    client: Client, settings: Any, name: str, make: Callable[[], bytes], message: str
) -> None:
    form = {
        "requester_name": "Agent Smith", "requester_email": "agent@example.org", "relationship": "agent",
        "subject_name": "Charles Babbage", "subject_email": "cb@example.org", "country": "GB", "language": "en",
        "phone": "+44 20 7946 0000", "postal_address": "1 Example Road",
        "permission": SimpleUploadedFile(name, make()),
    }  # fmt: skip
    response = send(client, "erasure", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not PrivacyRequest.objects.exists()
    nothing_stored(settings)


@pytest.mark.parametrize(("name", "make", "message"), [(f[1], f[2], f[3]) for f in HOSTILE_FILES],
                         ids=[f[0] for f in HOSTILE_FILES])  # fmt: skip
def test_a_hostile_reply_attachment_is_refused_and_nothing_is_kept(
    settings: Any, name: str, make: Callable[[], bytes], message: str
) -> None:
    case = open_rectification()
    client = status_client(case.requester_email)
    response = client.post(
        f"/status/cases/{case.reference}/",
        {"body": "Here is my ID.", "attachment": SimpleUploadedFile(name, make())},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Message.objects.exists()
    nothing_stored(settings)


@pytest.mark.parametrize(("name", "make", "message"), [(f[1], f[2], f[4]) for f in HOSTILE_FILES],
                         ids=[f[0] for f in HOSTILE_FILES])  # fmt: skip
def test_a_hostile_extract_is_refused_and_nothing_is_kept(
    act: Act, handler: Any, settings: Any, name: str, make: Callable[[], bytes], message: str
) -> None:
    case = in_progress(handler)
    system = CompanySystem.objects.create(name="CRM")
    response = act(
        signed_in(handler, "Handler"), case, "check", system=system.pk, state="data_found", notes="",
        extract=SimpleUploadedFile(name, make()),
    )  # fmt: skip
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SystemCheck.objects.exists()
    nothing_stored(settings)


# --- 7. An audit row edited behind the application's back -------------------------------------------------


def tamper(sql: str, params: list[Any]) -> None:
    """Change an event in the database (on PostgreSQL as a superuser who switches the guard trigger off)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


@pytest.fixture
def worked_case(dpo: Any) -> PrivacyRequest:
    case = in_progress(dpo)
    services.extend(case, by=dpo, reason="More systems.")
    return case


@pytest.mark.parametrize(
    ("column", "value"),
    [("data", '{"assignee": 999}'), ("verb", "honoured"), ("new_status", "completed"), ("actor_id", None)],
)
def test_verify_audit_names_a_row_edited_in_the_database(
    worked_case: PrivacyRequest, capsys: Any, column: str, value: Any
) -> None:
    call_command("verify_audit")
    assert "Audit chain intact" in capsys.readouterr().out
    victim = worked_case.events.get(seq=3)
    tamper(f"UPDATE requests_requestevent SET {column} = %s WHERE id = %s", [value, victim.pk])  # noqa: S608
    with pytest.raises(
        CommandError, match=rf"event {victim.pk} \(case {worked_case.pk}, #3\): the row was altered"
    ):
        call_command("verify_audit")


def test_verify_audit_catches_a_forger_who_also_rewrites_the_rows_hash(worked_case: PrivacyRequest) -> None:
    # The forger knows how rows are hashed but not AUDIT_KEYS: the best they can write is a plain SHA-256.
    victim = worked_case.events.get(seq=2)
    victim.data = {"assignee": 424242}
    forged = audit.legacy_hash(victim.prev_hash, victim)
    tamper(
        "UPDATE requests_requestevent SET data = %s, hash = %s WHERE id = %s",
        [json.dumps(victim.data), forged, victim.pk],
    )
    with pytest.raises(
        CommandError,
        match=rf"event {victim.pk} \(case {worked_case.pk}, #2\): hashed with plain SHA-256 where the chain is keyed",
    ):
        call_command("verify_audit")


# --- 8. Arbitrary input to the public forms and the public API is never a 500 ----------------------------------

# A complete, valid submission for every right; each field may be replaced by anything a browser can send.
VALID_FORM = {
    "requester_name": "Ada Lovelace", "requester_email": "ada@example.org", "relationship": "self",
    "subject_name": "", "subject_email": "", "country": "GB", "subdivision": "", "language": "en",
    "period": "12_months", "since": "", "rectification_current": "1 Old Road", "rectification_wanted": "2 New St",
    "marketing_only": "", "grounds": "I never agreed to this.", "details": "", "about_customer_data": "",
    "customer_name": "", "phone": "+44 20 7946 0000", "postal_address": "1 Road", "account_reference": "A-1",
    "date_of_birth": "1990-02-28", "declare": "on", "declaration_name": "Ada Lovelace", "website": "",
}  # fmt: skip
NASTY = [
    *PAYLOADS, *SQL, "\x00", "\u202e\u0635", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢" * 40, "a" * 5000, " ", "", "US-CA", "CA-QC", "agent",
    "parent", "since", "0001-01-01", "9999-12-31", "2026-02-30", "ada@example.org\r\nBcc: x@example.org",
    "ÄDA@EXAMPLE.ORG", "on", "true", "-1", "1e309",
]  # fmt: skip
any_text = st.one_of(st.text(max_size=300), st.sampled_from(NASTY))
HYPOTHESIS = hypothesis_settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@st.composite
def form_fields(draw: st.DrawFn) -> dict[str, str]:
    """The valid submission with a few fields (often none, sometimes all) replaced by arbitrary text."""
    fields = dict(VALID_FORM)
    names = st.sampled_from(sorted(VALID_FORM))
    for name in draw(st.lists(names, max_size=len(VALID_FORM), unique=True)):
        fields[name] = draw(any_text)
    return fields


@pytest.fixture
def _no_rate_limits(settings: Any) -> None:
    settings.RATELIMIT_SUBMIT = settings.RATELIMIT_VERIFY = "1000000/h"


@pytest.mark.usefixtures("_no_rate_limits")
@pytest.mark.parametrize("kind", [kind.value for kind in RIGHTS])
@HYPOTHESIS
@given(fields=form_fields())
def test_no_public_form_answers_500_whatever_is_typed(kind: str, fields: dict[str, str]) -> None:
    response = send(Client(), kind, fields)
    assert response.status_code in (200, 302, 400, 429), response.status_code


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=10,
)
VALID_INTAKE = {
    "kind": "rectification", "requester_name": "Ada Lovelace", "requester_email": "ada@example.org",
    "relationship": "self", "country": "GB", "language": "en",
    "rectification_current": "1 Old Road", "rectification_wanted": "2 New Street",
}  # fmt: skip
intake_keys = st.sampled_from(sorted({*VALID_FORM, *VALID_INTAKE}))
intake_bodies = st.one_of(
    st.dictionaries(st.one_of(intake_keys, st.text(max_size=20)), json_values, max_size=12),
    st.builds(
        lambda overrides, kind: {**VALID_INTAKE, "kind": kind, **overrides},
        st.dictionaries(intake_keys, st.one_of(any_text, json_values), max_size=4),
        st.sampled_from([*Kind.values, "gdpr", ""]),
    ),
)


@pytest.mark.usefixtures("_no_rate_limits")
@HYPOTHESIS
@given(body=intake_bodies)
def test_the_public_api_never_answers_500_whatever_json_it_gets(body: dict[str, Any]) -> None:
    response = Client().post("/api/v1/public/requests/", json.dumps(body), content_type="application/json")
    assert response.status_code in (201, 400, 429), (response.status_code, response.content[:500])
    assert "detail" in response.json() or "reference" in response.json()
