"""Who is told: the assignee, or every DPO (and the DPO mailbox) while a case is unassigned; staff on the daily
digest hear of it there instead; an assignment reaches only the new assignee, in their language."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from requests import services
from requests.models import StaffPreference
from requests.roles import ensure_roles
from requests.services import notify
from tests.factories import in_role, make_case

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(dpo: Any, settings: Any) -> Any:
    settings.PRIVACY_DPO_EMAIL = "privacy@example.org"  # the team's mailbox, not Dana's own address
    ensure_roles()
    in_role(dpo, "DPO")
    return services.confirm_email(make_case())


def test_an_unassigned_case_is_everyone_of_the_dpos(case: Any, dpo: Any, settings: Any) -> None:
    assert notify.staff_recipients(case) == [(settings.PRIVACY_DPO_EMAIL, "en"), (dpo.email, "en")]


def test_a_dpo_on_the_daily_digest_hears_of_it_there_only(case: Any, dpo: Any, settings: Any) -> None:
    StaffPreference.objects.create(user=dpo, daily_digest=True)
    assert notify.staff_recipients(case) == [(settings.PRIVACY_DPO_EMAIL, "en")]


def test_an_assigned_case_is_its_assignees_alone(case: Any, dpo: Any, handler: Any) -> None:
    StaffPreference.objects.create(user=handler, language="ru")
    services.assign(case, to=handler, by=dpo)
    case.refresh_from_db()
    assert notify.staff_recipients(case) == [(handler.email, "ru")]
    assert notify.assignee_recipient(case) == [(handler.email, "ru")]


def test_a_closed_case_reminds_nobody(case: Any, dpo: Any) -> None:
    services.withdraw(case, by=dpo)
    mail.outbox.clear()
    notify.notify_staff(case.pk, "due_7")
    assert not mail.outbox
