"""A mail server that refuses the requester's address: the logs say which email, case and SMTP code, never the
address (issue 15, item 7)."""

from __future__ import annotations

import logging
import socketserver
import threading
import traceback
import uuid
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from celery.app.trace import build_tracer

from identity.tasks import send_verification_email
from requests.tasks import send_requester_email
from tests.factories import make_case

pytestmark = pytest.mark.django_db

ADDRESS = "zoya.refused@example.ru"


class RefusingSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every RCPT TO is refused with a reply that repeats the address, as real
    servers' replies do."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 refusing.test ESMTP")
        for raw in self.rfile:
            command = raw.decode(errors="replace").strip()
            verb = command.split(" ", 1)[0].upper()
            if verb == "RCPT":
                address = command.split(":", 1)[1].strip()
                self.reply(f"550 5.1.1 {address}: Recipient address rejected: User unknown")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def refusing_mail_server(settings: Any) -> Iterator[None]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSMTP)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.server_address[1]
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    yield
    server.shutdown()
    server.server_close()


def everything_logged(records: list[logging.LogRecord]) -> str:
    """Each record as any handler could write it: the message, its arguments, and the traceback."""
    parts = []
    for record in records:
        parts += [record.getMessage(), repr(record.args), record.exc_text or ""]
        if record.exc_info and record.exc_info[1] is not None:
            parts += traceback.format_exception(record.exc_info[1])
    return "\n".join(parts)


def run_as_a_worker(task: Any, args: list[Any], *, retries: int) -> None:
    """Run `task` as a worker does (Celery's tracer, which writes the retry and failure lines), its
    `retries`-th time; a retry is scheduled nowhere."""
    tracer = build_tracer(task.name, task, eager=False, propagate=False, app=task.app)
    with mock.patch.object(task, "apply_async"):
        tracer(str(uuid.uuid4()), args, {}, {"retries": retries})


@pytest.mark.parametrize(
    ("task", "args"),
    [(send_requester_email, ["request-received"]), (send_verification_email, [])],
    ids=["requester-email", "verification-email"],
)
def test_a_refused_recipient_is_logged_by_case_and_code_never_by_address(
    refusing_mail_server: None, caplog: pytest.LogCaptureFixture, task: Any, args: list[Any]
) -> None:
    case = make_case(requester_email=ADDRESS)
    caplog.set_level(logging.DEBUG)
    run_as_a_worker(task, [case.pk, *args], retries=0)  # refused: retried later
    run_as_a_worker(task, [case.pk, *args], retries=task.max_retries)  # refused for the last time: failed
    logged = everything_logged(caplog.records)
    assert ADDRESS not in logged and "zoya.refused" not in logged
    # Celery's own lines are among those checked: the retry, and the failure with its traceback.
    assert " retry: Retry in " in logged and " raised unexpected: " in logged
    assert f"(case {case.reference}) not sent: recipient refused, SMTP 550" in logged
