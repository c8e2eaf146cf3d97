"""An authorised agent's request: the person it is about confirms (or denies) the agent directly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client

from identity import services as identity_services
from requests import services
from requests.models import PrivacyRequest
from tests.factories import make_case
from tests.intake import pages, send

pytestmark = pytest.mark.django_db


def agent_case(**fields: Any) -> PrivacyRequest:
    return make_case(**{
        "kind": "erasure", "requester_name": "Agent Smith", "requester_email": "agent@example.org",
        "relationship": "agent", "subject_name": "Charles Babbage", "subject_email": "cb@example.org", **fields,
    })  # fmt: skip


def confirmation_link(django_capture_on_commit_callbacks: Any, case: PrivacyRequest) -> str:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(case)
    (message,) = [m for m in mail.outbox if m.to == ["cb@example.org"]]
    assert message.subject == f"Did you authorise privacy request {case.reference}?"
    assert 'Someone who gave their name as "Agent Smith" has asked us, on your behalf' in message.body
    assert "Delete my data" in message.body and "we have not checked it" in message.body
    found = re.search(r"http://\S+(/confirm-agent/\S+/)", str(message.body))
    assert found
    return found.group(1)


def test_the_subject_is_asked_once_the_agent_confirmed_their_email(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    case = agent_case()
    path = confirmation_link(django_capture_on_commit_callbacks, case)
    question = client.get(path).content.decode()
    assert "Agent Smith asked us, on your behalf" in question and 'value="yes"' in question
    assert PrivacyRequest.objects.get().subject_answer == ""  # looking is not answering
    answer = client.post(path, {"answer": "yes"})
    assert "We will go ahead" in answer.content.decode()
    case.refresh_from_db()
    assert case.subject_answer == "confirmed" and case.subject_answered_at is not None
    assert case.events.latest("seq").verb == "subject_confirmed"
    assert client.post(path, {"answer": "no"}).status_code == 400  # single use


def test_the_subject_can_say_no_and_staff_see_it(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    case = agent_case()
    path = confirmation_link(django_capture_on_commit_callbacks, case)
    assert "We will not act on this request" in client.post(path, {"answer": "no"}).content.decode()
    case.refresh_from_db()
    assert case.subject_answer == "refused" and case.events.latest("seq").verb == "subject_refused"


def test_parents_and_self_requests_send_no_confirmation(django_capture_on_commit_callbacks: Any) -> None:
    for case in (
        make_case(kind="erasure"),
        make_case(kind="erasure", relationship="parent", subject_name="Kid"),
    ):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.confirm_email(case)
        # Nobody is asked to confirm (a parent's request only alerts the DPO: tests/requests/test_children.py).
        assert [m for m in mail.outbox if "we may hold a child's data" not in m.subject] == []


def test_the_operator_can_turn_it_off(settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.PRIVACY_CONFIRM_AGENTS_WITH_SUBJECT = False
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(agent_case())
    assert mail.outbox == []


def test_a_bad_link_is_refused(client: Client) -> None:
    response = client.get("/confirm-agent/not-a-real-token/")
    assert response.status_code == 400 and "has expired" in response.content.decode()
    with pytest.raises(identity_services.ChallengeFailed):
        identity_services.answer_subject_challenge("nope", confirmed=True)


def test_the_agent_email_quotes_only_the_agents_name_marked_as_theirs_and_links_only_to_us(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # The penetration test's phishing finding: text the agent typed became a live link in our email.
    lure = "Your bank. Urgent: sign in at https://evil.example/login now " + "x" * 120
    case = agent_case(requester_name=lure, subject_name="Pay at evil.example")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(case)
    (message,) = [m for m in mail.outbox if m.to == ["cb@example.org"]]
    assert isinstance(message, EmailMultiAlternatives)
    html = str(message.alternatives[0][0])
    assert "Pay at evil.example" not in message.body and "Pay at evil.example" not in html
    assert "x" * 100 not in message.body  # the name is cut short
    assert 'href="https://evil.example' not in html and "https://evil.example/login" in html
    assert re.search(r'<a href="http://127\.0\.0\.1:8000/confirm-agent/[^"]+/">', html)


def test_one_address_gets_at_most_three_agent_emails_a_day_whoever_asks(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    sent = []
    for n in range(4):
        case = agent_case(requester_email=f"agent{n}@example.org")
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            services.confirm_email(case)
        sent.append(sum(m.to == ["cb@example.org"] for m in mail.outbox))
        case.refresh_from_db()
    assert sent == [1, 1, 1, 0]
    assert case.events.filter(verb="email_withheld", data__template="subject-confirm").exists()


def test_an_agent_with_a_power_of_attorney_from_the_web_form_is_not_second_guessed(
    client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """CCPA regulations §7063(b): the person who gave a power of attorney is not asked to confirm it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import pdf_bytes

    form = {
        "requester_name": "Agent Smith", "requester_email": "agent@example.org", "relationship": "agent",
        "subject_name": "Charles Babbage", "subject_email": "cb@example.org", "country": "US",
        "subdivision": "US-CA", "language": "en", "power_of_attorney": "on",
        "permission": SimpleUploadedFile("power-of-attorney.pdf", pdf_bytes()),
    }  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client, "erasure", form).status_code == 302
    case = PrivacyRequest.objects.get()
    assert case.power_of_attorney and case.events.get(verb="submitted").data["power_of_attorney"] is True
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(case)
    assert [m for m in mail.outbox if m.to == ["cb@example.org"]] == []
    page = pages(client, "erasure", {name: value for name, value in form.items() if name != "permission"})
    assert "My permission is a power of attorney" in page and "Probate Code sections 4121 to 4130" in page
