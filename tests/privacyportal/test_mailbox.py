"""The privacy mailbox's plumbing: what a raw message reads as, and the IMAP client against a real Dovecot.

Each sample message is checked twice: parsed from its bytes, and appended to a private Dovecot and fetched back
(tests/mailserver.py; skipped without Dovecot, except under CI=1).
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from privacyportal.mailbox import (
    IncomingMail,
    Mailbox,
    MailboxError,
    MessageGone,
    html_to_text,
    parse,
    too_large,
)

RECEIVED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
OUR_EMAIL_ID = "<case.PR-2026-0042.7f3a@privacy.example.com>"


def raw(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


PLAIN = raw(f"""\
From: =?utf-8?b?0JfQvtGPINCa0L7RgdC80L7QtNC10LzRjNGP0L3RgdC60LDRjw==?= <Zoya@Example.RU>
To: privacy@example.com
Subject: {Header("Удалите мои данные", "utf-8").encode()}
Message-ID: <request-1@example.ru>
In-Reply-To: {OUR_EMAIL_ID}
References: <first@example.ru>
 {OUR_EMAIL_ID}
Date: Mon, 2 Mar 2026 09:29:00 +0000
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Прошу удалить все мои данные.
Zoya
""")

ALTERNATIVE = raw("""\
From: Sam Carter <sam@example.com>
Subject: Access request
Message-ID: <alt-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=us-ascii

Please send me a copy of my data.
--b1
Content-Type: text/html; charset=us-ascii

<p>Please send me a <b>copy</b> of my data (HTML version).</p>
--b1--
""")

HTML_ONLY = raw("""\
From: newsletter-reader@example.com
Subject: HTML only
Message-ID: <html-1@example.com>
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><title>Secret title</title><style>p { color: red }</style>
<script>document.location = "https://evil.example/steal"</script></head>
<body><p>Hello &amp; welcome &mdash; caf&eacute; &lt;tag&gt;</p>
<img src="https://tracker.example/pixel.gif?id=1" alt="tracking pixel">
<div>Line two<br>Line three</div><ul><li>first</li><li>second</li></ul>
<p><a href="https://phish.example/login">Click here</a></p></body></html>
""")

OUT_OF_OFFICE = raw(f"""\
From: Sam Carter <sam@example.com>
Subject: Automatic reply: Your request PR-2026-0042
Message-ID: <ooo-1@example.com>
In-Reply-To: {OUR_EMAIL_ID}
Auto-Submitted: auto-replied
Return-Path: <>
Content-Type: text/plain; charset=us-ascii

I am out of the office until Monday.
""")

DSN = raw(f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.com>
To: privacy@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.example.com>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="r1"

--r1
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.
--r1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.org
Action: failed
Status: 5.1.1
--r1
Content-Type: message/rfc822

From: Privacy Portal <privacy@example.com>
To: nobody@example.org
Subject: Your request PR-2026-0042
Message-ID: {OUR_EMAIL_ID}

Your request has been received.
--r1--
""")

DSN_HEADERS_ONLY = raw(f"""\
From: postmaster@mx.example.com
Subject: Delivery Status Notification (Failure)
MIME-Version: 1.0
Content-Type: multipart/report; report-type="delivery-status"; boundary="r2"

--r2
Content-Type: text/plain

Delivery failed.
--r2
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; nobody@example.org
Action: failed
Status: 5.1.1
--r2
Content-Type: text/rfc822-headers

From: privacy@example.com
Subject: Your request PR-2026-0042
Message-ID: {OUR_EMAIL_ID}
--r2--
""")


def with_attachments() -> bytes:
    message = EmailMessage()
    message["From"] = "Zoya <zoya@example.ru>"
    message["Subject"] = "My documents"
    message["Message-ID"] = "<att-1@example.ru>"
    message.set_content("Documents attached.")
    message.add_alternative('<p>Documents attached.<img src="cid:logo@x"></p>', subtype="html")
    html_part: Any = message.get_payload()[1]  # type: ignore[index]
    html_part.add_related(b"\x89PNG logo", "image", "png", cid="<logo@x>", filename="logo.png")
    message.add_attachment(b"%PDF-1.4 passport", "application", "pdf", filename="passport.pdf")
    message.add_attachment(b"\xff\xd8\xff photo", "image", "jpeg", filename="../../Паспорт фото.jpg")
    return message.as_bytes(policy=SMTP)  # CRLF, as the server stores it


ATTACHMENTS = with_attachments()


