"""The mailbox sweep against a real IMAP server (Dovecot): mail turned into inbox items, replies joining their
case, held mail, automatic replies and bounces, and a sweep killed between keeping a mail and moving it."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest

from requests import services, sweeps
from requests.lifecycle import Status
from requests.models import InboxItem, Message, PrivacyRequest, SentEmail
from requests.services import notify
from tests.factories import make_case
from tests.workers import database_url

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
ARRIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def mail(
    *, sender: str = "Olga Smirnova <olga@example.org>", subject: str = "Please delete my data", body: str = "",
    in_reply_to: str = "", headers: dict[str, str] | None = None,
) -> bytes:  # fmt: skip
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "privacy@example.com"
    message["Subject"] = subject
    message["Date"] = format_datetime(ARRIVED)
    message["Message-ID"] = make_msgid(domain="mail.example.org")
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body or "Hello, I want you to delete everything you hold about me.\nOlga")
    return message.as_bytes()


def emailed_case(capture: Any) -> tuple[PrivacyRequest, SentEmail]:
    """A case whose acknowledgement went out: the Message-ID a reply names."""
    with capture(execute=True):
        case = services.confirm_email(make_case(kind="erasure", requester_email="ada@example.org"))
    notify.email_requester(case.pk, "new-message")  # what the outbox's task does
    return case, SentEmail.objects.get(privacy_request=case, template="new-message")


def test_a_new_request_by_email_waits_in_the_inbox_and_becomes_a_case_received_when_it_arrived(
    mailserver: Any, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    mailserver.append(mail(), at=ARRIVED)

    assert sweeps.mailbox() == 1

    (item,) = InboxItem.objects.all()
    assert (item.state, item.sender_key, item.suggested_kind) == ("new", "olga@example.org", "erasure")
    assert item.received_at == ARRIVED
    assert mailserver.uids("INBOX") == [] and len(mailserver.uids("Processed")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        case = services.inbox.turn_into_case(
            item, by=dpo, kind="erasure", requester_name="Olga Smirnova", country="GB", language="en",
            details=item.text,
        )  # fmt: skip
    assert case.received_at == ARRIVED and case.requester_email == "olga@example.org"
    assert sweeps.mailbox() == 0  # nothing left, nothing taken twice


def test_the_requesters_reply_to_our_email_joins_its_case_and_restarts_its_clock(
    mailserver: Any, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case, sent = emailed_case(django_capture_on_commit_callbacks)
    services.assign(case, to=dpo, by=dpo)
    services.pause(case, by=dpo, reason="Which account do you mean?")
    mailserver.append(
        mail(sender="Ada <ADA@Example.org>", subject="Re: your request", body="The one ending 42.",
             in_reply_to=sent.message_id),
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=True):
        sweeps.mailbox()

    case.refresh_from_db()
    assert case.status != Status.AWAITING_REQUESTER  # the answer restarted the clock
    (message,) = Message.objects.filter(privacy_request=case, author_kind="requester")
    assert message.body.startswith("The one ending 42.")
    assert not InboxItem.objects.exists() and mailserver.uids("INBOX") == []


def test_a_mail_naming_a_case_by_its_reference_from_another_address_is_held_for_staff(
    mailserver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case, _sent = emailed_case(django_capture_on_commit_callbacks)
    mailserver.append(mail(sender="someone@example.net", subject=f"About {case.reference}"))

    sweeps.mailbox()

    (item,) = InboxItem.objects.all()
    assert item.state == "held" and item.privacy_request == case
    assert not Message.objects.filter(privacy_request=case).exists()


def test_an_out_of_office_and_a_bounce_create_nothing_and_the_bounce_marks_our_email_undelivered(
    mailserver: Any, django_capture_on_commit_callbacks: Any
) -> None:
    case, sent = emailed_case(django_capture_on_commit_callbacks)
    mailserver.append(
        mail(sender="ada@example.org", subject=f"Out of office: {case.reference}",
             headers={"Auto-Submitted": "auto-replied"}, in_reply_to=sent.message_id),
    )  # fmt: skip
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@mx.example.org>"
    bounce["To"] = "privacy@example.com"
    bounce["Subject"] = "Undelivered Mail Returned to Sender"
    bounce["Message-ID"] = make_msgid(domain="mx.example.org")
    bounce.set_content("This is the mail system. Your message could not be delivered.")
    original = EmailMessage()
    original["Message-ID"] = sent.message_id
    original["Subject"] = "Your request"
    original.set_content("...")
    bounce.add_attachment(original)
    mailserver.append(bounce.as_bytes())

    assert sweeps.mailbox() == 2

    assert set(InboxItem.objects.values_list("state", flat=True)) == {"ignored"}
    assert not Message.objects.filter(privacy_request=case, author_kind="requester").exists()
    sent.refresh_from_db()
    assert sent.undelivered_at is not None
    assert case.events.filter(verb="email_undelivered").count() == 1
    assert PrivacyRequest.objects.count() == 1  # no case from either


@pytest.mark.django_db(transaction=True)
@pytest.mark.real_clock
def test_a_sweep_killed_between_keeping_a_mail_and_moving_it_loses_nothing_and_doubles_nothing(
    mailserver: Any,
) -> None:
    mailserver.append(mail())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
        **{name: str(value) for name, value in mailserver.settings().items()},
    }
    # The process dies where a worker killed mid-sweep would: the mail kept, not yet moved out of the inbox.
    script = (
        "import os, django\n"
        "django.setup()\n"
        "from privacyportal.mailbox import Mailbox\n"
        "from requests import sweeps\n"
        "Mailbox.move = lambda self, uid: os._exit(9)\n"
        "sweeps.mailbox()\n"
    )
    died = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, timeout=120)
    assert died.returncode == 9, died.stderr.decode()
    assert InboxItem.objects.count() == 1 and len(mailserver.uids("INBOX")) == 1

    assert sweeps.mailbox() == 1  # the next sweep takes it again

    (item,) = InboxItem.objects.all()
    assert item.state == "new"
    assert mailserver.uids("INBOX") == [] and len(mailserver.uids("Processed")) == 1


def test_the_demos_maildir_is_swept_like_the_imap_mailbox(settings: Any, tmp_path: Path) -> None:
    import mailbox

    settings.MAILBOX_HOST = ""
    settings.MAILBOX_MAILDIR = str(tmp_path / "demo-mailbox")
    mailbox.Maildir(settings.MAILBOX_MAILDIR, create=True).add(mail())

    assert sweeps.mailbox() == 1
    assert sweeps.mailbox() == 0  # moved to the processed folder: not taken twice

    (item,) = InboxItem.objects.all()
    assert item.state == "new" and item.sender_key == "olga@example.org"
    processed = mailbox.Maildir(settings.MAILBOX_MAILDIR).get_folder("Processed")
    assert len(processed) == 1 and len(mailbox.Maildir(settings.MAILBOX_MAILDIR)) == 0


def test_without_a_mailbox_the_sweep_does_nothing(settings: Any) -> None:
    settings.MAILBOX_HOST = settings.MAILBOX_MAILDIR = ""
    assert sweeps.mailbox() == 0


def test_a_mail_that_cannot_be_kept_stays_in_the_inbox_and_holds_up_no_other(
    mailserver: Any, monkeypatch: Any, caplog: Any
) -> None:
    from requests.services import mailbox as intake

    take = intake.take
    mailserver.append(mail(subject="First"))
    mailserver.append(mail(subject="Second"))

    def fail_on_the_first(incoming: Any, **kwargs: Any) -> str:
        if incoming.subject == "First":
            raise RuntimeError("database went away")
        return take(incoming, **kwargs)

    monkeypatch.setattr(sweeps, "take_mail", fail_on_the_first)
    assert sweeps.mailbox() == 1
    assert list(InboxItem.objects.values_list("subject", flat=True)) == ["Second"]
    assert len(mailserver.uids("INBOX")) == 1  # the first waits for the next sweep
    assert "olga@example.org" not in caplog.text and "First" not in caplog.text

    monkeypatch.setattr(sweeps, "take_mail", take)
    assert sweeps.mailbox() == 1 and mailserver.uids("INBOX") == []
