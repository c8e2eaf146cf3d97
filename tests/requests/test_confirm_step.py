"""The case page's safety steps: a final action shows the exact email and letter before it is sent, a refusal's
reason is chosen, an action not offered says why, and a packet waits for every system to be answered."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from requests import services
from requests.lifecycle import Status
from requests.models import CompanySystem, Packet, PacketStatus, PrivacyRequest
from requests.roles import ensure_roles
from tests.factories import make_case, signed_in

pytestmark = pytest.mark.django_db

EXPLANATION = "You asked for exactly the same data yesterday and we answered in full."


@pytest.fixture(autouse=True)
def _roles() -> None:
    ensure_roles()


def page_url(case: PrivacyRequest) -> str:
    return f"/admin/requests/privacyrequest/{case.pk}/change/"


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


def open_case(**fields: Any) -> PrivacyRequest:
    return services.confirm_email(make_case(kind="rectification", **fields))


def text(response: Any) -> str:
    """The page as a reader sees it: tags gone, entities read, spaces squeezed (the letter's frame included)."""
    page = html.unescape(response.content.decode())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def post(
    client: Client, case: PrivacyRequest, action: str, capture: Any, *, step: str = "", **fields: str
) -> Any:
    """POST an action's form as the page does; `step` "confirmed" or "back" as the confirmation page does."""
    data = {"action": action, **{f"{action}-{k}": v for k, v in fields.items()}}
    if step:
        data[step] = "1"
    with capture(execute=True):
        return client.post(page_url(case), data)


def test_a_refusal_shows_the_email_and_letter_first_and_sends_only_when_confirmed(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case()
    client = signed_in(dpo, "DPO")
    events = case.events.count()

    check = post(
        client, case, "deny", django_capture_on_commit_callbacks, reason="excessive", explanation=EXPLANATION
    )

    assert check.status_code == 200
    page = text(check)
    assert "Nothing has been sent yet." in page and "Confirm and send" in page
    assert f"Our decision on request {case.reference}" in page  # the email's subject
    assert "Hello Ada Lovelace," in page and EXPLANATION in page  # its body
    assert "Our decision: we will not act on your request" in page  # the letter's heading, in its frame
    assert "Information Commissioner" in page  # where to complain, as the letter says
    # Nothing was done: no email, no status change, no event, no letter, nothing queued.
    assert mail.outbox == []
    assert fresh(case).status == Status.OPEN and fresh(case).denial_reason == ""
    assert case.events.count() == events and not case.letters.exists()

    done = post(
        client, case, "deny", django_capture_on_commit_callbacks,
        reason="excessive", explanation=EXPLANATION, step="confirmed",
    )  # fmt: skip

    assert done.status_code == 302
    assert fresh(case).status == Status.DENIED
    (email,) = mail.outbox
    assert email.to == [case.requester_email] and EXPLANATION in str(email.body)
    assert email.attachments and email.attachments[0][2] == "application/pdf"


def test_going_back_from_the_confirmation_keeps_what_was_typed(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case()
    client = signed_in(dpo, "DPO")
    back = post(
        client, case, "deny", django_capture_on_commit_callbacks,
        reason="excessive", explanation=EXPLANATION, step="back",
    )  # fmt: skip
    assert back.status_code == 200
    page = back.content.decode()
    assert EXPLANATION in page and '<option value="excessive" selected>' in page
    assert "Confirm and send" not in page and mail.outbox == [] and fresh(case).status == Status.OPEN


def test_the_refusal_reason_starts_blank_and_must_be_chosen(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case()
    client = signed_in(dpo, "DPO")
    form = client.get(page_url(case)).content.decode()
    select = form[
        form.index('name="deny-reason"') : form.index("</select>", form.index('name="deny-reason"'))
    ]
    assert '<option value="" selected>Choose a reason</option>' in select
    assert select.count(" selected") == 1  # no reason is picked for staff

    refused = post(
        client, case, "deny", django_capture_on_commit_callbacks, reason="", explanation=EXPLANATION
    )

    assert refused.status_code == 400
    assert "Choose the reason for refusing: the letter gives it to the requester." in text(refused)
    assert "Confirm and send" not in text(refused)
    assert mail.outbox == [] and fresh(case).status == Status.OPEN


def test_completing_shows_the_answer_first(handler: Any, django_capture_on_commit_callbacks: Any) -> None:
    case = open_case()
    services.assign(case, to=handler, by=handler)
    client = signed_in(handler, "Handler")

    check = post(
        client, case, "complete", django_capture_on_commit_callbacks, outcome="fulfilled", note="Fixed."
    )

    assert check.status_code == 200
    assert f"We have answered your request {case.reference}" in text(check)
    assert mail.outbox == [] and fresh(case).status == Status.IN_PROGRESS
    done = post(
        client,
        case,
        "complete",
        django_capture_on_commit_callbacks,
        outcome="fulfilled",
        note="Fixed.",
        step="confirmed",
    )
    assert done.status_code == 302 and fresh(case).status == Status.COMPLETED
    assert [m.to for m in mail.outbox] == [[case.requester_email]]


def test_staff_working_in_russian_read_the_step_in_russian_and_the_letter_in_the_requesters_language(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case()
    client = signed_in(dpo, "DPO")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ru"
    check = post(
        client, case, "deny", django_capture_on_commit_callbacks, reason="excessive", explanation=EXPLANATION
    )
    page = text(check)
    assert "Пока ничего не отправлено." in page and "Подтвердить и отправить" in page
    assert f"Our decision on request {case.reference}" in page  # the requester writes English
    assert mail.outbox == []


def test_an_action_not_offered_says_why(dpo: Any) -> None:
    case = open_case()  # nobody has taken it yet
    page = text(signed_in(dpo, "DPO").get(page_url(case)))
    assert "Not available now" in page
    assert (
        f"Complete: {case.reference} is Open: assign the case first; it is answered once someone works on it."
        in (page)
    )


def test_a_closed_case_lists_no_actions_it_could_never_take_again(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = open_case()
    client = signed_in(dpo, "DPO")
    post(
        client, case, "deny", django_capture_on_commit_callbacks,
        reason="excessive", explanation=EXPLANATION, step="confirmed",
    )  # fmt: skip
    page = text(client.get(page_url(case)))
    assert "Log a complaint received by email, post or phone" in page  # what a closed case still offers
    assert "Not available now" not in page and "that cannot be done now" not in page


# The packet waits for every system.


def access_case(by: Any) -> PrivacyRequest:
    case = services.confirm_email(make_case(kind="access", country="DE"))
    return services.assign(case, to=by, by=by)


def test_a_packet_waits_until_every_system_is_checked_or_skipped_with_a_reason(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    crm = CompanySystem.objects.create(name="CRM", owner=dpo)
    payroll = CompanySystem.objects.create(name="Payroll", owner=dpo)
    case = access_case(dpo)
    client = signed_in(dpo, "DPO")
    blocked = "Record what every system holds, or skip it with a reason, first. Not checked yet: {}."

    page = text(client.get(page_url(case)))
    assert "Build the packet: " + blocked.format("CRM, Payroll") in page
    refused = post(client, case, "packet", django_capture_on_commit_callbacks)
    assert refused.status_code == 400 and blocked.format("CRM, Payroll") in text(refused)
    assert not Packet.objects.filter(privacy_request=case).exists()

    post(
        client,
        case,
        "check",
        django_capture_on_commit_callbacks,
        system=str(crm.pk),
        state="no_data",
        notes="",
    )
    no_reason = post(
        client,
        case,
        "check",
        django_capture_on_commit_callbacks,
        system=str(payroll.pk),
        state="skipped",
        notes=" ",
    )
    assert no_reason.status_code == 400
    assert "Say why this system is skipped" in text(no_reason)
    assert blocked.format("Payroll") in text(client.get(page_url(case)))

    skipped = post(
        client, case, "check", django_capture_on_commit_callbacks,
        system=str(payroll.pk), state="skipped", notes="Holds staff records only.",
    )  # fmt: skip
    assert skipped.status_code == 302
    page = text(client.get(page_url(case)))
    assert "Skipped" in page and "Holds staff records only." in page and "Not checked yet" not in page
    built = post(client, case, "packet", django_capture_on_commit_callbacks)
    assert built.status_code == 302
    assert Packet.objects.get(privacy_request=case).status == PacketStatus.READY


def test_a_final_action_the_service_refuses_says_why_at_the_first_post(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case = access_case(dpo)  # no packet released: the answer would point to nothing
    client = signed_in(dpo, "DPO")
    refused = post(client, case, "complete", django_capture_on_commit_callbacks, outcome="fulfilled", note="")
    assert refused.status_code == 400
    assert "Build and release the packet first: the answer points to it." in text(refused)
    assert "Confirm and send" not in text(refused)
    assert fresh(case).status == Status.IN_PROGRESS and not case.events.filter(verb="completed").exists()