def check_plain(mail: IncomingMail) -> None:
    assert mail.sender == "Zoya@Example.RU"
    assert mail.sender_name == "Зоя Космодемьянская"
    assert mail.subject == "Удалите мои данные"
    assert mail.message_id == "<request-1@example.ru>"
    assert mail.in_reply_to == OUR_EMAIL_ID
    assert mail.references == ("<first@example.ru>", OUR_EMAIL_ID)
    assert mail.text == "Прошу удалить все мои данные.\nZoya"
    assert (mail.automatic, mail.is_bounce, mail.bounce_of, mail.attachments) == (False, False, "", ())


def check_alternative(mail: IncomingMail) -> None:
    assert mail.text == "Please send me a copy of my data."
    assert mail.sender_name == "Sam Carter"


def check_html_only(mail: IncomingMail) -> None:
    lines = "Hello & welcome — café <tag>\n\nLine two\nLine three\n\n- first\n- second\n\nClick here"
    assert mail.text == lines
    hidden = (
        "Secret title",
        "color",
        "document.location",
        "evil.example",
        "tracker",
        "pixel",
        "phish",
        "<p>",
    )
    for absent in hidden:
        assert absent not in mail.text
    assert not mail.automatic


def check_out_of_office(mail: IncomingMail) -> None:
    assert mail.automatic
    assert not mail.is_bounce  # an auto-reply with a null return path is not a bounce
    assert mail.in_reply_to == OUR_EMAIL_ID


def check_dsn(mail: IncomingMail) -> None:
    assert mail.is_bounce and mail.automatic
    assert mail.bounce_of == OUR_EMAIL_ID
    assert mail.message_id == "<dsn-1@mx.example.com>"  # its own, not the bounced one's


def check_dsn_headers_only(mail: IncomingMail) -> None:
    assert mail.is_bounce and mail.automatic
    assert mail.bounce_of == OUR_EMAIL_ID


def check_attachments(mail: IncomingMail) -> None:
    assert mail.text == "Documents attached."
    names = [(a.filename, a.content_type, a.data) for a in mail.attachments]
    assert names == [
        ("passport.pdf", "application/pdf", b"%PDF-1.4 passport"),
        ("Паспорт фото.jpg", "image/jpeg", b"\xff\xd8\xff photo"),  # no path from the sender survives
    ]  # the HTML's inline logo is not an attachment


SAMPLES: dict[str, tuple[bytes, Callable[[IncomingMail], None]]] = {
    "plain": (PLAIN, check_plain),
    "alternative": (ALTERNATIVE, check_alternative),
    "html-only": (HTML_ONLY, check_html_only),
    "out-of-office": (OUT_OF_OFFICE, check_out_of_office),
    "dsn": (DSN, check_dsn),
    "dsn-headers-only": (DSN_HEADERS_ONLY, check_dsn_headers_only),
    "attachments": (ATTACHMENTS, check_attachments),
}


@pytest.mark.parametrize("name", SAMPLES)
def test_parse_reads_each_kind_of_message(name: str) -> None:
    message, check = SAMPLES[name]
    mail = parse(message, uid=7, received_at=RECEIVED)
    check(mail)
    assert (mail.uid, mail.received_at, mail.size) == (7, RECEIVED, len(message))


@pytest.mark.parametrize("name", SAMPLES)
def test_fetch_reads_each_kind_of_message_from_the_server(name: str, mailserver: Any) -> None:
    message, check = SAMPLES[name]
    mailserver.append(message, at=RECEIVED)
    with Mailbox() as mailbox:
        [uid] = mailbox.new_uids()
        mail = mailbox.fetch(uid)
    check(mail)
    assert (mail.uid, mail.received_at, mail.size) == (uid, RECEIVED, len(message))


@pytest.mark.parametrize(
    "header",
    ["Auto-Submitted: auto-generated", "X-Autoreply: yes", "X-Autorespond: on", "Precedence: bulk",
     "Precedence: junk", "Precedence: list", "Precedence: auto_reply", "List-Id: <news.example.com>",
     "List-Unsubscribe: <mailto:leave@example.com>"],
)  # fmt: skip
def test_machine_written_mail_is_automatic(header: str) -> None:
    mail = parse(raw(f"From: a@example.com\n{header}\nSubject: x\n\nbody\n"), uid=0, received_at=RECEIVED)
    assert mail.automatic and not mail.is_bounce


