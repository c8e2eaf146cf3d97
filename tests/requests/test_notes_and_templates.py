"""The case page's working tools: internal notes, reply templates, and "next case" in the queue view.

Staff use them through the pages, signed in as a DPO, handler or auditor would be (password + TOTP). Notes are
for staff only: one test follows a case from a note to its released packet and looks, as the requester would, at
every page, email, letter, packet file and API answer for the note's words.
"""

from __future__ import annotations

import importlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from pypdf import PdfReader

from identity import tokens
from requests import letters, packets, selectors, services
from requests.models import (
    PLACEHOLDERS,
    CaseNote,
    CompanySystem,
    Letter,
    Message,
    Packet,
    PrivacyRequest,
    ReplyPurpose,
    ReplyTemplate,
)
from requests.roles import ensure_roles
from requests.selectors.replies import case_facts
from requests.services.retention import anonymise
from tests.factories import in_role, make_case, signed_in

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 3, 2, 10, tzinfo=UTC)  # a UK request received now is due on Thursday 2 April
NOTE = "ZEBRA-7731 internal: the requester sounded angry on the phone"
DEFAULTS = importlib.import_module("requests.migrations.0023_notes_and_replies").DEFAULTS
QUEUE = "/admin/requests/privacyrequest/"


@pytest.fixture(autouse=True)
def _monday() -> Iterator[None]:
    ensure_roles()
    with time_machine.travel(MONDAY, tick=False):
        yield


def page_url(case: PrivacyRequest, **query: str) -> str:
    url = f"/admin/requests/privacyrequest/{case.pk}/change/"
    return f"{url}?{urlencode(query)}" if query else url


def note_url(case: PrivacyRequest) -> str:
    return f"/admin/cases/{case.pk}/notes/"


def open_case(**fields: Any) -> PrivacyRequest:
    """A UK rectification: the confirmed email is all the identity check it needs."""
    return services.confirm_email(make_case(kind="rectification", **fields))


def text(response: Any) -> str:
    return response.content.decode()


def timeline(html: str) -> str:
    return html[html.index('id="timeline-h"') :]


def reply_templates() -> dict[tuple[str, str], ReplyTemplate]:
    """The migration's starting set (a transactional test elsewhere may have flushed the rows it made)."""
    made = {}
    for language, purpose, name, subject, body in DEFAULTS:
        made[language, purpose], _created = ReplyTemplate.objects.get_or_create(
            language=language, name=name, defaults={"purpose": purpose, "subject": subject, "body": body}
        )
    return made


# --- Notes ---------------------------------------------------------------------------------------------------


def test_a_handler_adds_a_note_and_it_shows_in_the_timeline_in_its_place(handler: Any) -> None:
    client = signed_in(handler, "Handler")
    case = open_case()
    services.assign(case, to=handler, by=handler)
    response = client.post(note_url(case), {"text": NOTE})
    assert response.status_code == 302 and response["Location"].startswith(page_url(case))
    with time_machine.travel(MONDAY.replace(hour=11), tick=False):
        services.send_message(case, by=handler, body="When did you move house?")
    page = text(client.get(page_url(case)))
    assert "Note added; only staff can read it." in page
    note = CaseNote.objects.get(privacy_request=case)
    assert (note.author, note.text) == (handler, NOTE)
    # The audit chain names the note, never its words.
    event = case.events.get(verb="note_added")
    assert event.data == {"note": note.pk} and event.actor == handler
    assert NOTE not in json.dumps(list(case.events.values("data")))
    # Listed with the form, who wrote it and when, and in the timeline after the assignment and before the
    # message sent later.
    listed = page[page.index('id="notes-h"') : page.index('id="timeline-h"')]
    assert f"Hal · 2 Mar 2026, 10:00</p>\n      <p>{NOTE}</p>" in listed
    rows = timeline(page).lower()
    assert (
        rows.index("assign")
        < rows.index("internal note:")
        < rows.index(NOTE.lower())
        < rows.rindex("message")
    )


def test_the_note_form_is_on_the_case_page_for_case_handlers_only(
    handler: Any, auditor: Any, dpo: Any
) -> None:
    case = open_case()
    services.add_note(case, by=in_role(dpo, "DPO"), text=NOTE)
    handler_page = text(signed_in(handler, "Handler").get(page_url(case)))
    assert "Add an internal note" in handler_page and NOTE in timeline(handler_page)
    auditor_client = signed_in(auditor, "Auditor")
    auditor_page = text(auditor_client.get(page_url(case)))
    assert "Add an internal note" not in auditor_page
    assert NOTE in timeline(auditor_page)  # auditors read the whole timeline, notes included
    assert auditor_client.post(note_url(case), {"text": "An auditor's aside"}).status_code == 403
    assert list(CaseNote.objects.values_list("text", flat=True)) == [NOTE]


