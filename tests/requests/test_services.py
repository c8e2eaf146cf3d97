from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from requests import services
from requests.lifecycle import Status
from requests.models import CompanySystem, PrivacyRequest, RequestEvent, SystemCheck
from requests.selectors import verification_tier
from requests.services import TransitionError
from tests.factories import complete_case, make_case

pytestmark = pytest.mark.django_db

SAT_8_FEB = datetime(2025, 2, 8, 10, 0, tzinfo=UTC)


def verbs(case: PrivacyRequest) -> list[str]:
    return list(case.events.order_by("seq").values_list("verb", flat=True))


def last_event(case: PrivacyRequest) -> RequestEvent:
    return case.events.latest("seq")


def open_case(dpo: Any, **fields: Any) -> PrivacyRequest:
    case = make_case(kind="rectification", **fields)  # email tier: confirming the email opens it
    return services.confirm_email(case)


@time_machine.travel(SAT_8_FEB, tick=False)
def test_submit_logs_the_case_with_its_deadlines(data_subject: dict[str, str]) -> None:
    case = make_case(**data_subject)
    assert case.reference == f"PR-2025-{case.pk:06d}"
    assert case.status == Status.NEW
    assert case.regimes == ["policy", "uk_gdpr"]
    assert (case.governing_regime, case.due_at, case.extended_due_at) == (
        "uk_gdpr",
        date(2025, 3, 10),
        date(2025, 5, 8),
    )
    assert verbs(case) == ["submitted"]


@time_machine.travel(SAT_8_FEB, tick=False)
def test_a_new_case_takes_the_operators_establishment_and_an_old_one_keeps_its_regimes(settings: Any) -> None:
    before = make_case(country="JP")
    assert (before.regimes, before.governing_regime, before.due_at) == (
        ["policy"],
        "policy",
        date(2025, 3, 24),
    )
    settings.PRIVACY_ESTABLISHMENT = ("GB",)
    case = make_case(country="JP", requester_email="kenji@example.jp")
    # UK GDPR Art. 3(1): an operator established in the UK owes a requester in Japan its one month too.
    assert case.regimes == ["policy", "uk_gdpr"]
    assert (case.governing_regime, case.due_at, case.extended_due_at) == (
        "uk_gdpr", date(2025, 3, 10), date(2025, 5, 8),
    )  # fmt: skip
    before.refresh_from_db()
    assert (before.regimes, before.due_at) == (["policy"], date(2025, 3, 24))


@time_machine.travel(SAT_8_FEB, tick=False)
def test_staff_log_a_letter_with_its_real_received_date(dpo: Any) -> None:
    received = datetime(2025, 1, 31, 9, 0, tzinfo=UTC)
    case = services.submit(
        services.NewRequest(
            kind="access",
            requester_name="A",
            requester_email="a@example.org",
            country="GB",
            channel="post",
            received_at=received,
        ),
        by=dpo,
    )
    assert case.due_at == date(2025, 2, 28)
    assert case.events.get().actor == dpo
    # Staff check identity themselves: no emailed code, the case waits for them.
    assert case.status == Status.VERIFYING and case.email_verified_at is None


def test_received_date_cannot_be_in_the_future() -> None:
    with pytest.raises(ValidationError) as error:
        make_case(received_at=datetime(2999, 1, 1, tzinfo=UTC))
    assert "received_at" in error.value.message_dict


@pytest.mark.parametrize(
    ("kind", "marketing_only"), [("opt_out", False), ("limit_sensitive", False), ("objection", True)]
)
def test_opt_outs_and_marketing_objections_are_honoured_at_once(kind: str, marketing_only: bool) -> None:
    case = make_case(kind=kind, marketing_only=marketing_only, country="US", subdivision="CA")
    assert case.status == Status.COMPLETED
    assert case.closed_at is not None
    # Opt-outs and marketing objections also put the address on the suppression list (tests/requests/test_suppression.py).
    assert verbs(case) == ["submitted", "honoured", *(["suppressed"] if kind != "limit_sensitive" else [])]