def test_a_person_s_mail_is_not_automatic() -> None:
    mail = parse(
        raw("From: a@example.com\nAuto-Submitted: no\nPrecedence: first-class\nSubject: x\n\nbody\n"),
        uid=0, received_at=RECEIVED,
    )  # fmt: skip
    assert not mail.automatic and not mail.is_bounce


def test_a_mailer_daemon_bounce_without_a_report_names_the_email_it_attaches() -> None:
    message = EmailMessage()
    message["From"] = "MAILER-DAEMON@mx.example.com"
    message["Subject"] = "failure notice"
    message.set_content("Sorry, we couldn't deliver your message.")
    original = EmailMessage()
    original["Message-ID"] = OUR_EMAIL_ID
    original["Subject"] = "Your request"
    original.set_content("Hello")
    message.add_attachment(original)
    mail = parse(message.as_bytes(), uid=0, received_at=RECEIVED)
    assert mail.is_bounce and mail.automatic and mail.bounce_of == OUR_EMAIL_ID


def test_a_null_sender_message_is_a_bounce_even_when_its_original_is_unknown() -> None:
    mail = parse(raw("Return-Path: <>\nFrom: mx@example.com\nSubject: failed\n\nNo such user\n"), uid=0,
                 received_at=RECEIVED)  # fmt: skip
    assert mail.is_bounce and mail.bounce_of == ""


def test_a_forwarded_message_is_kept_whole_as_an_attachment() -> None:
    message = EmailMessage()
    message["From"] = "colleague@example.com"
    message["Subject"] = "Fwd: delete me"
    message.set_content("See below.")
    original = EmailMessage()
    original["From"] = "sam@example.com"
    original["Subject"] = "delete me"
    original.set_content("Please delete my account.")
    message.add_attachment(original)
    mail = parse(message.as_bytes(), uid=0, received_at=RECEIVED)
    [attached] = mail.attachments
    assert attached.content_type == "message/rfc822" and b"Please delete my account." in attached.data
    assert not mail.is_bounce


def test_html_to_text_keeps_preformatted_lines_and_drops_what_is_not_shown() -> None:
    html = "<head><meta charset=utf-8></head><pre>a   b\n  c</pre><noscript>x</noscript><p>d&nbsp;e</p>"
    assert html_to_text(html) == "a   b\n  c\n\nd e"


def test_a_message_over_the_limit_keeps_its_headers_and_says_why_its_text_is_missing(settings: Any) -> None:
    settings.MAILBOX_MAX_MESSAGE_BYTES = 1_000
    message = EmailMessage()
    message["From"] = "sam@example.com"
    message["Subject"] = "Huge scan"
    message["Message-ID"] = "<big@example.com>"
    message.set_content("Here is my passport.")
    message.add_attachment(b"x" * 5_000, "application", "pdf", filename="scan.pdf")
    mail = parse(message.as_bytes(), uid=0, received_at=RECEIVED)
    assert (mail.subject, mail.message_id) == ("Huge scan", "<big@example.com>")
    assert mail.attachments == () and "Here is my passport" not in mail.text
    assert "over the mailbox's limit" in mail.text and "processed folder" in mail.text
    assert too_large(mail)


def test_a_message_over_the_limit_is_fetched_by_its_headers_only(mailserver: Any, settings: Any) -> None:
    settings.MAILBOX_MAX_MESSAGE_BYTES = 1_000
    big = raw("From: sam@example.com\nSubject: Huge scan\n\n" + "x" * 5_000 + "\n")
    mailserver.append(big, at=RECEIVED)
    with Mailbox() as mailbox:
        [uid] = mailbox.new_uids()
        mail = mailbox.fetch(uid)
        mailbox.move(uid)
    assert mail.subject == "Huge scan" and mail.size == len(big) and too_large(mail)
    assert "x" * 100 not in mail.text
    assert mailserver.uids("INBOX") == [] and len(mailserver.uids("Processed")) == 1


# --- The IMAP client --------------------------------------------------------------------------------------------


def test_fetch_leaves_the_message_unread(mailserver: Any) -> None:
    mailserver.append(PLAIN, at=RECEIVED)
    with Mailbox() as mailbox:
        [uid] = mailbox.new_uids()
        mailbox.fetch(uid)
    assert "\\Seen" not in mailserver.flags(uid)
    assert mailserver.uids("INBOX") == [uid]


