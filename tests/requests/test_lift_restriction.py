"""Lifting a restriction (GDPR Art. 18(3)): the requester is told first, and why; then the systems lift it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from django.core import mail
from django.core.exceptions import ValidationError

from requests import services
from requests.models import ConnectorRun, RunStatus
from requests.roles import ensure_roles
from requests.services import connectors
from tests.factories import complete_case, in_role, make_case, sample_shop

pytestmark = pytest.mark.django_db
ADA = "ada.lovelace@example.org"


def restricted(engine: sa.Engine) -> list[bool]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT email, processing_restricted FROM customers"))
        return [bool(row.processing_restricted) for row in rows if row.email.strip().lower() == ADA]


def run_queued(case: Any) -> None:
    for run in ConnectorRun.objects.filter(privacy_request=case, status=RunStatus.QUEUED).order_by("pk"):
        connectors.run(run.pk)


def test_the_requester_is_told_before_the_restriction_is_lifted(
    tmp_path: Path, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    _system, engine = sample_shop(tmp_path / "shop.sqlite3")
    ensure_roles()
    in_role(dpo, "DPO")
    case = services.confirm_email(
        make_case(kind="restriction", requester_email=ADA, objection_grounds="Wrong")
    )
    run_queued(case)
    assert restricted(engine) == [True]
    services.assign(case, to=dpo, by=dpo)
    complete_case(case, by=dpo, outcome="fulfilled")

    with pytest.raises(ValidationError):  # nothing happens without a reason the requester is told
        services.lift_restriction(case, by=dpo, reason="")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.lift_restriction(case, by=dpo, reason="We checked: your address is accurate.")
        # Until the email has gone (on commit), nothing is lifted and nothing is queued.
        assert not ConnectorRun.objects.filter(privacy_request=case, action="unrestrict").exists()
        assert restricted(engine) == [True]
    (notice,) = mail.outbox
    assert notice.to == [ADA] and "We checked: your address is accurate." in notice.body
    assert "The law asks us to tell you before we lift a restriction: this is that notice." in notice.body
    run_queued(case)  # what the worker does next
    assert restricted(engine) == [False]
    verbs = list(case.events.order_by("seq").values_list("verb", "data"))
    told = next(
        i
        for i, (verb, data) in enumerate(verbs)
        if verb == "email_sent" and data["template"] == "restriction-lifted"
    )
    queued = max(i for i, (verb, _data) in enumerate(verbs) if verb == "connectors_queued")
    assert told < queued  # told first, then lifted
    case.refresh_from_db()
    assert case.restriction_lifted_at is not None and case.status == "completed"
    with pytest.raises(services.TransitionError, match="lifted already"):
        services.lift_restriction(case, by=dpo, reason="Again")
