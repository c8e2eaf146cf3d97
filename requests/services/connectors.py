"""Connectors doing a case's work in the company's systems (DESIGN §13).

Once identity is proved, `start` writes one `ConnectorRun` per (system with a connector, action the request asks
for) and promises a `run_connector` task for each through the outbox. `run` does one of them: it claims the row,
calls the connector, stores what it exported (encrypted, as the system's extract, which the packet reads), fills
the systems checklist and records one event with counts, never values. An erasure stops after its dry run until
the DPO approves the plan (`approve_erasure`); the erasure then carries out exactly that plan, and its result is
the certificate the completion letter prints. A run that failed says why and can be retried (`retry`); a re-run
finds what is done and does not redo it. Before identity is proved, staff may only `compare` the details the
requester gave with what each system holds: the run keeps per detail a verdict, never a value.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from privacyportal import outbox
from privacyportal.addresses import normalise_email
from privacyportal.uploads import CheckedFile

from .. import connectors
from ..audit import record_event
from ..connectors.compare import Comparison, compare_in
from ..models import (
    ACTIONS_BY_KIND,
    ActorKind,
    CheckState,
    CompanySystem,
    ConnectorAction,
    ConnectorRun,
    PrivacyRequest,
    RunStatus,
    SystemCheck,
)
from ..selectors import connector_systems
from . import carry_out
from .checklist import store_extract
from .common import RUN_CONNECTOR, TransitionError
from .rules import _guard
from .systems import connector_for

logger = logging.getLogger(__name__)

# Who may approve an erasure plan: the DPO role.
DPO_DECIDES = "requests.approve_erasure"
# A run still "running" this long after it started belongs to a worker that died (the task's hard limit is 15 min).
RUN_LEASE = timedelta(minutes=20)
# What a finished action means for the systems checklist.
CHECK_STATE = {
    ConnectorAction.EXPORT: CheckState.EXPORTED,
    ConnectorAction.ERASE: CheckState.ERASED,
    ConnectorAction.RESTRICT: CheckState.RESTRICTED,
    ConnectorAction.OPT_OUT: CheckState.OPTED_OUT,
    ConnectorAction.RECTIFY: CheckState.RECTIFIED,
}
# The capability (requests/connectors/base.py CAPABILITIES) each action needs of a connector.
CAPABILITY = {
    ConnectorAction.EXPORT: "export", ConnectorAction.PLAN_ERASURE: "erase", ConnectorAction.ERASE: "erase",
    ConnectorAction.RECTIFY: "rectify", ConnectorAction.RESTRICT: "restrict", ConnectorAction.UNRESTRICT: "restrict",
    ConnectorAction.OPT_OUT: "opt_out", ConnectorAction.COMPARE: "compare",
}  # fmt: skip
# Rectification needs the corrections themselves, which staff read from the request: it is not started by itself.
# A comparison is staff's, while they check identity (`compare`).
AUTOMATIC = frozenset(ConnectorAction) - {
    ConnectorAction.RECTIFY,
    ConnectorAction.ERASE,
    ConnectorAction.COMPARE,
}
# A run in one of these has ended: a comparison started again is queued anew.
ENDED = (RunStatus.DONE, RunStatus.FAILED, RunStatus.CANCELLED)


class TransientFailure(Exception):
    """The system could not be reached just now: the task retries with backoff (the message says which system)."""


def subject_of(privacy_request: PrivacyRequest) -> connectors.Subject:
    """Who the connectors look for: the data subject's address where an agent asked, else the requester's."""
    email = privacy_request.subject_email or privacy_request.requester_email
    return connectors.Subject(email=normalise_email(email))


@transaction.atomic
def start(privacy_request: PrivacyRequest, *, by: AbstractBaseUser | None = None) -> list[ConnectorRun]:
    """Queue every connector action the request asks for; a second call queues nothing new.

    Only once identity is proved: nothing is looked up in company systems for a person not yet known to be who
    they say (the "connectors" rule, which the case page's action and verification both go through).
    """
    _guard(privacy_request, "connectors")
    actions = [a for a in ACTIONS_BY_KIND.get(privacy_request.kind, ()) if a in AUTOMATIC]
    systems = connector_systems(privacy_request).order_by("name")
    return _queue(privacy_request, [(system, action) for system in systems for action in actions], by=by)


def _queue(
    privacy_request: PrivacyRequest,
    work: list[tuple[CompanySystem, str]],
    *,
    by: AbstractBaseUser | None = None,
) -> list[ConnectorRun]:
    """A run per (system, action) not made before, each published through the outbox; one event for them."""
    queued = []
    for system, action in work:
        run, created = ConnectorRun.objects.get_or_create(
            privacy_request=privacy_request, system=system, action=action
        )
        if created:
            queued.append(run)
            outbox.enqueue(RUN_CONNECTOR, run.pk)
    if queued:
        record_event(
            privacy_request,
            "connectors_queued",
            by=by,
            actor_kind=None if by is not None else ActorKind.SYSTEM,
            data={"runs": [r.pk for r in queued]},
        )
    return queued


@transaction.atomic
def compare(privacy_request: PrivacyRequest, *, by: AbstractBaseUser) -> list[ConnectorRun]:
    """Compare the details the requester gave with what every system with a connector holds, while their
    identity is checked: one run per system, whose verdicts the case page shows and the verify form pre-ticks.

    The one exception to "nothing is looked up before identity is proved": checking what we hold is how identity
    is proved (EDPB Guidelines 01/2022), nothing is shown to the requester, and only verdicts are kept. A run
    queued or running is left to finish; one that ended is queued again (a connector fixed, a second look), so a
    second start works while a redelivered task still finds its run taken and does nothing twice.
    """
    rule = _guard(privacy_request, "compare")
    if not by.has_perm(rule.permission):  # type: ignore[attr-defined]
        raise TransitionError(_("Only staff who verify identity may compare details."))
    queued = []
    for system in connector_systems().order_by("name"):
        run, created = ConnectorRun.objects.get_or_create(
            privacy_request=privacy_request, system=system, action=ConnectorAction.COMPARE
        )
        again = not created and ConnectorRun.objects.filter(pk=run.pk, status__in=ENDED).update(
            status=RunStatus.QUEUED, attempts=0, error="", result=None, started_at=None, finished_at=None
        )
        if created or again:
            queued.append(run)
            outbox.enqueue(RUN_CONNECTOR, run.pk)
    if queued:
        record_event(privacy_request, "comparison_queued", by=by, data={"runs": [r.pk for r in queued]})
    return queued


def start_unrestrict(privacy_request: PrivacyRequest) -> list[ConnectorRun]:
    """Lift the restriction in every system whose connector restricted it: only once the requester has been told
    (called after the Art. 18(3) email is sent). A second call queues nothing new."""
    restricted = ConnectorRun.objects.filter(
        privacy_request=privacy_request, action=ConnectorAction.RESTRICT, status=RunStatus.DONE
    ).select_related("system")
    return _queue(
        privacy_request,
        [(done.system, ConnectorAction.UNRESTRICT) for done in restricted.order_by("system__name")],
    )


def _claim(run_id: int) -> ConnectorRun | None:
    """Take the run for this worker: a queued one, or one whose worker died; None when it is not ours to do."""
    now = timezone.now()
    ours = Q(status=RunStatus.QUEUED) | Q(status=RunStatus.RUNNING, started_at__lt=now - RUN_LEASE)
    claimed = ConnectorRun.objects.filter(ours, pk=run_id).update(
        status=RunStatus.RUNNING, started_at=now, attempts=F("attempts") + 1, error=""
    )
    if not claimed:
        return None
    return ConnectorRun.objects.select_related("system", "privacy_request").get(pk=run_id)


def run(run_id: int) -> None:
    """Do one connector run (the `run_connector` task). Raises TransientFailure for the task to retry."""
    current = _claim(run_id)
    if current is None:
        return
    try:
        connector = connector_for(current.system)
        try:
            _do(current, connector)
        finally:
            connector.close()
    except connectors.ConnectorError as error:
        if error.transient:
            ConnectorRun.objects.filter(pk=current.pk).update(status=RunStatus.QUEUED, error=error.message)
            raise TransientFailure(f"{current.system.name}: {error.message}") from None
        _fail(current, error.message)
    except Exception as error:
        # The message of an unexpected error may quote the system's data: only its type goes to the log and page.
        logger.error("connector run %s failed unexpectedly: %s", current.pk, type(error).__name__)
        _fail(current, _("The connector failed unexpectedly (%(kind)s). The worker log has the details.")
              % {"kind": type(error).__name__})  # fmt: skip


def give_up(run_id: int, message: str) -> None:
    """The task's retries are spent: the run fails with the last reason."""
    current = ConnectorRun.objects.select_related("privacy_request", "system").filter(pk=run_id).first()
    if current is not None and current.status == RunStatus.QUEUED:
        _fail(current, message)


def _do(current: ConnectorRun, connector: connectors.Connector) -> None:
    privacy_request, action = current.privacy_request, current.action
    if action == ConnectorAction.COMPARE:
        _compare(current, connector)
        return
    if action == ConnectorAction.ERASE:
        source = ConnectorRun.objects.get(
            privacy_request=privacy_request, system=current.system, action=ConnectorAction.PLAN_ERASURE
        )
        if source.plan is None or source.approved_at is None:
            _fail(current, _("The erasure plan has not been approved."))
            return
        result = connector.erase(connectors.ErasurePlan.from_json(source.plan))
        _finish(current, result.counts(), result.summary("\n"), result=result.to_json())
        return
    if CAPABILITY[ConnectorAction(action)] not in connector.capabilities:
        _fail(current, _("This system's connector cannot do this (%(action)s): do it by hand and tick the checklist.")
              % {"action": current.get_action_display()})  # fmt: skip
        return
    found = connector.find(subject_of(privacy_request))
    if action == ConnectorAction.EXPORT:
        export = connector.export(found)
        for table, rows in export.rows.items():
            if rows:
                _keep_extract(privacy_request, current.system, table, rows)
        _finish(current, export.counts(), _summary_of(export.counts(), _("exported")), nothing=not found.refs)
    elif action == ConnectorAction.PLAN_ERASURE:
        plan = connector.plan_erasure(found)
        if not plan.steps:
            _finish(current, {}, _("No records found."), nothing=True)
        else:
            _await_approval(current, plan)
    elif action == ConnectorAction.RESTRICT:
        result = connector.restrict(found)
        _finish(
            current, result.counts(), result.summary("\n"), result=result.to_json(), nothing=not found.refs
        )
    elif action == ConnectorAction.UNRESTRICT:
        result = connector.unrestrict(found)
        _finish(
            current, result.counts(), result.summary("\n"), result=result.to_json(), nothing=not found.refs
        )
    elif action == ConnectorAction.OPT_OUT:
        result = connector.opt_out(found)
        _finish(
            current, result.counts(), result.summary("\n"), result=result.to_json(), nothing=not found.refs
        )
    else:
        _fail(current, _("This action is not run by a connector here."))


def _compare(current: ConnectorRun, connector: connectors.Connector) -> None:
    privacy_request = current.privacy_request
    if not privacy_request.is_open:
        ConnectorRun.objects.filter(pk=current.pk).update(
            status=RunStatus.CANCELLED, finished_at=timezone.now(),
            error=_("The case closed before the comparison ran: nothing was looked up."),
        )  # fmt: skip
        return
    if "compare" not in connector.capabilities:
        _fail(current, _("This system's connector does not say which of its fields hold phone numbers, addresses, "
                         "account numbers or dates of birth: map them (docs/connectors.md, “Comparing details”) "
                         "or compare by hand."))  # fmt: skip
        return
    verdicts = compare_in(connector, subject_of(privacy_request), privacy_request.data_points or {})
    _compared(current, verdicts)


@transaction.atomic
def _compared(current: ConnectorRun, verdicts: dict[str, Comparison]) -> None:
    """Keep the verdicts and how many records held each detail, never a value; the systems checklist is not
    touched (identity is not proved yet: nothing is exported or checked off)."""
    ConnectorRun.objects.filter(pk=current.pk).update(
        status=RunStatus.DONE, finished_at=timezone.now(), error="",
        result={"details": {detail: c.to_json() for detail, c in verdicts.items()}},
    )  # fmt: skip
    record_event(
        current.privacy_request,
        "details_compared",
        actor_kind=ActorKind.SYSTEM,
        data={
            "run": current.pk, "system": current.system_id,
            "verdicts": {detail: c.verdict for detail, c in verdicts.items()},
            "records": {detail: c.records for detail, c in verdicts.items()},
        },
    )  # fmt: skip


def _summary_of(counts: dict[str, int], verb: str) -> str:
    return "\n".join(f"{table}: {verb} {count}" for table, count in sorted(counts.items())) or _(
        "No records found."
    )


def _keep_extract(
    privacy_request: PrivacyRequest, system: CompanySystem, table: str, rows: list[Any]
) -> None:
    """Store one table's rows as the system's extract (JSON, encrypted); the same rows twice are kept once."""
    data = json.dumps(rows, ensure_ascii=False, indent=1, default=str).encode()
    store_extract(privacy_request, CheckedFile(f"{table}.json", "application/json", data), system=system)


@transaction.atomic
def _finish(
    current: ConnectorRun,
    counts: dict[str, int],
    summary: str,
    *,
    result: dict[str, Any] | None = None,
    nothing: bool = False,
) -> None:
    now = timezone.now()
    ConnectorRun.objects.filter(pk=current.pk).update(
        status=RunStatus.DONE, counts=counts, summary=summary, result=result, finished_at=now, error=""
    )
    state = (
        CheckState.NO_DATA
        if nothing
        else CHECK_STATE.get(ConnectorAction(current.action), CheckState.DATA_FOUND)
    )
    SystemCheck.objects.update_or_create(
        privacy_request=current.privacy_request,
        system=current.system,
        defaults={"state": state, "checked_at": now, "checked_by": None, "notes": summary[:2000]},
    )
    record_event(
        current.privacy_request,
        "connector_done",
        actor_kind=ActorKind.SYSTEM,
        data={"run": current.pk, "system": current.system_id, "action": current.action, "counts": counts},
    )
    carry_out.complete_if_carried_out(current.privacy_request)  # an opt-out closes when every system is done


@transaction.atomic
def _await_approval(current: ConnectorRun, plan: connectors.ErasurePlan) -> None:
    ConnectorRun.objects.filter(pk=current.pk).update(
        status=RunStatus.AWAITING_APPROVAL,
        plan=plan.to_json(),
        counts=plan.counts(),
        summary=plan.summary("\n"),
    )
    SystemCheck.objects.update_or_create(
        privacy_request=current.privacy_request,
        system=current.system,
        defaults={"state": CheckState.DATA_FOUND, "checked_at": timezone.now(), "checked_by": None},
    )
    record_event(
        current.privacy_request,
        "erasure_planned",
        actor_kind=ActorKind.SYSTEM,
        data={"run": current.pk, "system": current.system_id, "counts": plan.counts()},
    )


@transaction.atomic
def _fail(current: ConnectorRun, message: str) -> None:
    ConnectorRun.objects.filter(pk=current.pk).update(
        status=RunStatus.FAILED, error=message, finished_at=timezone.now()
    )
    record_event(
        current.privacy_request,
        "connector_failed",
        actor_kind=ActorKind.SYSTEM,
        data={"run": current.pk, "system": current.system_id, "action": current.action},
    )


@transaction.atomic
def approve_erasure(current: ConnectorRun, *, by: AbstractBaseUser) -> ConnectorRun:
    """The DPO approves a dry run's plan: the erasure of exactly that plan is queued."""
    if not by.has_perm(DPO_DECIDES):  # type: ignore[attr-defined]
        raise TransitionError(_("Only a DPO may approve an erasure."))
    approved = ConnectorRun.objects.filter(
        pk=current.pk, action=ConnectorAction.PLAN_ERASURE, status=RunStatus.AWAITING_APPROVAL
    ).update(status=RunStatus.DONE, approved_by=by, approved_at=timezone.now(), finished_at=timezone.now())
    if not approved:
        raise TransitionError(_("This plan is not waiting for approval (approved already, or run again)."))
    erase, created = ConnectorRun.objects.get_or_create(
        privacy_request=current.privacy_request, system=current.system, action=ConnectorAction.ERASE
    )
    if created:
        outbox.enqueue(RUN_CONNECTOR, erase.pk)
    record_event(
        current.privacy_request,
        "erasure_approved",
        by=by,
        data={"run": current.pk, "system": current.system_id, "counts": current.counts},
    )
    return erase


@transaction.atomic
def retry(current: ConnectorRun, *, by: AbstractBaseUser) -> ConnectorRun:
    """Run a failed run again (the connector's settings or the system were fixed meanwhile)."""
    if current.action == ConnectorAction.COMPARE:
        _guard(current.privacy_request, "compare")  # only while identity is checked, as when it started
    if not ConnectorRun.objects.filter(pk=current.pk, status=RunStatus.FAILED).update(
        status=RunStatus.QUEUED, error="", finished_at=None
    ):
        raise TransitionError(_("Only a failed run can be retried."))
    outbox.enqueue(RUN_CONNECTOR, current.pk)
    record_event(
        current.privacy_request,
        "connector_retried",
        by=by,
        data={"run": current.pk, "system": current.system_id, "action": current.action},
    )
    current.refresh_from_db()
    return current
