"""Whole journeys in a real browser against a live server and a real Celery worker (DESIGN §11, issue 8).

Every email goes through the worker (nothing runs eagerly here) into a mail folder the test reads, so a
code arrives only if the worker really took the task off the broker. The broker is kombu's filesystem
transport in a folder of this test, shared by the live server and the worker and by nobody else.
Screenshots of each step land in test-artifacts/<test>/.
"""

from __future__ import annotations

import email
import io
import json
import os
import re
import subprocess
import sys
import time
import uuid
import zipfile
from collections.abc import Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from requests.models import CompanySystem, Packet, PacketStatus, PrivacyRequest, ProcessingActivity
from requests.roles import ensure_roles
from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_staff_queue import sign_in
from tests.e2e.walk import fill_request
from tests.factories import pdf_bytes
from tests.workers import database_url

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]

ROOT = Path(__file__).resolve().parents[2]
PDF = pdf_bytes()


class Mailbox:
    """The emails the worker sent, read from its filemail folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.seen: set[Path] = set()

    def messages(self) -> list[Any]:
        found = []
        for path in sorted(self.folder.glob("*.log")) if self.folder.exists() else []:
            # One file per connection; messages are separated by a line of dashes.
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    found.append(email.message_from_string(chunk.strip() + "\n", policy=policy.default))
        return found

    def mark(self) -> int:
        """How many emails there are now: `wait_for(..., after=mark)` then waits for a newer one."""
        return len(self.messages())

    def wait_for(
        self, to: str, subject: str, timeout: float = 60, *, with_pdf: bool = False, after: int = 0
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages()[after:]:
                pdfs = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
                if to in str(message["To"]) and subject in str(message["Subject"]) and (pdfs or not with_pdf):
                    return message
            time.sleep(0.5)
        raise AssertionError(
            f"no email to {to} about {subject!r}; got {[str(m['Subject']) for m in self.messages()]}"
        )

    @staticmethod
    def text(message: Any) -> str:
        part = message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""

    def code(self, to: str, subject: str, *, after: int = 0) -> str:
        found = re.search(
            r"^\s+(\d{6})\s*$", self.text(self.wait_for(to, subject, after=after)), re.MULTILINE
        )
        assert found
        return found.group(1)


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[Mailbox]:
    """A real worker on a broker folder of this test; the live server sends every task there."""
    from privacyportal.celery import app

    var = tmp_path / "var"
    broker = var / "broker"
    for sub in ("queue", "processed", "control"):
        (broker / sub).mkdir(parents=True, exist_ok=True)
    before = {
        key: app.conf.get(key) for key in ("task_always_eager", "broker_url", "broker_transport_options")
    }
    app.conf.update(
        task_always_eager=False,
        broker_url="filesystem://",
        broker_transport_options={
            "data_folder_in": str(broker / "queue"), "data_folder_out": str(broker / "queue"),
            "processed_folder": str(broker / "processed"), "control_folder": str(broker / "control"),
        },
    )  # fmt: skip
    _reset_connections(app)
    mail_dir = tmp_path / "mail"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": "",
        "VAR_DIR": str(var),
        "TEST_PRIVATE_ROOT": str(settings.PRIVATE_ROOT),  # the files the live server stored
        "EMAIL_URL": f"filemail://{mail_dir}",
    }
    log = (tmp_path / "worker.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "privacyportal", "worker", "-l", "info", "-Q", "default,pdf",
         "--pool", "solo", "--without-gossip", "--without-mingle", "-n", f"journey-{uuid.uuid4().hex[:8]}@%h"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield Mailbox(mail_dir)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        app.conf.update(before)
        _reset_connections(app)
        print((tmp_path / "worker.log").read_text()[-3000:])  # shown by pytest when the test failed


def _reset_connections(app: Any) -> None:
    """Forget the app's pools so the next task goes to the broker now configured.

    Not closed: kombu keeps pools in a registry keyed by connection, and a closed one would be handed back
    to the next test that sends a task to the same broker ("Acquire on closed pool").
    """
    app._pool = None
    app.amqp._producer_pool = None


def wait_until(check: Any, timeout: float = 90, every: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError("timed out waiting")


def test_a_russian_access_request_from_the_form_to_the_downloaded_packet(
    page: Any, browser: Any, live_server: Any, dpo: Any, worker: Mailbox, tmp_path: Path, request: Any
) -> None:
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    crm = CompanySystem.objects.create(name="Zoho CRM", owner=dpo)
    crm.activities.add(
        ProcessingActivity.objects.create(
            name="Client relationship", purposes="Running projects", data_categories="Contact details",
            legal_basis="contract", sources="You", retention="6 years", recipients="Zoho Corporation B.V.",
        )
    )  # fmt: skip

    # The data subject asks, in Russian.
    page.goto("/")
    page.get_by_role("button", name="Русский").click()
    page.get_by_role("link", name="Получить доступ к моим данным").click()
    answers = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "United Kingdom",
        "Which period?": "Everything you hold about me",
        "Your full name": "Иван Петров",
        "Your email address": "ivan@example.ru",
    }
    fill_request(page, None, answers, language="ru", on_page=lambda step: page.shot(f"ru-{step}"))
    page.get_by_role("heading", name="Запрос получен").wait_for()
    case = PrivacyRequest.objects.get(requester_email="ivan@example.ru")
    page.shot("ru-submitted")
    page.fill("[name=code]", worker.code("ivan@example.ru", case.reference))
    page.get_by_role("button", name="Подтвердить").click()
    page.get_by_role("heading", name="Адрес электронной почты подтверждён").wait_for()
    page.shot("ru-verified")

    # The DPO works the case in the admin.
    staff = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}
    )
    admin = staff.new_page()
    admin.set_default_timeout(20_000)

    def admin_shot(name: str) -> None:
        admin.screenshot(path=str(ARTIFACTS / request.node.name / f"dpo-{name}.png"), full_page=True)

    sign_in(admin, dpo)
    admin.goto(f"/admin/requests/privacyrequest/{case.pk}/change/")
    # UK GDPR: the confirmed email is enough, so the case is open and nobody had to verify it (the details the
    # requester gave are there to help find the data).
    assert admin.locator(".case-status").inner_text().startswith("Open")
    admin_shot("open")
    admin.locator("summary", has_text="Assign").click()
    admin.get_by_role("button", name="Assign").click()
    admin.locator("li.success", has_text="Assigned to").wait_for()
    admin.locator("summary", has_text="Extend").click()
    admin.get_by_label("Why we need more time").fill(
        "Five systems and twelve years of correspondence to search."
    )
    admin.get_by_role("button", name="Extend").click()
    admin.get_by_text("the requester has been told why").wait_for()
    # The extension notice, with its PDF letter, rendered by the worker's pdf queue.
    extension = worker.wait_for("ivan@example.ru", case.reference, with_pdf=True)
    extract = tmp_path / "crm-contacts.csv"
    extract.write_text("name,email,created_at\nИван Петров,ivan@example.ru,2026-06-01\n", encoding="utf-8")
    row = admin.locator(".system-row", has_text="Zoho CRM")
    row.get_by_label("State").select_option("exported")
    row.get_by_label("Extract").set_input_files(str(extract))
    row.get_by_role("button", name="Save").click()
    admin.get_by_text("Zoho CRM: Exported.").wait_for()
    admin.get_by_role("button", name="Build the packet").click()
    admin.get_by_text("The packet is being built").wait_for()
    admin_shot("building")
    wait_until(lambda: Packet.objects.get(privacy_request=case).status == PacketStatus.READY)
    admin.reload()
    admin.get_by_role("button", name="Release the packet").click()
    admin.get_by_text("Nothing has been sent yet.").wait_for()  # the email the requester will get, first
    admin_shot("release-check")
    admin.get_by_role("button", name="Confirm and send").click()
    admin.get_by_text("Released; the requester is emailed").wait_for()
    admin_shot("released")
    staff.close()
    assert "Five systems" in Mailbox.text(extension)

    # The data subject downloads the packet: signed in by code a moment ago, so with one click.
    worker.wait_for("ivan@example.ru", "готов")  # "Your data … is ready", in Russian
    page.goto("/status/")
    page.fill("[name=email]", "ivan@example.ru")
    sent = worker.mark()
    page.get_by_role("button", name="Прислать код").click()
    page.fill("[name=code]", worker.code("ivan@example.ru", "", after=sent))
    page.get_by_role("button", name="Войти").click()
    page.get_by_role("link", name=case.reference).click()
    page.shot("ru-case-ready")
    page.get_by_role("link", name="Скачать ваши данные").click()
    page.shot("ru-download")
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile(r"^Скачать ваши данные \(ZIP, ")).click()
    zipped = Path(download_info.value.path()).read_bytes()
    page.reload()  # the browser saved the file and stayed on the page; coming back, the page says so
    page.get_by_text("Вы скачали свои данные").wait_for()
    assert "после этого мы удалим копию" in page.content()
    page.shot("ru-downloaded")
    with zipfile.ZipFile(io.BytesIO(zipped)) as archive:
        names = set(archive.namelist())
        data = json.loads(archive.read("data.json"))
        manifest = json.loads(archive.read("manifest.json"))
    assert {
        "cover-letter.pdf",
        "report.pdf",
        "data.json",
        "manifest.json",
        "csv/zoho-crm-crm-contacts.csv",
    } <= names
    assert data["systems"][0]["rows"] == [
        {"name": "Иван Петров", "email": "ivan@example.ru", "created_at": "2026-06-01"}
    ]
    assert {f["name"] for f in manifest["files"]} == names - {"manifest.json"}
    assert case.events.filter(verb="packet_downloaded").count() == 1


def test_an_agents_erasure_request_confirmed_by_the_person(
    page: Any, worker: Mailbox, tmp_path: Path
) -> None:
    permission = tmp_path / "permission.pdf"
    permission.write_bytes(PDF)
    agent = {
        "Who is this request about?": "Someone who authorised me to act for them",
        "Their full name": "Sam Subject",
        "Their email address (optional)": "sam@example.org",
        "Signed permission or proof of parental responsibility": permission,
        "Which country does the person live in?": "United Kingdom",
        "Your full name": "Agnes Agent",
        "Your email address": "agent@example.org",
    }
    fill_request(page, "erasure", agent, on_page=lambda step: page.shot(f"agent-{step}"))
    page.get_by_role("heading", name="Request received").wait_for()
    case = PrivacyRequest.objects.get(requester_email="agent@example.org")
    page.fill("[name=code]", worker.code("agent@example.org", case.reference))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Email confirmed").wait_for()
    # The person the data is about is asked directly, and confirms.
    asked = Mailbox.text(worker.wait_for("sam@example.org", ""))
    link = re.search(r"https?://\S+/confirm-agent/\S+/", asked)
    assert link, asked
    page.goto(link.group(0).split("/confirm-agent/", 1)[1].join(["/confirm-agent/", ""]))
    page.shot("subject-asked")
    page.locator("button[value=yes]").click()
    page.shot("subject-confirmed")
    wait_until(lambda: PrivacyRequest.objects.get(pk=case.pk).subject_answer == "confirmed", timeout=10)
    assert case.evidence.get().kind == "agent_permission"


def test_an_opt_out_is_honoured_at_once_and_confirmed_by_email(page: Any, worker: Mailbox) -> None:
    answers = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "United States of America",
        "Which state or province do you live in?": "California (CA)",
        "Your full name": "Sam Carter",
        "Your email address": "sam@example.com",
    }
    fill_request(page, "opt_out", answers)
    page.get_by_role("heading", name="Your opt-out is in effect").wait_for()
    page.shot("opt-out-honoured")
    case = PrivacyRequest.objects.get(requester_email="sam@example.com")
    assert case.status == "completed"
    worker.wait_for("sam@example.com", case.reference)
