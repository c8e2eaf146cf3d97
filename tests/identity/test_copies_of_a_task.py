"""A copy of an email task run again (its worker killed after the mail server took the email, before the outbox
row was marked delivered: issue 24) sends the same email again, never a new code that expires the first."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from identity.models import EmailChallenge
from privacyportal import outbox
from privacyportal.models import QueuedTask
from requests import services
from requests.lifecycle import Status
from requests.models import PrivacyRequest, SentEmail
from tests.identity.test_subject_confirmation import agent_case
from tests.identity.test_verification import code_and_link

pytestmark = pytest.mark.django_db


VERIFY = "identity.tasks.send_verification_email"


def killed_after(row: QueuedTask, *, accepted: bool) -> None:
    """As a worker killed mid-task leaves its row: not delivered, and its email accepted by the mail server or
    not yet marked so; the row's holder is gone, so the next copy takes over."""
    QueuedTask.objects.filter(pk=row.pk).update(
        delivered_at=None, started_at=None, started_by="", emails_sent=1 if accepted else 0
    )


def run_again(row: QueuedTask, capture: Any) -> None:
    with capture(execute=True):
        outbox.publish(row)  # the redeliver sweep's publish, or the broker giving the message back


def test_a_copy_run_again_sends_the_same_code_link_and_message_id(
    client: Client, submit_form: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit_form("access")
    row = QueuedTask.objects.get(name=VERIFY)
    killed_after(row, accepted=False)
    # 40 minutes later (the redeliver sweep waits 15): longer than the first code was good for.
    with time_machine.travel(timezone.now() + timedelta(minutes=40)):
        run_again(row, django_capture_on_commit_callbacks)
        first, second = mail.outbox
        assert code_and_link(second) == code_and_link(first)
        domain = urlsplit(settings.PORTAL_BASE_URL).hostname
        assert (
            second.extra_headers["Message-ID"]
            == first.extra_headers["Message-ID"]
            == f"<{row.task_id}.1@{domain}>"
        )
        # One email as far as the case knows: one event, one Message-ID that a reply or a bounce finds.
        case = PrivacyRequest.objects.get()
        assert case.events.filter(verb="email_sent").count() == 1
        assert list(SentEmail.objects.values_list("message_id", flat=True)) == [
            first.extra_headers["Message-ID"]
        ]
        # The code in either email, typed now, confirms the address.
        code, _token = code_and_link(first)
        assert client.post("/verify/", {"code": code}).status_code == 302
    case.refresh_from_db()
    assert case.status == Status.OPEN
    assert EmailChallenge.objects.count() == 1


def test_a_copy_run_after_the_mail_server_took_the_email_sends_nothing(
    submit_form: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit_form("access")
    row = QueuedTask.objects.get(name=VERIFY)
    killed_after(row, accepted=True)
    run_again(row, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert row.delivered_at is not None  # done: the sweep leaves it be


def test_a_copy_run_after_the_person_asked_for_a_new_code_sends_nothing(
    client: Client, submit_form: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit_form("access")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/verify/resend/")  # "send me a new code": a fresh one, the first stops working
    row = QueuedTask.objects.get(name=VERIFY)
    killed_after(row, accepted=False)
    run_again(row, django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 2  # the old code is not sent again
    new_code, _ = code_and_link(mail.outbox[1])
    assert client.post("/verify/", {"code": new_code}).status_code == 302


def test_asking_for_a_new_code_still_replaces_the_emailed_one(
    client: Client, submit_form: Any, django_capture_on_commit_callbacks: Any
) -> None:
    submit_form("access")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/verify/resend/")
    (old_code, old_token), (new_code, new_token) = (code_and_link(m) for m in mail.outbox)
    assert (old_token != new_token) and mail.outbox[0].extra_headers["Message-ID"] != mail.outbox[
        1
    ].extra_headers["Message-ID"]
    if old_code != new_code:  # one in a million, the fresh random code is the derived one
        assert client.post("/verify/", {"code": old_code}).status_code == 400
    assert client.post("/verify/", {"code": new_code}).status_code == 302


def test_a_copy_of_the_agents_confirmation_sends_the_same_link(
    django_capture_on_commit_callbacks: Any,
) -> None:
    case = agent_case()
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(case)
    row = QueuedTask.objects.get(name="identity.tasks.send_subject_confirmation")
    killed_after(row, accepted=False)
    run_again(row, django_capture_on_commit_callbacks)
    first, second = [m for m in mail.outbox if m.to == ["cb@example.org"]]
    link = re.compile(r"/confirm-agent/\S+/")
    assert link.findall(str(second.body)) == link.findall(str(first.body)) != []
    assert second.extra_headers["Message-ID"] == first.extra_headers["Message-ID"]
    assert EmailChallenge.objects.filter(purpose=EmailChallenge.Purpose.SUBJECT_CONFIRM).count() == 1


def test_a_copy_does_not_count_again_against_the_persons_email_limit(
    submit_form: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    # One verification email an hour to this address: the first run counted it; its copy is the same email.
    settings.RATELIMIT_RECIPIENT_VERIFY = "1/h"
    submit_form("access")
    row = QueuedTask.objects.get(name=VERIFY)
    killed_after(row, accepted=False)
    run_again(row, django_capture_on_commit_callbacks)
    first, second = mail.outbox
    assert code_and_link(second) == code_and_link(first)
    assert not PrivacyRequest.objects.get().events.filter(verb="email_withheld").exists()
    # A new request for the same address within the hour is a new email, and is held back.
    submit_form("access")
    assert len(mail.outbox) == 2
    assert PrivacyRequest.objects.latest("pk").events.filter(verb="email_withheld").exists()
