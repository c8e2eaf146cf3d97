"""The case: `PrivacyRequest` and the choices it is made of."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from identity.tiers import Tier

from ..lifecycle import OPEN_STATUSES, Status


class Kind(models.TextChoices):
    ACCESS = "access", _("Access my data")
    RECTIFICATION = "rectification", _("Correct my data")
    ERASURE = "erasure", _("Delete my data")
    RESTRICTION = "restriction", _("Restrict how my data is used")
    PORTABILITY = "portability", _("Get my data in a portable format")
    OBJECTION = "objection", _("Object to how my data is used")
    OPT_OUT = "opt_out", _("Opt out of sale, sharing or marketing")
    LIMIT_SENSITIVE = "limit_sensitive", _("Limit the use of my sensitive data")
    # Not rights of their own: each follows an earlier case (`original`), from its status page or logged by staff.
    APPEAL = "appeal", _("Appeal against our decision")
    COMPLAINT = "complaint", _("Complaint about how we handled a request")


# The rights a request exercises: what the forms offer (appeals and complaints follow a case instead).
RIGHTS: tuple[Kind, ...] = tuple(kind for kind in Kind if kind not in (Kind.APPEAL, Kind.COMPLAINT))
FOLLOW_UPS = frozenset({Kind.APPEAL, Kind.COMPLAINT})


class PeriodAsked(models.TextChoices):
    LAW = "", _("As the law says")
    ALL = "all", _("Everything held")
    TWELVE_MONTHS = "12_months", _("The last 12 months")
    SINCE = "since", _("Since a date")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    EMAIL = "email", _("Email")
    POST = "post", _("Post")
    PHONE = "phone", _("Phone")
    API = "api", _("API")


class Relationship(models.TextChoices):
    SELF = "self", _("The person the data is about")
    AGENT = "agent", _("An authorised agent")
    PARENT = "parent", _("A parent or guardian of a child under 16")


class Outcome(models.TextChoices):
    FULFILLED = "fulfilled", _("Done in full")
    PARTIALLY_FULFILLED = "partially_fulfilled", _("Done in part")
    NO_DATA = "no_data", _("We hold no data about this person")
    # How an appeal or a complaint ends (services/follow_ups.py).
    APPEAL_GRANTED = "appeal_granted", _("Appeal granted: we reverse our decision")
    APPEAL_REFUSED = "appeal_refused", _("Appeal refused: our decision stands")
    COMPLAINT_UPHELD = "complaint_upheld", _("Complaint upheld")
    COMPLAINT_NOT_UPHELD = "complaint_not_upheld", _("Complaint not upheld")


# The outcomes a request, an appeal and a complaint may end with.
OUTCOMES_OF: dict[str, tuple[Outcome, ...]] = {
    Kind.APPEAL: (Outcome.APPEAL_GRANTED, Outcome.APPEAL_REFUSED),
    Kind.COMPLAINT: (Outcome.COMPLAINT_UPHELD, Outcome.COMPLAINT_NOT_UPHELD),
}
REQUEST_OUTCOMES: tuple[Outcome, ...] = (Outcome.FULFILLED, Outcome.PARTIALLY_FULFILLED, Outcome.NO_DATA)


class DenialReason(models.TextChoices):
    IDENTITY_NOT_VERIFIED = "identity_not_verified", _("We could not verify the requester's identity")
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("The request is manifestly unfounded")
    EXCESSIVE = "excessive", _("The request is excessive or repetitive")
    LEGAL_EXEMPTION = "legal_exemption", _("A legal exemption applies")
    RIGHTS_OF_OTHERS = "rights_of_others", _("Answering would harm the rights of others")
    FEE_DECLINED = "fee_declined", _("The requester declined the fee")


class FeeReason(models.TextChoices):
    EXCESSIVE = "excessive", _("Excessive")
    REPETITIVE = "repetitive", _("Repetitive")
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded", _("Manifestly unfounded")
    REPRODUCTION = "reproduction", _("Costs of transcribing, copying or sending (told in advance)")


# Sorted: the migration must not change with set iteration order.
_OPEN = Q(status__in=sorted(s.value for s in OPEN_STATUSES))


class PrivacyRequest(models.Model):
    """One request by one person to exercise one right."""

    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("right"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    received_at = models.DateTimeField(_("received at"))
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Who asks, and about whom (the same person unless an agent or a parent asks).
    requester_name = models.CharField(_("requester's name"), max_length=200)
    # Empty for a requester who wrote by post and gave no email: everything goes to `postal_address` by post.
    requester_email = models.EmailField(_("requester's email"), blank=True)
    postal_address = models.TextField(_("postal address"), blank=True, default="", db_default="")
    # The address as it identifies the person (privacyportal.addresses): every match is exact on this, never a
    # database's case folding. Written by the services with the address.
    # Long enough for any address an EmailField takes once its domain is in IDNA (a Unicode domain grows about
    # four-fold); a database default, so a web process of the previous release can still insert while the new
    # one migrates.
    email_key = models.CharField(max_length=2000, editable=False, db_index=True, default="", db_default="")
    relationship = models.CharField(
        _("requester is"), max_length=10, choices=Relationship.choices, default=Relationship.SELF
    )
    subject_name = models.CharField(_("data subject's name"), max_length=200, blank=True)
    subject_email = models.EmailField(_("data subject's email"), blank=True)
    # For agent requests: did the person themselves confirm the agent acts for them? (DESIGN §6)
    subject_answer = models.CharField(
        _("subject's answer"),
        max_length=10,
        blank=True,
        choices=[
            ("confirmed", _("Confirmed the agent")),
            ("refused", _("Said they did not authorise the agent")),
        ],
    )
    subject_answered_at = models.DateTimeField(null=True, blank=True)
    # The agent's permission is a power of attorney: the person is not asked to confirm it (CCPA §7063(b)).
    # Database defaults here and below: a web process of the previous release can still insert while this one
    # migrates.
    power_of_attorney = models.BooleanField(
        _("agent holds a power of attorney"), default=False, db_default=False
    )
    country = models.CharField(_("country"), max_length=2)
    subdivision = models.CharField(_("state or province"), max_length=3, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")

    # What is asked.
    details = models.TextField(_("details"), blank=True)
    rectification_current = models.TextField(_("what is wrong"), blank=True)
    rectification_wanted = models.TextField(_("what it should say"), blank=True)
    objection_grounds = models.TextField(_("grounds"), blank=True)
    marketing_only = models.BooleanField(_("objection to direct marketing only"), default=False)
    # How far back access and portability reach: "" as the law says (requests/lookback.py), or what the requester
    # asked for ("all", "12_months", "since" with `period_since`).
    period = models.CharField(_("period asked for"), max_length=12, choices=PeriodAsked.choices, blank=True)
    period_since = models.DateField(_("data since"), null=True, blank=True)
    customer_name = models.CharField(_("our customer (controller)"), max_length=200, blank=True)
    # What this case follows: the refused request an appeal is about, the request a complaint is about, or the
    # appeal whose grant reopened this request. The details of an appeal or complaint are the requester's words.
    original = models.ForeignKey(
        "self",
        verbose_name=_("follows"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="follow_ups",
    )
    # Details the requester gave so staff can match them against what we hold (tiers matched and high).
    data_points = models.JSONField(_("details to match"), default=dict, blank=True)
    # The signed declaration under penalty of perjury (tier high): the typed name and when it was made.
    declaration_name = models.CharField(_("declaration signed as"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("declaration signed at"), null=True, blank=True)
    # A Californian asked for the specific pieces of information, not only the categories (CCPA §7062(c)).
    specific_pieces = models.BooleanField(
        _("asked for the specific pieces of information"), default=False, db_default=False
    )

    # Deadlines (denormalised from requests.deadlines by the services; the queue sorts on them).
    regimes = models.JSONField(_("regimes"), default=list)
    governing_regime = models.CharField(_("governing regime"), max_length=20, db_index=True)
    due_at = models.DateField(_("due"))
    extended_due_at = models.DateField(_("due if extended"))
    # The date in force now (extended_due_at once extended): what the queue sorts on and the sweeps select by.
    effective_due_at = models.DateField(_("due"))
    acknowledge_by = models.DateField(_("acknowledge by"), null=True, blank=True)
    extended = models.BooleanField(_("extended"), default=False)
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    paused_days = models.PositiveIntegerField(_("days paused"), default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    # Where a paused case goes back to when the requester answers or the fee is settled.
    resume_status = models.CharField(max_length=20, choices=Status.choices, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_requests",
    )
    email_verified_at = models.DateTimeField(null=True, blank=True)
    identity_verified_at = models.DateTimeField(null=True, blank=True)
    # How far identity was checked when it was verified (identity/tiers.py): a Californian verified below what the
    # specific pieces need is answered with the categories (CCPA §7024(a)). "" before that, or on older cases.
    identity_tier = models.CharField(
        _("identity checked to"), max_length=10, choices=Tier.choices, blank=True, default="", db_default=""
    )
    # Staff recorded a reasonable doubt about who asks (GDPR Art. 12(6)): email control is no longer enough.
    identity_doubt_at = models.DateTimeField(_("reasonable doubt recorded at"), null=True, blank=True)

    # Flags the queue filters on.
    repetitive = models.BooleanField(_("repetitive"), default=False)
    processor_request = models.BooleanField(_("about a customer's data (we are processor)"), default=False)

    # Fees (only for excessive, repetitive or manifestly unfounded requests).
    fee_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    fee_currency = models.CharField(max_length=3, blank=True)
    fee_reason = models.CharField(max_length=24, choices=FeeReason.choices, blank=True)
    fee_quoted_at = models.DateTimeField(null=True, blank=True)
    fee_accepted = models.BooleanField(null=True, blank=True)
    # The cost estimate the requester sees before deciding: [{"item": "...", "amount": "12.00"}, ...].
    fee_breakdown = models.JSONField(default=list, blank=True)

    # How it ended.
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    denial_reason = models.CharField(
        _("reason refused"), max_length=24, choices=DenialReason.choices, blank=True
    )
    outcome_note = models.TextField(_("note"), blank=True)
    # Art. 18(3): a restriction is lifted only after the requester is told, and why.
    restriction_lifted_at = models.DateTimeField(_("restriction lifted"), null=True, blank=True)
    restriction_lift_reason = models.TextField(_("why the restriction was lifted"), blank=True)
    forwarded_to = models.CharField(_("forwarded to"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The requester wrote on the case after it closed, and staff have not answered yet: no clock runs, but the
    # queue shows it (flag and filter) until a member of staff writes back.
    written_after_closing_at = models.DateTimeField(_("written to after closing"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)

    class Meta:
        verbose_name = _("privacy request")
        verbose_name_plural = _("privacy requests")
        ordering = ["effective_due_at", "id"]
        permissions = [
            ("view_all_cases", "Can see every case, not only the unassigned ones and their own"),
            ("extend_case", "Can extend a case's deadline"),
            ("deny_case", "Can refuse a request"),
            ("quote_fee", "Can quote a fee"),
            ("forward_case", "Can forward a request to the controller"),
            ("release_packet", "Can release a fulfilment packet"),
            ("approve_erasure", "Can approve an erasure plan in a company system"),
        ]
        indexes = [
            # The queue: open cases by deadline, whole or per status / assignee / regime / kind.
            models.Index(fields=["effective_due_at", "id"], condition=_OPEN, name="pr_open_due"),
            models.Index(fields=["status", "effective_due_at"], condition=_OPEN, name="pr_open_status_due"),
            models.Index(
                fields=["assignee", "effective_due_at"], condition=_OPEN, name="pr_open_assignee_due"
            ),
            models.Index(fields=["kind", "effective_due_at"], condition=_OPEN, name="pr_open_kind_due"),
            models.Index(
                fields=["governing_regime", "effective_due_at"], condition=_OPEN, name="pr_open_regime_due"
            ),
            # The extension-window sweep looks at unextended cases by their original date.
            models.Index(fields=["due_at"], condition=_OPEN & Q(extended=False), name="pr_open_unext_due"),
            # The acknowledgements sweep: open cases staff logged where a regime asks for an acknowledgement.
            models.Index(
                fields=["id"],
                condition=_OPEN & Q(acknowledge_by__isnull=False) & ~Q(channel="web"),
                name="pr_open_to_acknowledge",
            ),
            # References are matched case-insensitively (iexact is UPPER(column) = UPPER(value)) by the queue's
            # and the API's search; addresses exactly on email_key.
            models.Index(Upper("reference"), name="pr_reference_upper"),
            models.Index(fields=["received_at"], name="pr_received"),
            models.Index(fields=["kind", "closed_at"], name="pr_kind_closed"),
            # The dashboard's median days to answer, over the last year's answered cases.
            models.Index(
                fields=["closed_at"],
                condition=Q(status__in=["completed", "denied"]),
                name="pr_answered_closed",
            ),
            # Sweeps: unverified cases by age.
            models.Index(fields=["received_at"], condition=Q(status="new"), name="pr_new_received"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