def test_an_objection_on_other_grounds_waits_for_the_email() -> None:
    assert make_case(kind="objection", objection_grounds="profiling").status == Status.NEW


def test_a_third_californian_request_to_know_in_a_year_is_flagged_repetitive_not_refused() -> None:
    ca = {"country": "US", "subdivision": "CA"}
    first = services.confirm_email(make_case(**ca))
    second = services.confirm_email(make_case(requester_email="ADA@example.org", **ca))
    third = make_case(kind="portability", **ca)
    erasure = make_case(kind="erasure", **ca)
    flags = [c.repetitive for c in (first, second, third, erasure)]
    assert flags == [False, False, True, False]  # CCPA: twice in 12 months; an erasure never
    assert third.status == Status.NEW


def test_a_request_about_a_customers_data_is_a_processor_request() -> None:
    assert make_case(customer_name="Acme Ltd").processor_request is True


CALIFORNIA = {"country": "US", "subdivision": "CA"}


@pytest.mark.parametrize("kind", ["access", "portability", "erasure", "rectification", "restriction"])
@pytest.mark.parametrize("country", ["GB", "DE", "BR", "RU", "CH", "TR", "KR"])
def test_the_confirmed_email_opens_a_request_outside_california(kind: str, country: str) -> None:
    case = services.confirm_email(make_case(kind=kind, country=country))
    assert (case.status, case.identity_tier) == (Status.OPEN, "email")
    assert case.identity_verified_at is not None
    assert case.events.get(verb="email_confirmed").data == {"tier": "email"}


def test_confirming_the_email_opens_or_sends_to_identity_check_by_tier() -> None:
    assert services.confirm_email(make_case(kind="rectification")).status == Status.OPEN
    assert services.confirm_email(make_case(kind="access")).status == Status.OPEN
    assert (
        services.confirm_email(make_case(kind="access", country="CA", subdivision="QC")).status == Status.OPEN
    )
    assert (
        services.confirm_email(make_case(kind="access", country="US", subdivision="VA")).status == Status.OPEN
    )
    # California: the categories, a deletion and a correction need two details matched (§7062(b), (d)).
    for kind in ("access", "erasure"):
        assert services.confirm_email(make_case(kind=kind, **CALIFORNIA)).status == Status.VERIFYING


def test_the_operator_may_ask_for_more_than_the_law(settings: Any) -> None:
    settings.PRIVACY_VERIFICATION_TIERS = {"ccpa": {"erasure": "high"}, "eu_gdpr": {"access": "matched"}}
    assert services.confirm_email(make_case(kind="access", country="FR")).status == Status.VERIFYING
    assert services.confirm_email(make_case(kind="access", country="GB")).status == Status.OPEN
    erasure = services.confirm_email(make_case(kind="erasure", **CALIFORNIA))
    assert verification_tier(erasure) == "high"


def test_verify_needs_enough_matching_details(dpo: Any) -> None:
    case = services.confirm_email(make_case(kind="access", **CALIFORNIA))
    with pytest.raises(ValidationError, match="needs 2 matching details; 1 ticked"):
        services.verify(case, by=dpo, data_points=["postal_address"])
    services.verify(case, by=dpo, data_points=["postal_address", "phone"])
    assert (case.status, case.identity_tier) == (Status.OPEN, "matched")
    assert last_event(case).data == {
        "tier": "matched",
        "reached": "matched",
        "data_points": ["phone", "postal_address"],
    }


def test_ccpa_specific_pieces_need_three_details_and_the_declaration(dpo: Any) -> None:
    declared = {**CALIFORNIA, "specific_pieces": True, "declaration_name": "Ada Lovelace"}
    case = services.confirm_email(make_case(kind="access", **declared))
    assert case.status == Status.VERIFYING
    assert services.verify(case, by=dpo, data_points=["a", "b", "c"]).identity_tier == "high"


