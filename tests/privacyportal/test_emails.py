"""Emails through a real (tiny) SMTP server: one connection carries a process's emails, and an idle connection
the server dropped costs nothing but a new one."""

from __future__ import annotations

import socketserver
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as live_settings

from privacyportal import emails
from privacyportal.emails import make_message


class CountingSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every message accepted and counted, and each connection counted."""

    connections = 0
    messages: list[str] = []
    hang_up_after: int | None = None  # messages on a connection before the server drops it, as on a timeout
    refuse_421_after: int | None = None  # ...before it answers the next MAIL FROM with 421 and closes
    silent_after: int | None = None  # ...before it never answers again: a connection a firewall forgot

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        type(self).connections += 1
        sent_here = 0
        self.reply("220 counting.test ESMTP")
        for raw in self.rfile:
            verb = raw.decode(errors="replace").strip().split(" ", 1)[0].upper()
            if self.silent_after is not None and sent_here >= self.silent_after:
                continue  # reads on, answers nothing
            if verb == "MAIL" and self.refuse_421_after is not None and sent_here >= self.refuse_421_after:
                self.reply("421 4.4.2 idle too long, closing")
                return
            if verb == "DATA":
                self.reply("354 go ahead")
                lines = []
                for line in self.rfile:
                    if line == b".\r\n":
                        break
                    lines.append(line.decode(errors="replace"))
                type(self).messages.append("".join(lines))
                sent_here += 1
                self.reply("250 queued")
                if self.hang_up_after is not None and sent_here >= self.hang_up_after:
                    return  # the server closes an idle client's connection without a word
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def mail_server(settings: Any) -> Iterator[type[CountingSMTP]]:
    handler = type(
        "Handler",
        (CountingSMTP,),
        {
            "connections": 0,
            "messages": [],
            "hang_up_after": None,
            "refuse_421_after": None,
            "silent_after": None,
        },
    )
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield handler
    server.shutdown()
    server.server_close()


def send(n: int) -> None:
    make_message("audit-break", {}, to=[f"person{n}@example.org"], language="en").send()


def test_one_connection_carries_a_process_s_emails(mail_server: type[CountingSMTP]) -> None:
    for n in range(5):
        send(n)
    assert len(mail_server.messages) == 5
    assert all(f"To: person{n}@example.org" in mail_server.messages[n] for n in range(5))
    assert mail_server.connections == 1  # it was one connection per email


def test_an_email_on_a_connection_the_server_dropped_goes_on_a_new_one(
    mail_server: type[CountingSMTP],
) -> None:
    mail_server.hang_up_after = 2
    for n in range(5):
        send(n)
    assert [m.split("To: ", 1)[1].split("\n", 1)[0].strip() for m in mail_server.messages] == [
        f"person{n}@example.org" for n in range(5)
    ]
    assert mail_server.connections == 3


def recipients(mail_server: type[CountingSMTP]) -> list[str]:
    return [m.split("To: ", 1)[1].split("\n", 1)[0].strip() for m in mail_server.messages]


def test_an_email_refused_with_421_by_a_server_closing_an_idle_client_goes_on_a_new_one(
    mail_server: type[CountingSMTP],
) -> None:
    """A 421 reply (smtplib's SMTPSenderRefused) was no disconnect to `_send_kept`: the email failed."""
    mail_server.refuse_421_after = 2
    for n in range(5):
        send(n)
    assert recipients(mail_server) == [f"person{n}@example.org" for n in range(5)]
    assert mail_server.connections == 3


def test_a_421_on_a_new_connection_is_not_tried_again(mail_server: type[CountingSMTP]) -> None:
    mail_server.refuse_421_after = 0
    with pytest.raises(emails.MailNotSent, match="SMTP 421"):
        send(0)
    assert mail_server.connections == 1


def test_a_connection_idle_too_long_is_dropped_before_it_is_trusted(
    mail_server: type[CountingSMTP], settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kept connection a firewall forgot made the next email wait for ever (no EMAIL_TIMEOUT), under the lock."""
    settings.EMAIL_TIMEOUT = (
        2  # before the fix: the second email fails after it, instead of going out at once
    )
    mail_server.silent_after = 1
    send(0)
    # As if it had sat idle longer than the limit since (raising=False: fails on the wait, not the name).
    monkeypatch.setattr(emails, "KEPT_IDLE_SECONDS", 0.0, raising=False)
    started = time.monotonic()
    send(1)
    assert time.monotonic() - started < 1
    assert recipients(mail_server) == ["person0@example.org", "person1@example.org"]
    assert mail_server.connections == 2


def test_a_connection_that_goes_silent_within_the_idle_limit_costs_email_timeout(
    mail_server: type[CountingSMTP], settings: Any
) -> None:
    """smtplib reports the timeout as a disconnect: the email goes on a new connection, EMAIL_TIMEOUT later."""
    settings.EMAIL_TIMEOUT = 1
    mail_server.silent_after = 1
    send(0)
    started = time.monotonic()
    send(1)
    assert 1 <= time.monotonic() - started < 5
    assert recipients(mail_server) == ["person0@example.org", "person1@example.org"]


def test_email_timeout_is_bounded_by_default() -> None:
    assert isinstance(live_settings.EMAIL_TIMEOUT, int) and 0 < live_settings.EMAIL_TIMEOUT <= 60
