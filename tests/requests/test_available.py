"""What may be done to a case now, and why not: `services.available`, and the case page and API that read it.

The consistency test is the point of the module: for every action and a grid of case states, `available()`
offers the action exactly when its service, called with valid input, goes through, and refuses it with the
very sentence the service raises. Each call runs in a transaction the test rolls back.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import timezone

from identity import tokens
from requests import services
from requests.admin.forms import ACTIONS
from requests.lifecycle import Status
from requests.models import (
    OUTCOMES_OF,
    CompanySystem,
    Packet,
    PacketStatus,
    PrivacyRequest,
    ProcessingActivity,
)
from requests.roles import ensure_roles
from tests.factories import StaffFactory, complete_case, in_role, make_case, signed_in

# Cases here wait for staff to check identity before any work: the operator asks for matching details.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("details_to_match")]

# A Monday. A UK request received now is due on Thursday 3 April (one calendar month).
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _today() -> Any:
    ensure_roles()  # a transactional test elsewhere may have flushed the migration's groups
    with time_machine.travel(NOW, tick=False):
        yield


# --- Cases in the states that matter ---------------------------------------------------------------------------


def new_case() -> PrivacyRequest:
    """An access request whose email is not confirmed yet."""
    return make_case(kind="access")


def verifying_case() -> PrivacyRequest:
    """An access request from the UK: the email is confirmed, staff must match two details."""
    return services.confirm_email(make_case(kind="access", data_points={"phone": "+44 20 7946 0958"}))


def open_case(**fields: Any) -> PrivacyRequest:
    """A rectification from the UK: confirming the email opens it."""
    return services.confirm_email(make_case(kind="rectification", **fields))


def in_progress(by: Any, case: PrivacyRequest | None = None) -> PrivacyRequest:
    return services.assign(case or open_case(), to=by, by=by)


def access_unchecked(by: Any) -> PrivacyRequest:
    case = services.verify(verifying_case(), by=by, data_points=["phone", "postal_address"])
    return in_progress(by, case)


def access_in_progress(by: Any) -> PrivacyRequest:
    """An access request in progress whose systems are all answered: one skipped with its reason, the rest empty."""
    case = access_unchecked(by)
    for number, system in enumerate(CompanySystem.objects.filter(active=True).order_by("name")):
        skipped = number == 0
        services.record_system_check(
            case,
            by=by,
            system=system,
            state="skipped" if skipped else "no_data",
            notes="Holds only staff records." if skipped else "",
        )
    return case


def with_recipients(by: Any) -> PrivacyRequest:
    """A correction in progress whose data was found in a system serving a register entry with a recipient."""
    case = in_progress(by)
    system = CompanySystem.objects.create(name="Billing")
    system.activities.add(
        ProcessingActivity.objects.create(
            name="Billing", purposes="p", data_categories="c", legal_basis="contract", sources="s",
            retention="6 years", recipients="Acme Couriers Ltd",
        )
    )  # fmt: skip
    services.record_system_check(case, by=by, system=system, state="data_found")
    return case


def with_packet(case: PrivacyRequest, status: str) -> PrivacyRequest:
    Packet.objects.create(privacy_request=case, status=status)
    return case


def fresh(case: PrivacyRequest) -> PrivacyRequest:
    return PrivacyRequest.objects.get(pk=case.pk)


def offered(case: PrivacyRequest, actor: Any) -> list[str]:
    return [name for name, now in services.available(fresh(case), actor).items() if now.offered]


def reason(case: PrivacyRequest, action: str) -> str | None:
    return services.RULES[action].why_not(fresh(case))


# --- Who is offered what -------------------------------------------------------------------------------------


def test_every_action_has_a_rule_and_a_form_in_the_same_order() -> None:
    assert list(services.RULES) == list(ACTIONS)


def test_a_dpo_is_offered_everything_an_open_case_allows(dpo: Any) -> None:
    in_role(dpo, "DPO")
    case = open_case()
    assert offered(case, dpo) == [
        "assign", "pause", "extend", "fee", "deny", "forward", "withdraw", "log_complaint", "message", "check",
    ]  # fmt: skip
    now = services.available(fresh(case), dpo)
    assert now["complete"].permitted and now["complete"].reason == (
        f"{case.reference} is Open: assign the case first; it is answered once someone works on it."
    )
    assert now["resume"].reason == f"{case.reference} is not waiting for the requester."
    assert now["packet"].reason == "Only access and portability requests have a packet."
    assert now["release"].reason == (
        "There is no built packet waiting for release (or it was built again meanwhile)."
    )


def test_a_handler_is_not_offered_the_dpos_actions_though_the_case_allows_them(handler: Any) -> None:
    in_role(handler, "Handler")
    case = open_case()
    assert offered(case, handler) == ["assign", "pause", "withdraw", "log_complaint", "message", "check"]
    extend = services.availability(fresh(case), handler, "extend")
    assert (extend.permitted, extend.reason, extend.offered) == (False, None, False)


def test_an_auditor_is_offered_nothing_and_permitted_nothing(auditor: Any) -> None:
    in_role(auditor, "Auditor")
    case = open_case()
    assert offered(case, auditor) == []
    assert not any(now.permitted for now in services.available(fresh(case), auditor).values())


def test_a_case_checking_identity_offers_verify_but_not_the_checklist(dpo: Any) -> None:
    in_role(dpo, "DPO")
    case = verifying_case()
    assert offered(case, dpo) == [
        "assign",
        "verify",
        "pause",
        "extend",
        "deny",
        "forward",
        "withdraw",
        "log_complaint",
        "message",
    ]
    assert reason(case, "check") == f"{case.reference} is Checking identity; its checklist cannot change now."
    assert reason(case, "fee") == f"{case.reference} is Checking identity; that cannot be done now."


def test_an_access_request_in_progress_offers_its_packet_and_then_its_release(handler: Any, dpo: Any) -> None:
    in_role(dpo, "DPO")
    case = access_in_progress(handler)
    assert "packet" in offered(case, dpo) and "release" not in offered(case, dpo)
    with_packet(case, PacketStatus.READY)
    assert {"packet", "release", "complete"} <= set(offered(case, dpo))
    Packet.objects.filter(privacy_request=case).update(status=PacketStatus.RELEASED)
    assert (
        reason(case, "packet") == "This packet has been released to the requester; it can no longer change."
    )
    assert reason(case, "release") is not None


def test_a_closed_case_offers_only_a_complaint_and_a_message(dpo: Any) -> None:
    in_role(dpo, "DPO")
    case = services.withdraw(open_case(), note="By phone")
    assert offered(case, dpo) == ["log_complaint", "message"]
    PrivacyRequest.objects.filter(pk=case.pk).update(anonymised_at=timezone.now())
    assert offered(case, dpo) == []
    assert reason(case, "message") == "This case has been anonymised; there is nobody to write to."


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        pytest.param(
            lambda by: services.extend(open_case(), by=by, reason="Twelve systems"),
            "has already been extended once",
            id="already-extended",
        ),
        pytest.param(
            lambda by: open_case(country="BR"),
            "No extension is possible: LGPD allows none",
            id="regime-allows-none",
        ),
    ],
)
def test_extend_says_why_it_is_not_offered(
    dpo: Any, make: Callable[[Any], PrivacyRequest], expected: str
) -> None:
    in_role(dpo, "DPO")
    case = make(dpo)
    assert "extend" not in offered(case, dpo)
    assert expected in (reason(case, "extend") or "")


def test_extend_is_not_offered_once_the_original_due_date_has_passed(dpo: Any) -> None:
    in_role(dpo, "DPO")
    case = open_case()
    assert "extend" in offered(case, dpo)
    with time_machine.travel(NOW + timedelta(days=40), tick=False):
        assert "extend" not in offered(case, dpo)
        assert (
            reason(case, "extend") == "An extension must be sent before the original due date (3 Apr 2025)."
        )


# --- The case page and the API read it -----------------------------------------------------------------------


def test_the_case_page_offers_exactly_the_available_actions(dpo: Any) -> None:
    CompanySystem.objects.create(name="CRM", description="Customer records", owner=dpo)
    case = open_case(country="BR")  # LGPD allows no extension: "Extend" was offered here, then failed
    page = signed_in(dpo, "DPO").get(f"/admin/requests/privacyrequest/{case.pk}/change/").content.decode()
    on_page = set(re.findall(r'name="action" value="([a-z_]+)"', page))
    assert on_page == set(offered(case, dpo))
    assert "extend" not in on_page


def test_the_case_page_refuses_an_action_with_the_reason_the_api_gives(dpo: Any) -> None:
    case = services.extend(open_case(), by=dpo, reason="Twelve systems")
    page = signed_in(dpo, "DPO").post(
        f"/admin/requests/privacyrequest/{case.pk}/change/", {"action": "extend", "extend-reason": "Again"}
    )
    _token, plaintext = tokens.create_token(dpo, name="test", days=30)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").post(
        f"/api/v1/cases/{case.reference}/extend/",
        json.dumps({"reason": "Again"}),
        content_type="application/json",
    )
    expected = f"{case.reference} has already been extended once."
    assert page.status_code == 400 and expected in page.content.decode()
    assert api.status_code == 409 and api.json()["detail"] == expected


def test_the_api_lists_the_available_actions_in_their_order(handler: Any) -> None:
    case = in_progress(handler)
    _token, plaintext = tokens.create_token(in_role(handler, "Handler"), name="test", days=30)
    detail = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}").get(f"/api/v1/cases/{case.reference}/").json()
    assert detail["actions"] == offered(case, handler) == [
        "assign", "pause", "complete", "withdraw", "log_complaint", "message", "check",
    ]  # fmt: skip


# --- available() and the services never disagree -------------------------------------------------------------


class _Undo(Exception):
    """Raised to roll back one service call of the consistency grid."""


def _call(action: str, case: PrivacyRequest, by: Any, other: Any, system: CompanySystem) -> None:
    """Call the action's service with input it accepts, so that only the case's state can refuse it."""
    calls: dict[str, Callable[[], Any]] = {
        "assign": lambda: services.assign(case, to=other, by=by),
        "verify": lambda: services.verify(case, by=by, data_points=["phone", "postal_address", "account_reference"]),
        "compare": lambda: services.connectors.compare(case, by=by),
        "pause": lambda: services.pause(case, by=by, reason="Which account?"),
        "resume": lambda: services.resume(case, by=by),
        "extend": lambda: services.extend(case, by=by, reason="Twelve systems"),
        "fee": lambda: services.quote_fee(
            case, by=by, amount=Decimal("10.00"), currency="GBP", reason="repetitive",
            breakdown=[("Copying", Decimal("10.00"))],
        ),
        "complete": lambda: services.complete(case, by=by, outcome="no_data"),
        "decide": lambda: services.decide(
            case, by=by, outcome=OUTCOMES_OF.get(case.kind, ("appeal_granted",))[0], reasons="We looked again.",
        ),
        "deny": lambda: services.deny(case, by=by, reason="manifestly_unfounded", explanation="Answered twice."),
        "forward": lambda: services.forward(case, by=by, controller="Acme Ltd"),
        "withdraw": lambda: services.withdraw(case, by=by, note="By phone"),
        "log_appeal": lambda: services.appeal(case, by=by, reasons="Delete it all.", channel="email"),
        "log_complaint": lambda: services.complain(case, by=by, complaint="Too slow.", channel="post"),
        "message": lambda: services.send_message(case, by=by, body="Hello"),
        "check": lambda: services.record_system_check(case, by=by, system=system, state="no_data"),
        "owner_tasks": lambda: services.open_tasks(case, by=by),
        "connectors": lambda: services.connectors.start(case, by=by),
        "lift": lambda: services.lift_restriction(case, by=by, reason="Your address is accurate."),
        "recipients": lambda: services.record_recipient_notice(
            case, by=by, recipient="Acme Couriers Ltd", not_told_reason="Gone out of business."
        ),
        "packet": lambda: services.request_packet(case, by=by),
        "release": lambda: services.release_packet(case, by=by),
    }  # fmt: skip
    calls[action]()


def _anonymised(case: PrivacyRequest) -> PrivacyRequest:
    PrivacyRequest.objects.filter(pk=case.pk).update(anonymised_at=timezone.now())
    return case


def _past_due(by: Any) -> PrivacyRequest:
    with time_machine.travel(NOW - timedelta(days=45), tick=False):
        return open_case()


STATES: dict[str, Callable[[Any], PrivacyRequest]] = {
    "new": lambda by: new_case(),
    "verifying": lambda by: verifying_case(),
    "open": lambda by: open_case(),
    "open-extended": lambda by: services.extend(open_case(), by=by, reason="Twelve systems"),
    "open-past-due": _past_due,
    "open-no-extension-in-law": lambda by: open_case(country="BR"),
    "in-progress": lambda by: in_progress(by),
    "in-progress-with-recipients": with_recipients,
    "completed-restriction": lambda by: complete_case(
        in_progress(by, services.confirm_email(make_case(kind="restriction", objection_grounds="Inaccurate"))), by=by
    ),
    "access-in-progress": access_in_progress,
    "access-in-progress-unchecked": access_unchecked,
    "access-packet-queued": lambda by: with_packet(access_in_progress(by), PacketStatus.QUEUED),
    "access-packet-ready": lambda by: with_packet(access_in_progress(by), PacketStatus.READY),
    "access-packet-released": lambda by: with_packet(access_in_progress(by), PacketStatus.RELEASED),
    "awaiting-requester": lambda by: services.pause(open_case(), by=by, reason="Which account?"),
    "awaiting-while-verifying": lambda by: services.pause(verifying_case(), by=by, reason="Your address?"),
    "fee-pending": lambda by: services.quote_fee(
        open_case(), by=by, amount=Decimal("5.00"), currency="GBP", reason="excessive",
        breakdown=[("Postage", Decimal("5.00"))],
    ),
    "completed-access": lambda by: complete_case(access_in_progress(by), by=by),
    "completed-access-packet-ready": lambda by: _completed_with_ready_packet(by),
    "denied": lambda by: services.deny(open_case(), by=by, reason="excessive", explanation="Third time."),
    "withdrawn": lambda by: services.withdraw(open_case(), note="By phone"),
    "forwarded": lambda by: services.forward(open_case(), by=by, controller="Acme Ltd"),
    "expired": lambda by: services.expire(new_case()),
    "anonymised": lambda by: _anonymised(services.withdraw(open_case(), note="By phone")),
    "denied-virginian": lambda by: refused_virginian(by),
    "done-in-part-virginian": lambda by: complete_case(
        in_progress(by, services.verify(virginian(), by=by, data_points=["phone", "postal_address"])), by=by,
        outcome="partially_fulfilled",
    ),
    "appealed-virginian": lambda by: appealed(refused_virginian(by)),
    "appeal-open": lambda by: services.appeal(refused_virginian(by), reasons="Delete it all."),
    "appeal-in-progress": lambda by: in_progress(by, services.appeal(refused_virginian(by), reasons="Delete it.")),
    "complaint-open": lambda by: services.complain(open_case(), complaint="Too slow."),
}  # fmt: skip


def virginian() -> PrivacyRequest:
    """An erasure request from Virginia whose email is confirmed: staff match two details."""
    return services.confirm_email(make_case(kind="erasure", country="US", subdivision="VA"))


def refused_virginian(by: Any) -> PrivacyRequest:
    return services.deny(virginian(), by=by, reason="legal_exemption", explanation="Tax law keeps invoices.")


def appealed(case: PrivacyRequest) -> PrivacyRequest:
    """The refused case, once its requester has appealed it from the status page."""
    services.appeal(case, reasons="Delete it all.")
    return case


def _completed_with_ready_packet(by: Any) -> PrivacyRequest:
    """Completed as holding no data, then a packet built anyway: it may still be released (PACKET_FROM)."""
    case = services.complete(access_in_progress(by), by=by, outcome="no_data")
    return with_packet(case, PacketStatus.READY)


@pytest.mark.parametrize("state", sorted(STATES))
def test_available_offers_an_action_exactly_when_its_service_goes_through(dpo: Any, state: str) -> None:
    by = in_role(dpo, "DPO")
    other = in_role(StaffFactory(username="colleague"), "Handler")
    # No connector reaches it: its owner is sent a task (the "owner_tasks" action).
    system = CompanySystem.objects.create(
        name="CRM", description="Customer records", owner=dpo, owner_email="crm-owner@example.com"
    )
    CompanySystem.objects.create(name="Shop", connector="sql")  # a connector reaches it ("connectors")
    case = STATES[state](by)
    before = (fresh(case).status, case.events.count())
    disagreements = []
    for action in services.RULES:
        expected = services.availability(fresh(case), by, action)
        assert expected.permitted, action  # a DPO may do everything: only the case's state can refuse
        try:
            with transaction.atomic():
                _call(action, fresh(case), by, other, system)
                raise _Undo
        except _Undo:
            refused = None
        except services.TransitionError as error:
            refused = str(error)
        if refused != expected.reason:
            disagreements.append((action, expected.reason, refused))
    assert disagreements == [], f"{state}: (action, available() says, the service says)"
    assert (fresh(case).status, case.events.count()) == before  # every call was rolled back


def test_the_grid_covers_every_status_and_both_answers_for_every_action(dpo: Any) -> None:
    by = in_role(dpo, "DPO")
    CompanySystem.objects.create(name="CRM", owner_email="crm-owner@example.com")  # for "owner_tasks"
    CompanySystem.objects.create(name="Shop", connector="sql")  # for "connectors"
    cases = [STATES[state](by) for state in STATES]
    assert {Status(c.status) for c in cases} == set(Status)
    for action in services.RULES:
        answers = {reason(c, action) is None for c in cases}
        assert answers == {True, False}, action
