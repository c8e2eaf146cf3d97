"""The Content Security Policy in a real browser: no inline style or script is allowed, and no page needs one.

A page that still carried a `style="..."` attribute or a `<style>` element would lose that styling in the browser
(Chromium logs "Applying inline style violates the following Content Security Policy directive ..."); the tests
here fail on any such console message, and on a policy that still allows inline styles.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from identity import enrolment
from requests import services
from requests.models import CompanySystem
from requests.roles import ensure_roles
from tests.e2e.conftest import open_page
from tests.e2e.test_staff_queue import sign_in
from tests.e2e.walk import fill_request, press
from tests.factories import PASSWORD, make_case

# A browser keeps the machine's clock: not run in the clock-shifted pass.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock]


class Policy:
    """A page that records every console message and response header the Content Security Policy causes."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.refusals: list[str] = []
        self.policies: set[str] = set()
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or message.text.startswith("Refused to"):
            self.refusals.append(f"{self.page.url}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.request.resource_type == "document":
            self.policies.add(response.headers.get("content-security-policy", "(none)"))

    def visit(self, name: str, path: str | None = None) -> None:
        if path is not None:
            self.page.goto(path)
        self.page.wait_for_load_state("load")
        self.page.shot(name)

    def assert_strict(self) -> None:
        for policy in self.policies:
            style_src = re.search(r"style-src ([^;]*)", policy)
            assert style_src and "'unsafe-inline'" not in style_src.group(1), policy
        assert not self.refusals, "\n".join(self.refusals)


@pytest.fixture
def policy(browser: Any, live_server: Any, request: Any) -> Iterator[Policy]:
    context, page = open_page(browser, live_server, request)
    yield Policy(page)
    context.close()


def test_public_pages_need_no_inline_style(policy: Policy) -> None:
    page = policy.page
    policy.visit("home", "/")
    policy.visit("start", "/requests/new/")
    # The question pages, one in error, and "check your answers" (a Californian's request has the most pages).
    answers = {
        "Who is this request about?": "Me",
        "Which country do you live in?": "United States of America",
        "Which state or province do you live in?": "California (CA)",
        "Which period?": "Everything you hold about me",
    }
    fill_request(page, "access", answers, on_page=policy.visit, until="contact")
    press(page, "Continue")
    policy.visit("contact-errors")
    contact = {"Your full name": "Ada Lovelace", "Your email address": "ada@example.org"}
    fill_request(page, None, contact, send=False)
    policy.visit("check")
    policy.visit("status-sign-in", "/status/")
    case = services.confirm_email(make_case(kind="rectification"))
    page.get_by_label("The email address you used for your request").fill(case.requester_email)
    page.get_by_role("button", name="Send me a code").click()
    found = re.search(r"^\s+(\d{6})$", str(mail.outbox[-1].body), re.MULTILINE)
    assert found, mail.outbox[-1].body
    page.get_by_label("6-digit code from the email").fill(found.group(1))
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Your requests").wait_for()
    policy.visit("status-case", f"/status/cases/{case.reference}/")
    policy.visit("api-docs", "/api/docs/")
    policy.assert_strict()


def test_staff_pages_need_no_inline_style(policy: Policy, dpo: Any, handler: Any) -> None:
    page = policy.page
    ensure_roles()
    dpo.groups.add(Group.objects.get(name="DPO"))
    system = CompanySystem.objects.create(name="Zoho CRM", owner=dpo)
    case = services.confirm_email(make_case(kind="erasure"))
    policy.visit("admin-sign-in", "/admin/")
    sign_in(page, dpo)
    policy.visit("admin-index")
    policy.visit("queue", "/admin/requests/privacyrequest/")
    policy.visit("case", f"/admin/requests/privacyrequest/{case.pk}/change/")
    policy.visit("log-a-letter", "/admin/requests/privacyrequest/add/")
    policy.visit("dashboard", "/admin/dashboard/")
    policy.visit("api-tokens", "/admin/tokens/")
    policy.visit("audit-events", "/admin/requests/requestevent/")
    # The register in both languages: no tabs, so nothing to script (modeltranslation's tabs need jQuery UI).
    policy.visit("register-entry", "/admin/requests/processingactivity/add/")
    policy.visit("company-system", f"/admin/requests/companysystem/{system.pk}/change/")

    page.context.clear_cookies()  # a new member of staff enrols a device by a DPO's link, sees backup codes
    _row, link = enrolment.issue(handler)
    page.goto("/admin/enrol/" + link.rsplit("/admin/enrol/", 1)[1])
    policy.visit("enrol-password")
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("heading", name="Set up two-factor sign-in").wait_for()
    policy.visit("enrol")
    device = TOTPDevice.objects.get(user=handler)
    page.get_by_label("The 6-digit code your app shows").fill(f"{totp(device.bin_key):06d}")
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("heading", name="Your backup codes").wait_for()
    policy.visit("backup-codes")
    policy.assert_strict()