def test_an_empty_note_is_refused_with_the_reason(handler: Any) -> None:
    client = signed_in(handler, "Handler")
    case = open_case()
    page = text(client.post(note_url(case), {"text": "   "}, follow=True))
    assert "Write the note." in page or "This field is required." in page
    assert not CaseNote.objects.exists() and not case.events.filter(verb="note_added").exists()


def test_a_handler_cannot_note_a_case_assigned_to_someone_else(handler: Any, other_handler: Any) -> None:
    case = open_case()
    services.assign(case, to=in_role(other_handler, "Handler"), by=other_handler)
    assert signed_in(handler, "Handler").post(note_url(case), {"text": NOTE}).status_code == 404
    assert not CaseNote.objects.exists()


def test_anonymising_a_closed_case_blanks_its_notes(dpo: Any) -> None:
    case = open_case()
    services.add_note(case, by=in_role(dpo, "DPO"), text=NOTE)
    services.withdraw(case, by=dpo)
    assert anonymise(case.pk, MONDAY)
    assert list(CaseNote.objects.values_list("text", flat=True)) == ["(anonymised)"]
    with pytest.raises(services.TransitionError, match="anonymised"):
        services.add_note(PrivacyRequest.objects.get(pk=case.pk), by=dpo, text="Too late")


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def everything_in(message: EmailMultiAlternatives) -> str:
    """An email as the requester gets it: subject, text, HTML, and the text of any PDF attached."""
    parts = [str(message.subject), str(message.body)]
    parts += [str(content) for content, _mimetype in message.alternatives]
    for attachment in message.attachments:
        if not isinstance(attachment, tuple):
            continue
        _name, content, mimetype = attachment
        parts.append(pdf_text(content) if mimetype == "application/pdf" else str(content))
    return "\n".join(parts)


def packet_files(packet: Packet) -> str:
    with zipfile.ZipFile(io.BytesIO(packets.read(packet))) as archive:
        contents = {name: archive.read(name) for name in archive.namelist()}
    return "\n".join(
        pdf_text(data) if name.endswith(".pdf") else data.decode(errors="replace")
        for name, data in contents.items()
    )


