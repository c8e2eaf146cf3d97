"""The privacy mailbox: reading raw mail into `IncomingMail`, and an IMAP client that lists, fetches and moves it.

Plumbing only: nothing here knows about cases. A caller lists `new_uids()`, `fetch`es each one, stores what it
needs, and only then `move`s it to the processed folder, so a crash between the two leaves the message in the inbox
to be fetched again (the caller remembers Message-IDs, or UIDVALIDITY and UIDs, to avoid storing it twice).

Parsing never fetches anything: HTML is turned into plain text here and never rendered, remote images and scripts
are dropped, and a message over `MAILBOX_MAX_MESSAGE_BYTES` keeps only its headers (see `parse`).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import imaplib
import mailbox as maildir_lib
import re
import select
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, HeaderParser
from html.parser import HTMLParser
from pathlib import Path
from types import TracebackType
from typing import Self

from django.conf import settings


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class IncomingMail:
    uid: int  # the IMAP UID in the inbox folder (0 when not from IMAP)
    message_id: str  # "<...@...>" as sent, "" if none
    in_reply_to: str  # "" if none
    references: tuple[str, ...]
    sender: str  # the From address, as written (normalise with privacyportal.addresses.normalise_email)
    sender_name: str
    subject: str
    # plain text; for HTML-only mail, the HTML turned into plain text (no markup, no remote content)
    text: str
    received_at: datetime  # aware: when it reached the mailbox (IMAP INTERNALDATE)
    attachments: tuple[Attachment, ...]
    automatic: bool  # auto-reply / out-of-office / list / bulk: never creates a case or an answer
    # for a delivery-status report: the Message-ID of OUR email it bounces ("" if not a bounce / unknown)
    bounce_of: str
    is_bounce: bool
    size: int  # raw size in bytes


class MailboxError(Exception):
    """The IMAP server refused something, or the mailbox settings cannot work."""


class MessageGone(MailboxError):
    """The UID is no longer in the folder (moved or deleted by someone else)."""


def too_large(mail: IncomingMail) -> bool:
    """True for a message over MAILBOX_MAX_MESSAGE_BYTES: its text is a note and its attachments were dropped."""
    return mail.size > int(settings.MAILBOX_MAX_MESSAGE_BYTES)


# --- Parsing -------------------------------------------------------------------------------------------------------

_MSG_ID = re.compile(r"<[^<>\s]+>")
# Headers by which senders mark a message as written by a machine (RFC 3834 Auto-Submitted; the older X-Autoreply,
# X-Autorespond and Precedence that Exchange, vacation and list software still send; any mailing list).
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = {"mailer-daemon", "postmaster"}


def parse(raw: bytes, *, uid: int, received_at: datetime, size: int | None = None) -> IncomingMail:
    """Read a raw RFC 5322 message.

    `size` is the message's real size when `raw` holds only its headers (the IMAP client fetches only the headers
    of a message over the limit). A message over MAILBOX_MAX_MESSAGE_BYTES keeps its headers, so it can still be
    threaded, recognised as automatic, and moved, but its text is replaced by a note saying so and its attachments
    are dropped: the original stays in the processed folder of the mailbox for staff to read there.
    """
    size = len(raw) if size is None else size
    oversize = size > settings.MAILBOX_MAX_MESSAGE_BYTES
    message: Message
    if oversize:
        message = BytesHeaderParser(policy=email.policy.default).parsebytes(raw)
    else:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    sender_name, sender = _address(message, "From")
    automatic = _automatic(message)
    bounce_of, is_bounce = _bounce(message, sender, automatic)
    if oversize:
        text = (
            f"[This message is {size / 1_000_000:.1f} MB, over the mailbox's limit of "
            f"{settings.MAILBOX_MAX_MESSAGE_BYTES / 1_000_000:.1f} MB: its text and attachments were not read. "
            "It is kept in the processed folder of the privacy mailbox.]"
        )
        attachments: tuple[Attachment, ...] = ()
    else:
        text = _text(message)
        attachments = tuple(_attachments(message))
    references = tuple(_MSG_ID.findall(_header(message, "References")))
    return IncomingMail(
        uid=uid,
        message_id=_first_id(_header(message, "Message-ID")),
        in_reply_to=_first_id(_header(message, "In-Reply-To")),
        references=references,
        sender=sender,
        sender_name=sender_name,
        subject=_header(message, "Subject"),
        text=text,
        received_at=received_at,
        attachments=attachments,
        automatic=automatic or is_bounce,
        bounce_of=bounce_of,
        is_bounce=is_bounce,
        size=size,
    )


def _header(message: Message, name: str) -> str:
    """A header decoded (RFC 2047) and unfolded; "" when absent or beyond repair."""
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except (ValueError, IndexError, TypeError, LookupError):  # a header beyond repair never stops the message
        return ""
    return re.sub(r"\s+", " ", text).strip()


def _first_id(value: str) -> str:
    found = _MSG_ID.search(value)
    return found.group(0) if found else value.strip()


def _address(message: Message, name: str) -> tuple[str, str]:
    """(display name, address) of the first address in the header."""
    value = _header(message, name)
    display, address = email.utils.parseaddr(value)
    return display.strip(), address.strip()


def _automatic(message: Message) -> bool:
    auto_submitted = _header(message, "Auto-Submitted").split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if message.get("X-Autoreply") is not None or message.get("X-Autorespond") is not None:
        return True
    if _header(message, "Precedence").lower() in _AUTO_PRECEDENCE:
        return True
    return message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None


def _bounce(message: Message, sender: str, automatic: bool) -> tuple[str, bool]:
    """(Message-ID of the bounced email or "", whether this is a bounce).

    A bounce is a delivery-status report (RFC 3464: multipart/report; report-type=delivery-status), or a message
    from MAILER-DAEMON/postmaster, or one with a null return path (<>) that does not call itself an auto-reply
    (RFC 3834 asks auto-replies to use a null return path too, and an out-of-office is not a bounce).
    """
    is_report = (
        message.get_content_type() == "multipart/report"
        and str(message.get_param("report-type", "")).lower() == "delivery-status"
    )
    local_part = sender.rpartition("@")[0].lower() if "@" in sender else sender.lower()
    null_path = _header(message, "Return-Path").replace(" ", "") == "<>"
    is_bounce = is_report or local_part in _DAEMONS or (null_path and not automatic)
    if not is_bounce or not message.is_multipart():
        return "", is_bounce
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                return _first_id(_header(payload[0], "Message-ID")), True
        elif content_type == "text/rfc822-headers":
            headers = HeaderParser(policy=email.policy.default).parsestr(_decoded_text(part))
            return _first_id(_header(headers, "Message-ID")), True
    return "", True


def _decoded_text(part: Message) -> str:
    """A text part's content; an unknown or lying charset is read as UTF-8 with replacements."""
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, KeyError, AttributeError):
        pass
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def _text(message: Message) -> str:
    """The text/plain body when there is one, else the HTML body as plain text."""
    if not isinstance(message, EmailMessage):
        return ""
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return _decoded_text(plain).replace("\r\n", "\n").strip()
    html = message.get_body(preferencelist=("html",))
    if html is not None:
        return html_to_text(_decoded_text(html))
    return ""


