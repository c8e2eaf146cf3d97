"""The one email helper: templates/emails/<name>-subject.txt, -body.txt and optional -body.html."""

from __future__ import annotations

import contextlib
import logging
import smtplib
import threading
import time
from collections.abc import Sequence
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

from .outbox import OutboxTask, mark_email_sent, running
from .typography import tidy

logger = logging.getLogger(__name__)

# Options of every task that sends email: retried with backoff while the mail server is unreachable.
EMAIL_TASK: dict[str, Any] = {
    "base": OutboxTask,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": True,
    "max_retries": 5,
    "time_limit": 60,
    "soft_time_limit": 50,
}


class MailNotSent(OSError):
    """The mail server would not take an email: which email and case, and the SMTP code, never the address.

    An OSError like the refusals it replaces, so EMAIL_TASK retries it as before. smtplib's own exceptions
    carry the recipient's address (and the server's reply, which often repeats it) in their text, and Celery
    logs that text on every retry and in the failure's traceback (issue 15), so they never leave `send`.
    """


def _smtp_summary(error: smtplib.SMTPException) -> str:
    """What went wrong, by SMTP code only."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _reply in error.recipients.values()})
        return f"recipient refused, SMTP {'/'.join(codes) or '-'}"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{type(error).__name__}, SMTP {error.smtp_code}"
    return type(error).__name__


class PortalMessage(EmailMultiAlternatives):
    """An email that says which template and case it is when the mail server refuses it.

    Built by an outbox task, it is that row's email `number`: sent once the mail server accepted it, a later copy
    of the row (the worker killed before the row was marked delivered) does not send it again.
    """

    def __init__(self, *args: Any, about: str, number: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.about = about
        self.number = number

    def send(self, fail_silently: bool = False) -> int:
        run = running()
        if run is not None and self.number is not None and self.number <= run.emails_sent:
            logger.info("email %s was sent by an earlier copy of its task; not sent again", self.about)
            return 1
        try:
            kept = None if self.connection or fail_silently else _kept_smtp()
            if run is None or self.number is None:
                return (
                    _send_kept(kept, self) if kept is not None else super().send(fail_silently=fail_silently)
                )
            if kept is not None:
                # The kept connection says no QUIT after each email: the row is marked as soon as the server took it.
                sent = _send_kept(kept, self)
                if sent:
                    mark_email_sent(run, self.number)
                return int(sent or 0)
            # Our own connection, so the row is marked before the goodbye to the mail server (QUIT), not after.
            connection = self.get_connection(fail_silently)
            connection.open()
            try:
                sent = connection.send_messages([self])
                if sent:
                    mark_email_sent(run, self.number)
            finally:
                connection.close()
            return int(sent or 0)
        except smtplib.SMTPException as error:
            summary = f"email {self.about} not sent: {_smtp_summary(error)}"
        logger.warning("%s", summary)
        # Outside the except block, and `from None`: no traceback or log line carries smtplib's exception.
        raise MailNotSent(summary) from None


# One SMTP connection per process, opened by its first email and kept for the next: a worker sending every
# verification email paid for a TCP connection, EHLO, and in production STARTTLS and AUTH, for each of them.
_kept: dict[tuple[Any, ...], SMTPBackend] = {}
_kept_lock = threading.Lock()
# A kept connection idle longer than this is dropped before the next email rather than trusted: a firewall or NAT
# forgets an idle connection without a word (the next email would wait EMAIL_TIMEOUT, holding the lock), and
# servers close idle clients after a while (a 421 reply to the next command, handled in `_send_kept`).
KEPT_IDLE_SECONDS = 60.0
_last_used: dict[int, float] = {}  # by id() of the kept backend: when its connection last carried an email


def _kept_smtp() -> SMTPBackend | None:
    """This process's SMTP connection for the mail server the settings name now; None for other backends."""
    if settings.EMAIL_BACKEND != "django.core.mail.backends.smtp.EmailBackend":
        return None
    server = (settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD,
              settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL, settings.EMAIL_TIMEOUT)  # fmt: skip
    with _kept_lock:
        if server not in _kept:
            for old in _kept.values():
                with contextlib.suppress(OSError):  # a server that is gone cannot be told QUIT
                    old.close()
            _kept.clear()
            _last_used.clear()
            _kept[server] = get_connection()
        return _kept[server]


