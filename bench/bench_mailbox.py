"""Budget (issue 23): 1,000 messages waiting in the privacy mailbox are taken by one sweep in < 120 s.

A private Dovecot (tests/mailserver.py: `apt-get install dovecot-imapd` gives the program) holds 1,000 messages:
850 new requests in English and Russian (one in five with a small PDF), 100 replies naming one of 50 open cases
by reference from its requester, 50 out-of-office replies. One run of `requests.sweeps.mailbox()` fetches each
over IMAP, keeps it (inbox item, or the case's thread) and moves it to Processed, as the beat sweep does. Checked
after: the inbox is empty, Processed holds 1,000, and every message was kept exactly once (850 + 50 items, 100
replies on their cases). Needs PostgreSQL (the database `privacyportal_bench_mailbox` is created and dropped
here). About a minute.

    .venv/bin/python bench/bench_mailbox.py
"""

from __future__ import annotations

import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

# The project root, so that `bench.common` (and Django's apps) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Row, django_environment, drop_database, finish, recreate_database

DATABASE = "privacyportal_bench_mailbox"
MESSAGES = 1_000
NEW, REPLIES, AUTOMATIC = 850, 100, 50
CASES = 50
BUDGET_S = 120.0
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def message(sender: str, subject: str, text: str, *, pdf: bool = False, automatic: bool = False) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, "privacy@example.com", subject
    mail["Message-ID"] = make_msgid(domain="bench.example")
    if automatic:
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content(text)
    if pdf:
        mail.add_attachment(PDF, maintype="application", subtype="pdf", filename="letter.pdf")
    return mail.as_bytes()


def main() -> None:
    recreate_database(DATABASE)
    django_environment(DATABASE, MAILBOX_SECURITY="none")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from requests import services, sweeps
    from requests.models import InboxItem, Message
    from tests.mailserver import Dovecot

    call_command("migrate", verbosity=0)
    server = Dovecot()
    server.start()
    try:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        cases = [
            services.confirm_email(
                services.submit(
                    services.NewRequest(
                        kind="access", requester_name=f"Person {n}", requester_email=f"person{n}@example.org",
                        country="GB",
                    )
                )
            )
            for n in range(CASES)
        ]  # fmt: skip
        raw = []
        for n in range(NEW):
            if n % 2:
                raw.append(message(f"Анна {n} <anna{n}@example.ru>", "Удалите мои данные",
                                   "Прошу удалить все мои персональные данные.", pdf=n % 5 == 0))  # fmt: skip
            else:
                raw.append(message(f"Sam {n} <sam{n}@example.com>", "Data request",
                                   "Please send me a copy of my personal data.", pdf=n % 5 == 0))  # fmt: skip
        for n in range(REPLIES):
            case = cases[n % CASES]
            raw.append(message(case.requester_email, f"Re: {case.reference}", f"My answer number {n}."))
        for n in range(AUTOMATIC):
            raw.append(message(f"away{n}@example.org", "Out of office", "I am away.", automatic=True))
        server.append_many(raw)
        assert len(server.uids("INBOX")) == MESSAGES

        started = time.perf_counter()
        taken = sweeps.mailbox()
        elapsed = time.perf_counter() - started

        assert taken == MESSAGES, taken
        assert server.uids("INBOX") == [] and len(server.uids("Processed")) == MESSAGES
        assert InboxItem.objects.filter(state="new").count() == NEW
        assert InboxItem.objects.filter(state="ignored").count() == AUTOMATIC
        assert Message.objects.filter(author_kind="requester").count() == REPLIES
    finally:
        server.stop()
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
    print(f"{MESSAGES} messages in {elapsed:.1f} s ({MESSAGES / elapsed:.0f} a second)")
    finish(
        [
            Row(
                benchmark="bench_mailbox.py",
                measure=f"one sweep of {MESSAGES:,} messages (IMAP fetch, keep, move)",
                budget=f"< {BUDGET_S:.0f} s",
                measured=f"{elapsed:.1f} s ({MESSAGES / elapsed:.0f}/s)",
                ok=elapsed < BUDGET_S,
            )
        ]
    )


if __name__ == "__main__":
    main()