def test_move_takes_the_message_out_of_the_inbox_into_a_processed_folder_it_creates(mailserver: Any) -> None:
    mailserver.append(PLAIN, at=RECEIVED)
    assert mailserver.uids("Processed") == []  # no such folder yet
    with Mailbox() as mailbox:
        [uid] = mailbox.new_uids()
        mailbox.move(uid)
        assert mailbox.new_uids() == []
    assert mailserver.uids("INBOX") == []
    assert len(mailserver.uids("Processed")) == 1


def test_moving_twice_is_harmless(mailserver: Any) -> None:
    mailserver.append(PLAIN, at=RECEIVED)
    mailserver.append(ALTERNATIVE, at=RECEIVED)
    with Mailbox() as mailbox:
        first, second = mailbox.new_uids()
        mailbox.move(first)
        mailbox.move(first)
        assert mailbox.new_uids() == [second]
        with pytest.raises(MessageGone):
            mailbox.fetch(first)
    with Mailbox() as mailbox:  # another session, after a restart
        mailbox.move(first)
    assert mailserver.uids("INBOX") == [second]
    assert len(mailserver.uids("Processed")) == 1


@pytest.mark.parametrize("capabilities", [{"IMAP4REV1", "UIDPLUS"}, {"IMAP4REV1"}])
def test_move_works_on_a_server_without_move(mailserver: Any, capabilities: set[str]) -> None:
    mailserver.append(PLAIN, at=RECEIVED)
    mailserver.append(ALTERNATIVE, at=RECEIVED)
    with Mailbox() as mailbox:
        mailbox.capabilities = frozenset(capabilities)  # as an older server would answer
        first, second = mailbox.new_uids()
        mailbox.move(first)
        mailbox.move(first)
        assert mailbox.new_uids() == [second]
    assert mailserver.uids("INBOX") == [second]
    assert len(mailserver.uids("Processed")) == 1


def test_new_messages_come_oldest_first_with_the_time_they_arrived(mailserver: Any) -> None:
    arrivals = [datetime(2026, 3, day, 8, 15, tzinfo=UTC) for day in (1, 2, 3)]
    for number, at in enumerate(arrivals, start=1):
        mailserver.append(raw(f"From: a@example.com\nSubject: message {number}\n\nbody\n"), at=at)
    with Mailbox() as mailbox:
        mails = [mailbox.fetch(uid) for uid in mailbox.new_uids()]
        validity = mailbox.uidvalidity
    assert [mail.subject for mail in mails] == ["message 1", "message 2", "message 3"]
    assert [mail.received_at for mail in mails] == arrivals
    assert validity > 0
    with Mailbox() as mailbox:
        assert mailbox.uidvalidity == validity  # the same folder: stored UIDs still mean the same messages


def test_a_wrong_password_is_refused_without_repeating_it(mailserver: Any) -> None:
    with pytest.raises(MailboxError) as refused, Mailbox(password="not-the-password-0451"):
        pass
    assert "not-the-password-0451" not in str(refused.value)


def test_no_host_means_mailbox_intake_is_off(settings: Any) -> None:
    settings.MAILBOX_HOST = ""
    with pytest.raises(MailboxError, match="intake is off"), Mailbox():
        pass


def test_an_unencrypted_connection_is_refused_to_a_remote_server(settings: Any) -> None:
    with pytest.raises(MailboxError, match="only allowed for a server on this machine"):
        Mailbox(host="imap.example.com", security="none")


HOSTILE = [
    b"",
    b"\r\n\r\n",
    b"Subject: =?x-unknown?q?caf=E9?=\r\nFrom: <<<@@@>>>\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\ncaf\xe9\r\n",
    b"From: a@example.com\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!not base64",
    b"From: \xff\xfe@example.com\r\nSubject: \xd0\xff\r\nMessage-ID: no-brackets\r\n\r\nbody\r\n",
    b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: multipart/mixed; boundary=y\r\n\r\n--y\r\n",
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=z\r\nFrom: MAILER-DAEMON\r\n\r\n"
    b"--z\r\nContent-Type: message/rfc822\r\n\r\n--z--\r\n",
    b"Content-Type: text/html\r\n\r\n<scr<script>ipt>x</script><script>alert(1)</script><p>&#x110000; &bogus; "
    b"<!-- x --> ok<script>unclosed(",
]


@pytest.mark.parametrize("message", HOSTILE)
def test_a_malformed_message_is_read_as_far_as_it_can_be_and_never_stops_the_mailbox(message: bytes) -> None:
    mail = parse(message, uid=1, received_at=RECEIVED)
    assert mail.size == len(message) and isinstance(mail.text, str)
    assert "<script" not in mail.text and "alert" not in mail.text and "unclosed" not in mail.text