def test_ccpa_specific_pieces_matching_two_are_answered_as_categories_and_one_is_not_enough(dpo: Any) -> None:
    declared = {**CALIFORNIA, "specific_pieces": True, "declaration_name": "Ada Lovelace"}
    case = services.confirm_email(make_case(kind="access", **declared))
    with pytest.raises(ValidationError, match=r"the categories alone need 2\. 1 ticked: ask the requester"):
        services.verify(case, by=dpo, data_points=["a"])
    assert case.status == Status.VERIFYING
    services.verify(case, by=dpo, data_points=["a", "b"])  # CCPA regulations §7024(a): the categories
    assert (case.status, case.identity_tier) == (Status.OPEN, "matched")
    assert last_event(case).data["tier"] == "high" and last_event(case).data["reached"] == "matched"


def test_three_details_without_the_declaration_reach_only_the_categories(dpo: Any) -> None:
    portability = services.confirm_email(
        make_case(kind="portability", **CALIFORNIA)
    )  # a copy: specific pieces
    assert verification_tier(portability) == "high"
    services.verify(portability, by=dpo, data_points=["a", "b", "c"])
    assert portability.identity_tier == "matched"


def test_only_a_californian_asks_for_the_specific_pieces() -> None:
    assert make_case(kind="access", **CALIFORNIA, specific_pieces=True).specific_pieces
    assert not make_case(kind="access", specific_pieces=True).specific_pieces  # UK GDPR: a copy either way
    assert not make_case(kind="erasure", **CALIFORNIA, specific_pieces=True).specific_pieces


def test_without_the_ccpa_a_high_tier_has_no_categories_to_fall_back_to(dpo: Any, settings: Any) -> None:
    settings.PRIVACY_VERIFICATION_TIERS = {"default": {"erasure": "high"}}
    case = services.confirm_email(make_case(kind="erasure", declaration_name="Ada Lovelace"))
    with pytest.raises(ValidationError, match="needs 3 matching details; 2 ticked"):
        services.verify(case, by=dpo, data_points=["a", "b"])
    unsigned = services.confirm_email(make_case(kind="erasure", requester_email="b@example.org"))
    with pytest.raises(ValidationError, match="signed declaration as well as 3 details"):
        services.verify(unsigned, by=dpo, data_points=["a", "b", "c"])
    assert services.verify(case, by=dpo, data_points=["a", "b", "c"]).identity_tier == "high"


# A reasonable doubt (GDPR Art. 12(6)): staff ask for more on a case the confirmed email opened.


def test_a_reasonable_doubt_asks_the_requester_and_raises_the_case_to_two_details(
    dpo: Any, handler: Any
) -> None:
    case = services.confirm_email(make_case(kind="access"))
    services.assign(case, to=handler, by=dpo)
    reason = (
        "Your request came from an address we do not hold for you: please give your order number and phone."
    )
    services.pause(case, by=handler, reason=reason, doubt=True)
    assert (case.status, case.resume_status) == (Status.AWAITING_REQUESTER, Status.VERIFYING)
    assert (
        case.identity_verified_at is None and case.identity_tier == "" and case.identity_doubt_at is not None
    )
    assert verification_tier(case) == "matched"
    event = last_event(case)
    assert event.verb == "paused" and event.data["doubt"] is True and reason not in json.dumps(event.data)
    assert case.messages.get().body == reason  # the requester reads the reason as written
    services.reply(case, body="Order 1234, phone +44 20 7946 0000")
    assert case.status == Status.VERIFYING
    with pytest.raises(ValidationError):
        services.verify(case, by=handler, data_points=["account_reference"])
    services.verify(case, by=handler, data_points=["account_reference", "phone"])
    assert (case.status, case.identity_tier) == (Status.OPEN, "matched")