def _attachments(message: Message) -> list[Attachment]:
    """Every part with a file name (and every attached message), except an HTML body's inline images."""
    found: list[Attachment] = []
    parts: list[tuple[Message, str]] = [(message, "")]
    while parts:
        part, container = parts.pop(0)
        content_type = part.get_content_type()
        if content_type == "message/rfc822":
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                name = part.get_filename() or "attached-message.eml"
                found.append(Attachment(_safe_name(name), content_type, inner[0].as_bytes()))
            continue  # what the attached message itself carries stays inside it
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                parts[:0] = [(inner, content_type) for inner in payload if isinstance(inner, Message)]
            continue
        filename = part.get_filename()
        if not filename:
            continue
        shown_by_html = part.get("Content-ID") is not None and (
            container == "multipart/related" or part.get_content_disposition() == "inline"
        )
        if shown_by_html:  # a picture the HTML body shows by cid:, not something the sender attached
            continue
        data = part.get_payload(decode=True)
        found.append(Attachment(_safe_name(filename), content_type, data if isinstance(data, bytes) else b""))
    return found


def _safe_name(filename: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    name = re.split(r"[\\/]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().strip(".") or "attachment"
    return name[-200:]


# --- HTML to text --------------------------------------------------------------------------------------------------

_SKIP = {"script", "style", "head", "title", "template", "noscript", "iframe", "object", "svg"}
# Blocks that start a new line, and those set apart by a blank line.
_LINE = {
    "address", "article", "aside", "br", "dd", "div", "dt", "fieldset", "figcaption", "footer", "form", "header",
    "li", "main", "nav", "section", "tbody", "td", "tfoot", "th", "thead", "tr",
}  # fmt: skip
_PARAGRAPH = {
    "blockquote", "dl", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "ol", "p", "pre", "table", "ul",
}  # fmt: skip
_LINE_BREAK, _PARAGRAPH_BREAK = "\x00", "\x01"  # markers, resolved once the whole text is known


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML document: no markup, no attributes (so no URLs of images or links)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)  # entities decoded
        self.chunks: list[str] = []
        self.skipping = 0
        self.pre = 0

    def _break(self, tag: str) -> None:
        if tag in _PARAGRAPH:
            self.chunks.append(_PARAGRAPH_BREAK)
        elif tag in _LINE:
            self.chunks.append(_LINE_BREAK)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag == "pre":
            self.pre += 1
        self._break(tag)
        if tag == "li" and not self.skipping:
            self.chunks.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._break(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag != "br":
            self._break(tag)

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        self.chunks.append(data if self.pre else re.sub(r"[ \t\r\n\f]+", " ", data))


def _resolve_breaks(found: re.Match[str]) -> str:
    return "\n\n" if _PARAGRAPH_BREAK in found.group(0) else "\n"


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: scripts, styles and the head dropped, entities decoded, one line per block."""
    extractor = _TextExtractor()
    extractor.feed(html.replace("\x00", "").replace("\x01", ""))
    extractor.close()
    text = "".join(extractor.chunks).replace("\xa0", " ")
    text = re.sub(r"(?:[ \t]*[\x00\x01])+[ \t]*", _resolve_breaks, text)
    text = "\n".join(line.rstrip() if line.startswith(" ") else line.strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- IMAP ----------------------------------------------------------------------------------------------------------

_MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}  # fmt: skip
_INTERNALDATE = re.compile(
    rb'INTERNALDATE "\s*(\d{1,2})-(\w{3})-(\d{4}) (\d\d):(\d\d):(\d\d) ([+-])(\d\d)(\d\d)"'
)
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}


def internaldate(response: bytes) -> datetime:
    """The INTERNALDATE in a FETCH response, as an aware UTC datetime (month names are IMAP's, not the locale's)."""
    found = _INTERNALDATE.search(response)
    if found is None:
        raise MailboxError("no INTERNALDATE in the server's answer")
    day, month, year, hour, minute, second, sign, off_h, off_m = (g.decode() for g in found.groups())
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    moment = datetime(int(year), _MONTHS[month.title()], int(day), int(hour), int(minute), int(second),
                      tzinfo=timezone(offset))  # fmt: skip
    return moment.astimezone(UTC)


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    """One IMAP session on the privacy mailbox's inbox folder: `with Mailbox() as mailbox: ...`.

    Every argument defaults to its MAILBOX_* setting. The processed folder is created when missing. Nothing is
    marked \\Seen by fetching (BODY.PEEK), so a message a caller failed to store looks untouched in a mail client.
    """

    def __init__(
        self,
        *,
        host: str | None = None,
        port: int | None = None,
        security: str | None = None,
        user: str | None = None,
        password: str | None = None,
        folder: str | None = None,
        processed_folder: str | None = None,
        timeout: float = 60,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = settings.MAILBOX_HOST if host is None else host
        self.security = (settings.MAILBOX_SECURITY if security is None else security).lower()
        if self.security not in ("ssl", "starttls", "none"):
            raise MailboxError(f"MAILBOX_SECURITY must be ssl, starttls or none, not {self.security!r}")
        if self.security == "none" and self.host not in _LOCAL_HOSTS:
            raise MailboxError("MAILBOX_SECURITY=none is only allowed for a server on this machine")
        default_port = 993 if self.security == "ssl" else 143
        self.port = (port if port is not None else settings.MAILBOX_PORT) or default_port
        self.user = settings.MAILBOX_USER if user is None else user
        self.password = settings.MAILBOX_PASSWORD if password is None else password
        self.folder = folder or settings.MAILBOX_FOLDER
        self.processed_folder = processed_folder or settings.MAILBOX_PROCESSED_FOLDER
        self.timeout = timeout
        # The system's trusted authorities and a host-name check; tests pass one trusting their own certificate.
        self.ssl_context = ssl_context or ssl.create_default_context()
        self.uidvalidity = 0
        self.capabilities: frozenset[str] = frozenset()
        self._imap: imaplib.IMAP4 | None = None

    # -- session

    def __enter__(self) -> Self:
        try:
            self.open()
        except BaseException:
            self.close()  # __exit__ will not run: a half-open session is ended here
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def open(self) -> None:
        if not self.host:
            raise MailboxError("MAILBOX_HOST is not set: mailbox intake is off")
        context = self.ssl_context
        imap: imaplib.IMAP4 | None = None
        try:
            if self.security == "ssl":
                imap = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=context, timeout=self.timeout)
            else:
                imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
                if self.security == "starttls":
                    imap.starttls(ssl_context=context)
            imap.login(self.user, self.password)
        except (OSError, imaplib.IMAP4.error) as error:
            if imap is not None:
                with contextlib.suppress(OSError):
                    imap.shutdown()
            # The server's words, never the password (imaplib does not echo it).
            raise MailboxError(f"cannot sign in to {self.host}:{self.port}: {error}") from error
        self._imap = imap
        # What the server offers once signed in (imaplib keeps only the greeting's list).
        status, data = imap.capability()
        self._check(status, "list its capabilities")
        self.capabilities = frozenset(data[-1].decode().upper().split()) if data and data[-1] else frozenset()
        self._ensure_folder(self.processed_folder)
        status, _ = imap.select(_quote(self.folder))
        self._check(status, f"select {self.folder}")
        validity = imap.response("UIDVALIDITY")[1]
        self.uidvalidity = int(validity[0]) if validity and validity[0] else 0

    def close(self) -> None:
        if self._imap is None:
            return
        imap, self._imap = self._imap, None
        # LOGOUT, not CLOSE first: CLOSE would also expunge what someone else flagged \Deleted in the folder. A
        # failure here is of no consequence: the session is going anyway.
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            imap.logout()

    @property
    def imap(self) -> imaplib.IMAP4:
        if self._imap is None:
            raise MailboxError("the mailbox is not open")
        return self._imap

    # -- messages

    def new_uids(self) -> list[int]:
        """Every UID in the inbox folder, oldest first: whatever is there has not been stored and moved yet."""
        status, data = self.imap.uid("SEARCH", "ALL")
        self._check(status, "search")
        return sorted(int(uid) for uid in (data[0] or b"").split())

    def fetch(self, uid: int) -> IncomingMail:
        """The message, without marking it \\Seen. Over the size limit, only its headers are downloaded."""
        status, data = self.imap.uid("FETCH", str(uid), "(UID INTERNALDATE RFC822.SIZE)")
        self._check(status, "fetch")
        summary = b" ".join(item for item in data if isinstance(item, bytes))
        size_found = _SIZE.search(summary)
        if size_found is None:
            raise MessageGone(f"UID {uid} is not in {self.folder}")
        size = int(size_found.group(1))
        received_at = internaldate(summary)
        part = "BODY.PEEK[HEADER]" if size > settings.MAILBOX_MAX_MESSAGE_BYTES else "BODY.PEEK[]"
        status, data = self.imap.uid("FETCH", str(uid), f"({part})")
        self._check(status, "fetch")
        raw = next((item[1] for item in data if isinstance(item, tuple)), None)
        if raw is None:
            raise MessageGone(f"UID {uid} is not in {self.folder}")
        return parse(raw, uid=uid, received_at=received_at, size=size)

    def move(self, uid: int) -> None:
        """Move the message to the processed folder. A UID that is already gone is not an error."""
        if not self._exists(uid):
            return
        target = _quote(self.processed_folder)
        if "MOVE" in self.capabilities:
            status, _ = self.imap.uid("MOVE", str(uid), target)
            self._check(status, "move")
            return
        status, _ = self.imap.uid("COPY", str(uid), target)
        self._check(status, "copy")
        status, _ = self.imap.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
        self._check(status, "store")
        if "UIDPLUS" in self.capabilities:
            status, _ = self.imap.uid("EXPUNGE", str(uid))
        else:
            # Without UIDPLUS, EXPUNGE also removes whatever else is flagged \Deleted in the folder: a mail client
            # deleting there at the same moment loses nothing it had not already deleted.
            status, _ = self.imap.expunge()
        self._check(status, "expunge")

    def wait_for_mail(self, seconds: float) -> bool:
        """Wait up to `seconds` for new mail with IMAP IDLE (RFC 2177), instead of polling again at once.

        True when the server announced a new message, False when the time ran out; False at once on a server
        without IDLE (the caller polls instead). A new message announced in the very same packet as the
        server's go-ahead may only be seen when the wait ends: it is never missed, at worst noticed late.
        """
        if "IDLE" not in self.capabilities:
            return False
        imap = self.imap
        tag: bytes = imap._new_tag()  # imaplib has no IDLE before Python 3.14
        imap.send(tag + b" IDLE\r\n")
        if not imap.readline().startswith(b"+"):
            raise MailboxError("the IMAP server refused to idle")
        arrived = False
        deadline = time.monotonic() + seconds
        while not arrived and (remaining := deadline - time.monotonic()) > 0:
            pending = imap.sock.pending() if isinstance(imap.sock, ssl.SSLSocket) else 0
            if not pending and not select.select([imap.sock], [], [], remaining)[0]:
                break
            line = imap.readline()
            if not line:
                raise MailboxError("the IMAP server closed the connection")
            arrived = line.rstrip().endswith(b"EXISTS")
        imap.send(b"DONE\r\n")
        while not (line := imap.readline()).startswith(tag):
            if not line:
                raise MailboxError("the IMAP server closed the connection")
            arrived = arrived or line.rstrip().endswith(b"EXISTS")
        if b" OK" not in line:
            raise MailboxError("the IMAP server refused to idle")
        return arrived

    # -- helpers

    def _exists(self, uid: int) -> bool:
        status, data = self.imap.uid("SEARCH", "UID", str(uid))
        self._check(status, "search")
        return str(uid).encode() in (data[0] or b"").split()

    def _ensure_folder(self, folder: str) -> None:
        status, data = self.imap.list('""', _quote(folder))
        if status == "OK" and any(item for item in data if item):
            return
        status, _ = self.imap.create(_quote(folder))
        self._check(status, f"create {folder}")

    @staticmethod
    def _check(status: str, what: str) -> None:
        if status != "OK":
            raise MailboxError(f"the IMAP server refused to {what}")


class LocalMaildir:
    """The demo's privacy mailbox (`make run`, MAILBOX_MAILDIR): a Maildir on this machine with the IMAP session's
    methods, so the sweep takes the same steps without a mail server. Taken mail goes to its processed folder
    (a Maildir++ subfolder, `.Processed`). UIDs are numbers for this session only; UIDVALIDITY is 0, so kept mail
    is known again by its Message-ID."""

    def __init__(self, path: str | None = None) -> None:
        self.path = Path(path or settings.MAILBOX_MAILDIR)
        self.uidvalidity = 0
        self._keys: dict[int, str] = {}
        self._box: maildir_lib.Maildir | None = None
        self._processed: maildir_lib.Maildir | None = None

    def __enter__(self) -> Self:
        self._box = maildir_lib.Maildir(self.path, create=True)
        self._processed = self._box.add_folder(settings.MAILBOX_PROCESSED_FOLDER)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._box = self._processed = None

    @property
    def box(self) -> maildir_lib.Maildir:
        if self._box is None:
            raise MailboxError("the maildir is not open")
        return self._box

    def new_uids(self) -> list[int]:
        """The messages in the Maildir (new and cur), oldest delivery first."""
        keys = sorted(self.box.keys(), key=lambda key: (self._delivered(key), key))
        self._keys = {uid: key for uid, key in enumerate(keys, start=1)}
        return list(self._keys)

    def _delivered(self, key: str) -> float:
        message = self.box.get_message(key)
        return float(message.get_date()) if isinstance(message, maildir_lib.MaildirMessage) else 0.0

    def fetch(self, uid: int) -> IncomingMail:
        key = self._keys.get(uid)
        try:
            if key is None:
                raise KeyError(uid)
            raw = self.box.get_bytes(key)
        except KeyError:
            raise MessageGone(f"message {uid} is not in the maildir") from None
        received_at = datetime.fromtimestamp(self._delivered(key), tz=UTC)
        return parse(raw, uid=uid, received_at=received_at, size=len(raw))

    def move(self, uid: int) -> None:
        """Into the processed folder; a message already gone is not an error."""
        key = self._keys.get(uid)
        if key is None or self._processed is None:
            return
        try:
            raw = self.box.get_bytes(key)
        except KeyError:
            return
        self._processed.add(raw)
        self.box.discard(key)