def test_without_dovecot_the_mailbox_tests_skip_locally_and_fail_in_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tests import mailserver

    monkeypatch.setattr(mailserver, "DOVECOT", "/nonexistent/dovecot")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        mailserver.require_dovecot()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI must run the mailbox tests"):
        mailserver.require_dovecot()


FUZZED_HEADERS = [
    "From", "Subject", "Message-ID", "References", "Content-Type", "Auto-Submitted", "Return-Path",
    "Content-Transfer-Encoding", "Content-Disposition",
]  # fmt: skip


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    headers=st.lists(st.tuples(st.sampled_from(FUZZED_HEADERS), st.binary(max_size=60)), max_size=8),
    body=st.binary(max_size=300),
)
def test_parse_never_raises_on_arbitrary_headers_and_bodies(
    headers: list[tuple[str, bytes]], body: bytes
) -> None:
    message = b"".join(name.encode() + b": " + value.replace(b"\r", b"").replace(b"\n", b" ") + b"\r\n"
                       for name, value in headers) + b"\r\n" + body  # fmt: skip
    mail = parse(message, uid=1, received_at=RECEIVED)
    assert mail.size == len(message)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_the_mailbox_is_read_over_tls(mailserver: Any, security: str) -> None:
    mailserver.append(PLAIN, at=RECEIVED)
    port = mailserver.tls_port if security == "ssl" else mailserver.port
    trusting = ssl.create_default_context(cafile=str(mailserver.cafile))
    with Mailbox(security=security, port=port, ssl_context=trusting) as mailbox:
        [uid] = mailbox.new_uids()
        assert mailbox.fetch(uid).subject == "Удалите мои данные"


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_certificate_the_system_does_not_trust_is_refused(mailserver: Any, security: str) -> None:
    port = mailserver.tls_port if security == "ssl" else mailserver.port
    with (
        pytest.raises(MailboxError, match="CERTIFICATE_VERIFY_FAILED"),
        Mailbox(security=security, port=port),
    ):
        pass


def test_three_hundred_messages_are_listed_fetched_and_moved_in_a_bounded_time(mailserver: Any) -> None:
    messages = [
        raw(f"From: a{n}@example.com\nSubject: request {n}\n\nPlease delete my data.\n") for n in range(300)
    ]
    mailserver.append_many(messages, at=RECEIVED)
    started = time.monotonic()
    with Mailbox() as mailbox:
        subjects = []
        for uid in mailbox.new_uids():
            subjects.append(mailbox.fetch(uid).subject)
            mailbox.move(uid)
    elapsed = time.monotonic() - started
    assert subjects == [f"request {n}" for n in range(300)]
    assert mailserver.uids("INBOX") == [] and len(mailserver.uids("Processed")) == 300
    assert elapsed < 30, (
        f"{elapsed:.1f}s for 300 messages"
    )  # about 1s here; a loose bound for a busy CI machine


def test_a_folder_that_does_not_exist_is_named_in_the_error(mailserver: Any) -> None:
    with pytest.raises(MailboxError, match="select Requests"), Mailbox(folder="Requests"):
        pass


@pytest.mark.parametrize("security", ["none", "ssl"])
def test_waiting_with_idle_ends_when_mail_arrives(mailserver: Any, security: str) -> None:
    port = mailserver.tls_port if security == "ssl" else mailserver.port
    trusting = ssl.create_default_context(cafile=str(mailserver.cafile))
    with Mailbox(security=security, port=port, ssl_context=trusting) as mailbox:
        assert mailbox.wait_for_mail(0.3) is False  # nothing came
        assert mailbox.new_uids() == []  # and the session still answers
        delivery = threading.Timer(0.5, mailserver.append, args=(PLAIN,), kwargs={"at": RECEIVED})
        delivery.start()
        started = time.monotonic()
        try:
            assert mailbox.wait_for_mail(20) is True
        finally:
            delivery.join()
        assert time.monotonic() - started < 10
        [uid] = mailbox.new_uids()
        assert mailbox.fetch(uid).subject == "Удалите мои данные"


def test_waiting_on_a_server_without_idle_returns_at_once(mailserver: Any) -> None:
    with Mailbox() as mailbox:
        mailbox.capabilities = frozenset({"IMAP4REV1"})
        started = time.monotonic()
        assert mailbox.wait_for_mail(20) is False
        assert time.monotonic() - started < 1