def _drop(backend: SMTPBackend) -> None:
    """Close without QUIT: on a connection a firewall forgot, QUIT would wait EMAIL_TIMEOUT for no reply."""
    if backend.connection is not None:
        with contextlib.suppress(OSError):
            backend.connection.close()
        backend.connection = None


def _server_closed(error: BaseException) -> bool:
    """Did the server close the connection before it took the email's DATA? A disconnect, or a 421 reply (a
    server closing an idle client answers the next command with 421) to MAIL FROM or every RCPT TO."""
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return True
    if isinstance(error, smtplib.SMTPSenderRefused):
        return error.smtp_code == 421
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code == 421 for code, _reply in error.recipients.values())
    return False


def _send_kept(backend: SMTPBackend, message: EmailMultiAlternatives) -> int:
    """Send on the kept connection; once more on a new one if the server closed it while it sat idle (servers
    drop idle clients after a few minutes, some with a 421 reply). One idle longer than KEPT_IDLE_SECONDS is not
    trusted at all. Any other failure closes it, so the next email starts afresh."""
    with _kept_lock:
        if (
            backend.connection is not None
            and time.monotonic() - _last_used.get(id(backend), 0.0) > KEPT_IDLE_SECONDS
        ):
            _drop(backend)
        fresh = backend.open()
        try:
            try:
                return backend.send_messages([message])
            except (smtplib.SMTPException, ConnectionError) as error:
                # Sent again only when the server closed the connection. A 421 counts only before DATA (MAIL
                # FROM, RCPT TO), when the server cannot have the email; a disconnect (or a timeout, which smtplib
                # reports as one) may come after DATA, and then the email may go twice: with the same
                # Message-ID, which lets mail systems drop the copy.
                if fresh or not _server_closed(error):
                    raise
                with contextlib.suppress(OSError):
                    backend.close()
                backend.open()
                return backend.send_messages([message])
        except BaseException:
            with contextlib.suppress(OSError):
                backend.close()
            raise
        finally:
            _last_used[id(backend)] = time.monotonic()


def new_message_id() -> tuple[str, int | None]:
    """A Message-ID of our own, on the portal's domain: a reply or a bounce quoting it names the email (§14).

    In an outbox task, the row's task id and the email's number in it (with that number): every copy of the row
    gives its email the same Message-ID, so a copy sent twice is one message to mail systems that drop
    duplicates, and to our mailbox. The task id is random and says nothing of the case or the person.
    """
    domain = urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"
    run = running()
    if run is None:
        return make_msgid(domain=domain), None
    run.emails_built += 1
    return f"<{run.task_id}.{run.emails_built}@{domain}>", run.emails_built


def make_message(
    name: str,
    context: dict[str, Any],
    *,
    to: Sequence[str],
    language: str = "en",
    to_requester: bool = False,
) -> EmailMultiAlternatives:
    """Render one email in the recipient's language, with a Message-ID of our own.

    An email `to_requester` about their case answers to the privacy mailbox, where a reply joins the case's thread.
    """
    context = {
        "operator_name": settings.PRIVACY_OPERATOR_NAME,
        "operator_address": settings.PRIVACY_OPERATOR_ADDRESS,
        "dpo_email": settings.PRIVACY_DPO_EMAIL,
        **context,
    }
    with translation.override(language):
        subject = tidy(" ".join(render_to_string(f"emails/{name}-subject.txt", context).split()), language)
        body = tidy(render_to_string(f"emails/{name}-body.txt", context), language)
        # Both HTML forms share the frame of emails/_branded.html, which names the email and its language.
        framed = {**context, "subject": subject, "language": language}
        try:
            html = tidy(render_to_string(f"emails/{name}-body.html", framed), language)
        except TemplateDoesNotExist:
            # Every email has an HTML part: the text, escaped, with links and paragraphs, in the house layout.
            html = render_to_string("emails/_layout.html", {**framed, "body": body})
    privacy_request = context.get("privacy_request")
    about = f"{name} (case {privacy_request.reference})" if privacy_request is not None else name
    reply_to = (
        [settings.PRIVACY_MAILBOX_ADDRESS] if to_requester and settings.PRIVACY_MAILBOX_ADDRESS else None
    )
    message_id, number = new_message_id()
    message = PortalMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        list(to),
        reply_to=reply_to,
        headers={"Message-ID": message_id},
        about=about,
        number=number,
    )
    message.attach_alternative(html, "text/html")
    return message
