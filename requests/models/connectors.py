"""What connectors did on a case: one row per (case, system, action), with counts and outcomes, never values."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .case import Kind, PrivacyRequest
from .register import CompanySystem


class ConnectorAction(models.TextChoices):
    EXPORT = "export", _("Find and export")
    PLAN_ERASURE = "plan_erasure", _("Erasure: dry run")
    ERASE = "erase", _("Erase")
    RECTIFY = "rectify", _("Rectify")
    RESTRICT = "restrict", _("Restrict processing")
    UNRESTRICT = "unrestrict", _("Lift the restriction")
    OPT_OUT = "opt_out", _("Opt out")
    # While identity is checked: the requester's details against the records held (verdicts only, no values).
    COMPARE = "compare", _("Compare details")


# What each kind of request asks of every system, in order: a connector runs these, an owner task asks for them.
# Erasure starts with the dry run; the erasure itself waits for the DPO's approval of the plan.
ACTIONS_BY_KIND: dict[str, tuple[str, ...]] = {
    Kind.ACCESS: (ConnectorAction.EXPORT,),
    Kind.PORTABILITY: (ConnectorAction.EXPORT,),
    Kind.ERASURE: (ConnectorAction.PLAN_ERASURE,),
    Kind.RECTIFICATION: (ConnectorAction.RECTIFY,),
    Kind.RESTRICTION: (ConnectorAction.RESTRICT,),
    Kind.OBJECTION: (ConnectorAction.OPT_OUT,),
    Kind.OPT_OUT: (ConnectorAction.OPT_OUT,),
    Kind.LIMIT_SENSITIVE: (ConnectorAction.RESTRICT,),
}


class DetailVerdict(models.TextChoices):
    """What a comparison found for one detail in one system (requests/connectors/compare.py)."""

    MATCHES = "matches", _("matches")
    DIFFERS = "differs", _("differs")
    NOT_HELD = "not_held", _("not held")
    NO_RECORD = "no_record", _("no record found")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    AWAITING_APPROVAL = "awaiting_approval", _("Waiting for the DPO's approval")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ConnectorRun(models.Model):
    """One connector action for one case in one system: queued through the outbox, run by a worker, shown on the
    case page. A re-run (a retried task, a killed worker) reads this row and does not redo what is done."""

    privacy_request = models.ForeignKey(
        PrivacyRequest, on_delete=models.CASCADE, related_name="connector_runs", verbose_name=_("request")
    )
    system = models.ForeignKey(CompanySystem, on_delete=models.PROTECT, related_name="connector_runs")
    action = models.CharField(_("action"), max_length=20, choices=ConnectorAction.choices)
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Records per table (found, exported, deleted, anonymised, kept...): what the events and the page show.
    counts = models.JSONField(default=dict, blank=True)
    # One line per table in plain words, with the legal ground of anything kept (no personal values).
    summary = models.TextField(blank=True)
    # The dry run's plan (record keys and column names only), which the approved erasure carries out.
    plan = models.JSONField(null=True, blank=True)
    # Per record, what was done and why (record keys only): the erasure certificate is written from it. A
    # comparison's: {"details": {detail: {"verdict": ..., "records": n}}}, never a value.
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("connector run")
        verbose_name_plural = _("connector runs")
        ordering = ["privacy_request_id", "system__name", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["privacy_request", "system", "action"], name="one_run_per_action")
        ]

    def __str__(self) -> str:
        return f"{self.action} in {self.system_id} for case {self.privacy_request_id}: {self.status}"