def test_a_doubt_is_only_for_a_case_the_email_alone_opens(dpo: Any) -> None:
    californian = services.confirm_email(make_case(kind="access", **CALIFORNIA))
    with pytest.raises(ValidationError, match="already needs matching details"):
        services.pause(californian, by=dpo, reason="Who are you?", doubt=True)
    assert californian.status == Status.VERIFYING and californian.identity_doubt_at is None
    case = services.confirm_email(make_case(kind="erasure"))
    services.pause(case, by=dpo, reason="Which address?", doubt=True)
    services.resume(case, by=dpo)
    with pytest.raises(ValidationError, match="already needs matching details"):
        services.pause(case, by=dpo, reason="Again?", doubt=True)  # raised once is raised


def test_a_doubt_stops_the_owners_tasks_until_identity_is_verified_again(
    dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from requests.models import OwnerTask, OwnerTaskStatus

    CompanySystem.objects.create(name="Mailbox", owner_email="owner@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        case = services.confirm_email(make_case(kind="erasure"))
    task = OwnerTask.objects.get()
    assert task.status == OwnerTaskStatus.OPEN
    services.pause(case, by=dpo, reason="Is this you?", doubt=True)
    task.refresh_from_db()
    assert task.status == OwnerTaskStatus.CANCELLED
    assert last_event(case).data["tasks_cancelled"] == [task.pk]
    with pytest.raises(TransitionError):
        services.open_tasks(case, by=dpo)  # nothing is done in our systems meanwhile
    services.resume(case, by=dpo)
    with django_capture_on_commit_callbacks(execute=True):
        services.verify(case, by=dpo, data_points=["phone", "postal_address"])
    task.refresh_from_db()
    assert task.status == OwnerTaskStatus.OPEN and task.done_at is None  # sent again, with a fresh link


def test_a_task_cancelled_for_another_reason_is_not_sent_again(dpo: Any) -> None:
    from requests.models import OwnerTask, OwnerTaskStatus

    CompanySystem.objects.create(name="Mailbox", owner_email="owner@example.com")
    case = services.confirm_email(make_case(kind="erasure"))
    assert services.cancel_tasks(case, by=dpo) == 1
    assert services.open_tasks(case, by=dpo) == []
    assert OwnerTask.objects.get().status == OwnerTaskStatus.CANCELLED


# Agents (CCPA §7063).


def test_an_agent_with_a_power_of_attorney_is_not_confirmed_with_the_person() -> None:
    agent = {"relationship": "agent", "subject_name": "Charles Babbage", "subject_email": "cb@example.org"}
    assert services.needs_subject_confirmation(make_case(**agent))
    with_power = make_case(**agent, power_of_attorney=True)
    assert with_power.power_of_attorney and not services.needs_subject_confirmation(with_power)
    # Only an agent holds one: a parent's request keeps the field off.
    parent = make_case(relationship="parent", subject_name="Child", power_of_attorney=True)
    assert not parent.power_of_attorney
    # Nobody else confirms these: staff check the power of attorney, or the parent's authority, before any work
    # starts, even where the confirmed email would otherwise open the case (a rectification from the UK).
    for case in (make_case(kind="rectification", **agent, power_of_attorney=True),
                 make_case(kind="rectification", relationship="parent", subject_name="Child")):  # fmt: skip
        assert services.confirm_email(case).status == Status.VERIFYING
    assert services.confirm_email(make_case(kind="rectification", **agent)).status == Status.OPEN


def test_assign_starts_work_and_reassigning_keeps_it(dpo: Any, handler: Any, other_handler: Any) -> None:
    case = open_case(dpo)
    services.assign(case, to=handler, by=dpo)
    assert (case.status, case.assignee) == (Status.IN_PROGRESS, handler)
    services.assign(case, to=other_handler, by=dpo)
    assert (case.status, case.assignee) == (Status.IN_PROGRESS, other_handler)
    with pytest.raises(ValidationError):
        services.assign(case, to=get_user_model().objects.create_user("outsider"), by=dpo)


def test_pause_moves_the_uk_due_date_by_the_days_waited(dpo: Any) -> None:
    with time_machine.travel(SAT_8_FEB, tick=False):
        case = open_case(dpo)
    with time_machine.travel(datetime(2025, 2, 12, 9, tzinfo=UTC), tick=False):
        services.pause(case, by=dpo, reason="Which account do you mean?")
    assert case.status == Status.AWAITING_REQUESTER
    with time_machine.travel(datetime(2025, 2, 17, 15, tzinfo=UTC), tick=False):
        services.resume(case)
    # Five days waited: UK GDPR Art. 12A restarts the month from 8 Feb + 5 = Thu 13 Feb, so Thu 13 Mar.
    assert (case.status, case.paused_days, case.due_at) == (Status.OPEN, 5, date(2025, 3, 13))
    assert last_event(case).data == {"paused_days": 5, "due": "2025-03-13"}


def test_pause_does_not_move_a_ccpa_due_date(dpo: Any) -> None:
    with time_machine.travel(datetime(2025, 1, 6, 18, tzinfo=UTC), tick=False):
        case = open_case(dpo, country="US", subdivision="CA")
        services.pause(case, by=dpo, reason="Please clarify")
    with time_machine.travel(datetime(2025, 1, 20, 18, tzinfo=UTC), tick=False):
        services.resume(case)
    assert (case.paused_days, case.due_at, case.governing_regime) == (14, date(2025, 2, 19), "ccpa")


def test_pause_needs_a_reason_and_returns_to_where_it_was(dpo: Any, handler: Any) -> None:
    case = open_case(dpo)
    services.assign(case, to=handler, by=dpo)
    with pytest.raises(ValidationError):
        services.pause(case, by=dpo, reason="  ")
    services.pause(case, by=dpo, reason="Need the order number")
    services.resume(case, by=dpo)
    assert case.status == Status.IN_PROGRESS


def test_extend_needs_a_reason_happens_once_and_only_before_the_due_date(dpo: Any) -> None:
    with time_machine.travel(SAT_8_FEB, tick=False):
        case = open_case(dpo)
        with pytest.raises(ValidationError):
            services.extend(case, by=dpo, reason="")
        services.extend(case, by=dpo, reason="Twelve systems to search")
        assert (case.extended, case.effective_due_at, case.extension_reason) == (
            True,
            date(2025, 5, 8),
            "Twelve systems to search",
        )
        with pytest.raises(TransitionError, match="already been extended"):
            services.extend(case, by=dpo, reason="again")
    with time_machine.travel(SAT_8_FEB, tick=False):
        late = open_case(dpo)
    with (
        time_machine.travel(datetime(2025, 3, 11, 9, tzinfo=UTC), tick=False),
        pytest.raises(TransitionError, match="before the original due date"),
    ):
        services.extend(late, by=dpo, reason="Too late")
    assert verbs(case).count("extended") == 1 and not PrivacyRequest.objects.get(pk=late.pk).extended


def test_extend_on_the_due_date_itself_is_still_in_time(dpo: Any) -> None:
    with time_machine.travel(SAT_8_FEB, tick=False):
        case = open_case(dpo)
    with time_machine.travel(datetime(2025, 3, 10, 16, tzinfo=UTC), tick=False):
        assert services.extend(case, by=dpo, reason="Complex").extended


def test_no_extension_where_the_law_allows_none(dpo: Any) -> None:
    case = open_case(dpo, country="BR")
    with pytest.raises(TransitionError, match="LGPD"):
        services.extend(case, by=dpo, reason="Complex")


def test_complete_deny_withdraw_forward(dpo: Any, handler: Any) -> None:
    done = open_case(dpo)
    with pytest.raises(TransitionError):
        services.complete(done, by=dpo, outcome="fulfilled")  # nobody is working on it yet
    services.assign(done, to=handler, by=dpo)
    with pytest.raises(ValidationError):
        services.complete(done, by=handler, outcome="whatever")
    services.complete(done, by=handler, outcome="no_data", note="Nothing found")
    assert (done.status, done.outcome, done.closed_at is not None) == (Status.COMPLETED, "no_data", True)

    refused = open_case(dpo)
    with pytest.raises(ValidationError):
        services.deny(refused, by=dpo, reason="manifestly_unfounded", explanation="")
    with pytest.raises(ValidationError):
        services.deny(refused, by=dpo, reason="because", explanation="x")
    services.deny(
        refused, by=dpo, reason="manifestly_unfounded", explanation="Same request daily for a month."
    )
    assert refused.status == Status.DENIED

    withdrawn = services.withdraw(make_case())
    assert withdrawn.status == Status.WITHDRAWN
    assert last_event(withdrawn).actor_kind == "requester"

    forwarded = open_case(dpo, customer_name="Acme Ltd")
    with pytest.raises(ValidationError):
        services.forward(forwarded, by=dpo, controller="")
    services.forward(forwarded, by=dpo, controller="Acme Ltd")
    assert (forwarded.status, forwarded.forwarded_to) == (Status.FORWARDED, "Acme Ltd")

    assert services.expire(make_case()).status == Status.EXPIRED


def test_a_closed_case_refuses_every_move(dpo: Any, handler: Any) -> None:
    case = services.withdraw(make_case())
    for attempt in (
        lambda: services.confirm_email(case),
        lambda: services.assign(case, to=handler, by=dpo),
        lambda: services.pause(case, by=dpo, reason="x"),
        lambda: services.resume(case, by=dpo),
        lambda: services.extend(case, by=dpo, reason="x"),
        lambda: services.deny(case, by=dpo, reason="excessive", explanation="x"),
        lambda: services.forward(case, by=dpo, controller="x"),
        lambda: services.withdraw(case),
    ):
        with pytest.raises(TransitionError):
            attempt()
    assert verbs(case) == ["submitted", "withdrawn"]


def test_a_stale_copy_loses_to_the_change_made_meanwhile(dpo: Any, handler: Any) -> None:
    case = open_case(dpo)
    stale = PrivacyRequest.objects.get(pk=case.pk)
    services.deny(case, by=dpo, reason="excessive", explanation="Too much")
    with pytest.raises(TransitionError, match="changed by someone else"):
        services.assign(stale, to=handler, by=dpo)
    assert PrivacyRequest.objects.get(pk=case.pk).status == Status.DENIED


def test_each_change_writes_one_event_without_personal_data(dpo: Any, handler: Any) -> None:
    case = make_case(kind="access", requester_name="Ada Lovelace", requester_email="ada@example.org")
    services.confirm_email(case)
    services.assign(case, to=handler, by=dpo)
    services.pause(case, by=handler, reason="Ada, which address?")
    services.resume(case)
    services.extend(case, by=dpo, reason="Ada has many records")
    complete_case(case, by=handler, outcome="fulfilled", note="Sent to ada@example.org")
    assert verbs(case) == [
        "submitted",
        "email_confirmed",
        "assigned",
        "paused",
        "resumed",
        "extended",
        "completed",
    ]
    payload = json.dumps(list(RequestEvent.objects.values("data", "verb", "old_status", "new_status")))
    assert "Ada" not in payload and "ada@" not in payload


FEE_LINES = [("Copying 400 pages", Decimal("40.00")), ("Postage", Decimal("10.00"))]


def test_a_fee_stops_a_uk_clock_until_accepted(dpo: Any) -> None:
    with time_machine.travel(SAT_8_FEB, tick=False):
        case = open_case(dpo)
        services.assign(case, to=dpo, by=dpo)
    with time_machine.travel(datetime(2025, 2, 12, 9, tzinfo=UTC), tick=False):
        services.quote_fee(
            case, by=dpo, amount=Decimal("50"), currency="gbp", reason="excessive", breakdown=FEE_LINES
        )
    assert (case.status, case.fee_currency, case.resume_status) == (
        Status.FEE_PENDING,
        "GBP",
        Status.IN_PROGRESS,
    )
    assert case.fee_breakdown == [
        {"item": "Copying 400 pages", "amount": "40.00"},
        {"item": "Postage", "amount": "10.00"},
    ]
    assert last_event(case).data == {"amount": "50", "currency": "GBP", "reason": "excessive"}
    with time_machine.travel(datetime(2025, 2, 17, 15, tzinfo=UTC), tick=False):
        services.accept_fee(case)
    assert (case.status, case.fee_accepted, case.paused_days, case.due_at) == (
        Status.IN_PROGRESS, True, 5, date(2025, 3, 13)
    )  # fmt: skip


def test_a_fee_needs_a_reason_a_currency_and_lines_that_add_up(dpo: Any) -> None:
    case = open_case(dpo)
    quote = functools.partial(services.quote_fee, case, by=dpo, currency="GBP", reason="excessive")
    with pytest.raises(ValidationError, match=r"add up to 50\.00, not 60"):
        quote(amount=Decimal("60"), breakdown=FEE_LINES)
    with pytest.raises(ValidationError, match="why a fee"):
        quote(amount=Decimal("50"), breakdown=FEE_LINES, reason="because")
    with pytest.raises(ValidationError, match="three-letter"):
        services.quote_fee(
            case, by=dpo, amount=Decimal("50"), currency="pounds", reason="excessive", breakdown=FEE_LINES
        )
    with pytest.raises(ValidationError, match="Break the fee down"):
        quote(amount=Decimal("50"), breakdown=[])
    case.refresh_from_db()
    assert case.status == Status.OPEN and case.fee_amount is None


def test_declining_a_fee_refuses_the_request(dpo: Any) -> None:
    case = open_case(dpo)
    services.quote_fee(
        case, by=dpo, amount=Decimal("50"), currency="GBP", reason="repetitive", breakdown=FEE_LINES
    )
    services.decline_fee(case)
    assert (case.status, case.denial_reason, case.fee_accepted) == (Status.DENIED, "fee_declined", False)
    with pytest.raises(services.TransitionError):
        services.accept_fee(case)


def test_a_system_check_is_recorded_once_per_system_and_updated(dpo: Any) -> None:
    case = open_case(dpo)
    crm = CompanySystem.objects.create(name="CRM")
    services.record_system_check(case, by=dpo, system=crm, state="data_found", notes="2 contacts")
    services.record_system_check(case, by=dpo, system=crm, state="erased")
    check = SystemCheck.objects.get()
    assert (check.state, check.notes, check.checked_by) == ("erased", "", dpo)
    assert [e.data for e in case.events.filter(verb="system_checked")] == [
        {"system": crm.pk, "state": "data_found"}, {"system": crm.pk, "state": "erased"}
    ]  # fmt: skip
    with pytest.raises(ValidationError):
        services.record_system_check(case, by=dpo, system=crm, state="burnt")


def test_no_system_is_searched_before_the_requesters_identity_is_proved(dpo: Any) -> None:
    case = services.confirm_email(
        make_case(kind="access", data_points={"phone": "1", "postal_address": "2"}, **CALIFORNIA)
    )
    assert case.status == Status.VERIFYING
    crm = CompanySystem.objects.create(name="CRM")
    with pytest.raises(TransitionError):
        services.record_system_check(case, by=dpo, system=crm, state="data_found")
    services.verify(case, by=dpo, data_points=["phone", "postal_address"])
    services.record_system_check(case, by=dpo, system=crm, state="data_found")
    assert SystemCheck.objects.get().state == "data_found"