def test_a_note_never_reaches_the_requester(
    client: Client, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Page, emails, letters, packet and API: the note's distinctive words are nowhere the requester looks."""
    staff = signed_in(dpo, "DPO")
    crm = CompanySystem.objects.create(name="Zoho CRM")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.confirm_email(make_case(kind="access"))
        services.assign(case, to=dpo, by=dpo)
        staff.post(note_url(case), {"text": NOTE})
        services.extend(case, by=dpo, reason="Five systems to search.")
        services.send_message(case, by=dpo, body="We are on it.")
        services.record_system_check(case, by=dpo, system=crm, state="no_data")
        services.request_packet(case, by=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        packet = services.release_packet(case, by=dpo)
        services.complete(case, by=dpo, outcome="fulfilled")
    # Staff see it: the words below are looked for where they could be.
    assert NOTE in text(staff.get(page_url(case)))
    sent = [m for m in mail.outbox if m.to == ["ada@example.org"]]
    assert len(sent) >= 4  # acknowledgement, extension, message, packet, answer
    for message in sent:
        assert isinstance(message, EmailMultiAlternatives)
        assert NOTE not in everything_in(message) and "ZEBRA" not in everything_in(message)
    assert any(m.attachments for m in sent)  # the letters, read the way the requester reads them
    issued = list(Letter.objects.filter(privacy_request=case))
    assert {letter.kind for letter in issued} >= {"extension", "access"}
    for letter in issued:
        letter_text = pdf_text(letters.read(letter))
        assert case.reference in letter_text and "ZEBRA" not in letter_text
    in_packet = packet_files(Packet.objects.get(pk=packet.pk))
    assert case.reference in in_packet and "ZEBRA" not in in_packet
    # The status page, signed in with the emailed code.
    mail.outbox.clear()
    client.post("/status/", {"email": "ada@example.org"})
    code = re.search(r"^\s+(\d{6})$", str(mail.outbox[0].body), re.MULTILINE)
    assert code
    client.post("/status/code/", {"code": code.group(1)})
    status_page = text(client.get(f"/status/cases/{case.reference}/"))
    assert "We are on it." in status_page and "ZEBRA" not in status_page
    # The API answers with the event that a note was written, by its number only.
    in_role(dpo, "DPO")
    _token, plaintext = tokens.create_token(dpo, name="test", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    detail = api.get(f"/api/v1/cases/{case.reference}/")
    assert detail.status_code == 200 and "note_added" in text(detail) and "ZEBRA" not in text(detail)
    assert "ZEBRA" not in text(api.get("/api/v1/cases/"))


def test_the_identity_detail_another_record_can_be_named_in_a_note(dpo: Any, details_to_match: None) -> None:
    """The verify box "Another detail we hold (say which in a message or note)" has a note to say it in."""
    staff = signed_in(dpo, "DPO")
    case = services.confirm_email(
        make_case(kind="access", country="US", subdivision="CA", data_points={"phone": "+1 555 0100"})
    )
    page = text(staff.get(page_url(case)))
    assert "say which in a message or note" in page and "Add an internal note" in page
    staff.post(note_url(case), {"text": "Matched the order number 88812 in Shopify."})
    assert "Matched the order number 88812 in Shopify." in timeline(text(staff.get(page_url(case))))


# --- Reply templates -----------------------------------------------------------------------------------------


def test_the_starting_templates_cover_each_purpose_in_english_and_russian() -> None:
    made = reply_templates()
    purposes = {p for p in ReplyPurpose.values if p != "other"}
    assert {(language, purpose) for language in ("en", "ru") for purpose in purposes} == set(made)
    for template in made.values():
        template.full_clean()  # every placeholder they use is a known one


def test_the_picker_offers_the_cases_language_first_and_fills_in_its_facts(handler: Any) -> None:
    templates = reply_templates()
    client = signed_in(handler, "Handler")
    case = open_case(language="ru", requester_name="Зоя Космодемьянская")
    page = text(client.get(page_url(case)))
    assert "Start from a template" in page
    picker = page[page.index('id="reply-template"') :]
    assert picker.index('label="Russian"') < picker.index('label="English"')
    acknowledge = templates["ru", "acknowledge"]
    page = text(client.get(page_url(case, reply_template=str(acknowledge.pk))))
    box = re.search(r'<textarea name="message-body"[^>]*>(.*?)</textarea>', page, re.S)
    assert box, page
    filled = box.group(1)
    assert f"Мы получили ваш запрос {case.reference}" in filled
    assert "Здравствуйте, Зоя Космодемьянская!" in filled
    assert "2 апреля 2026" in filled and "2 марта 2026" in filled  # due and received, in Russian
    assert "{" not in filled
    assert set(case_facts(case, "en")) == set(PLACEHOLDERS)  # every placeholder has its fact


def test_staff_edit_the_filled_in_template_before_sending_and_the_requester_gets_their_words(
    handler: Any, django_capture_on_commit_callbacks: Any
) -> None:
    templates = reply_templates()
    client = signed_in(handler, "Handler")
    case = open_case()
    clarify = templates["en", "clarify"]
    page = text(client.get(page_url(case, reply_template=str(clarify.pk))))
    assert "we need you to tell us [what we need to know]" in page
    filled = selectors.replies_for(case)
    chosen = next(r for r in filled if r.template == clarify)
    edited = chosen.text.replace("[what we need to know]", "which address is wrong")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(page_url(case), {"action": "message", "message-body": edited})
    assert response.status_code == 302
    (message,) = Message.objects.filter(privacy_request=case)
    assert message.body == edited and "Dear Ada Lovelace" in message.body and "[" not in message.body
    assert any(m.to == ["ada@example.org"] for m in mail.outbox)


def test_a_template_with_an_unknown_placeholder_is_refused_with_a_clear_error(dpo: Any) -> None:
    client = signed_in(dpo, "DPO")
    response = client.post(
        "/admin/requests/replytemplate/add/",
        {"name": "Reminder", "purpose": "other", "language": "en", "subject": "About {reference}",
         "body": "Dear {requester_name}, about your request {refrence}, due {due_date}."},
    )  # fmt: skip
    assert response.status_code == 200
    assert "Unknown placeholder: {refrence}. Use only {reference}, {requester_name}" in text(response)
    assert not ReplyTemplate.objects.filter(name="Reminder").exists()


def test_a_template_saved_before_a_placeholder_existed_opens_with_it_shown_as_written(handler: Any) -> None:
    # Rows written past the form's check (an older version, a database edit) must not break the case page.
    odd = ReplyTemplate.objects.create(
        name="Odd", purpose="other", language="en", subject="Re {reference}", body="Hi {nickname}, {oops"
    )
    case = open_case()
    page = text(signed_in(handler, "Handler").get(page_url(case, reply_template=str(odd.pk))))
    assert f"Re {case.reference}\n\nHi {{nickname}}, {{oops" in page


def test_only_the_dpo_changes_templates_handlers_read_them(dpo: Any, handler: Any) -> None:
    template = reply_templates()["en", "acknowledge"]
    url = f"/admin/requests/replytemplate/{template.pk}/change/"
    fields = {"name": template.name, "purpose": template.purpose, "language": "en",
              "subject": template.subject, "body": "Dear {requester_name}, we have it."}  # fmt: skip
    handler_client = signed_in(handler, "Handler")
    page = text(handler_client.get(url))
    assert template.subject in page and 'name="_save"' not in page  # read-only for a handler
    assert handler_client.post(url, fields).status_code == 403
    assert signed_in(dpo, "DPO").post(url, fields).status_code == 302
    assert ReplyTemplate.objects.get(pk=template.pk).body == "Dear {requester_name}, we have it."


# --- Next case in the queue view -----------------------------------------------------------------------------


def test_next_case_follows_the_queue_view_staff_came_from(dpo: Any, handler: Any) -> None:
    client = signed_in(dpo, "DPO")
    with time_machine.travel(datetime(2026, 2, 2, 10, tzinfo=UTC), tick=False):
        first = open_case(requester_email="first@example.org")
    with time_machine.travel(datetime(2026, 2, 9, 10, tzinfo=UTC), tick=False):
        taken = open_case(requester_email="taken@example.org")
    services.assign(taken, to=in_role(handler, "Handler"), by=dpo)
    with time_machine.travel(datetime(2026, 2, 16, 10, tzinfo=UTC), tick=False):
        last = open_case(requester_email="last@example.org")

    def next_link(case: PrivacyRequest, filters: str) -> str:
        page = text(client.get(page_url(case, _changelist_filters=filters) if filters else page_url(case)))
        found = re.search(r'<a href="([^"]+)" rel="next" data-shortcut="next">', page)
        return found.group(1).replace("&amp;", "&") if found else ""

    # The whole open queue, by due date: the assigned case is next.
    assert next_link(first, "").startswith(page_url(taken))
    # "Unassigned": the handler's case is skipped, and the link keeps the view for the case after.
    link = next_link(first, "who=unassigned")
    assert link.startswith(page_url(last))
    assert parse_qs(urlsplit(link).query)["_changelist_filters"] == ["who=unassigned"]
    assert next_link(last, "who=unassigned") == ""  # the end of the view
    # The queue's own list links carry the view to the case page.
    queue_page = text(client.get(QUEUE, {"who": "unassigned"}))
    assert "_changelist_filters=who%3Dunassigned" in queue_page
    # A search is part of the view too; an unknown value gives the default queue rather than an error.
    assert next_link(first, "q=last@example.org").startswith(page_url(last))
    assert next_link(first, "repetitive__exact=maybe").startswith(page_url(taken))


def test_next_case_is_the_one_after_a_case_that_just_left_the_view(dpo: Any) -> None:
    in_role(dpo, "DPO")
    with time_machine.travel(datetime(2026, 2, 2, 10, tzinfo=UTC), tick=False):
        mine = open_case(requester_email="first@example.org")
    later = open_case(requester_email="later@example.org")
    services.assign(mine, to=dpo, by=dpo)  # out of "Unassigned" now
    unassigned = selectors.assigned(
        selectors.in_queue(PrivacyRequest.objects.all(), "open"), "none", actor=dpo
    )
    assert selectors.next_case(unassigned, mine) == later
    assert selectors.next_case(unassigned, later) is None


def test_the_case_page_explains_its_keyboard_shortcuts_and_loads_their_script(handler: Any) -> None:
    case = open_case()
    page = text(signed_in(handler, "Handler").get(page_url(case)))
    assert "Keyboard shortcuts" in page
    for key, says in [("j", "next case"), ("a", "assign this case to me"), ("r", "reply box")]:
        assert re.search(rf"<kbd>{key}</kbd></dt><dd>[^<]*{says}", page), key
    assert '<script src="/static/js/case-page.js" defer></script>' in page
    # "a" presses a form that assigns the case to whoever is signed in.
    assert 'data-shortcut="assign"' in page and f'name="assign-assignee" value="{handler.pk}"' in page
