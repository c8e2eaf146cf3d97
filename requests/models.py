"""The case (`PrivacyRequest`) and its append-only, hash-chained audit trail (`RequestEvent`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .lifecycle import OPEN_STATUSES, Status
from .lifecycle import PacketStatus as PacketStatus  # re-exported: it was defined here


class Kind(models.TextChoices):
    ACCESS = "access", _("Access my data")
    RECTIFICATION = "rectification", _("Correct my data")
    ERASURE = "erasure", _("Delete my data")
    RESTRICTION = "restriction", _("Restrict how my data is used")
    PORTABILITY = "portability", _("Get my data in a portable format")
    OBJECTION = "objection", _("Object to how my data is used")
    OPT_OUT = "opt_out", _("Opt out of sale, sharing or marketing")
    LIMIT_SENSITIVE = "limit_sensitive", _("Limit the use of my sensitive data")


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
    requester_email = models.EmailField(_("requester's email"))
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
    country = models.CharField(_("country"), max_length=2)
    subdivision = models.CharField(_("state or province"), max_length=3, blank=True)
    language = models.CharField(_("language"), max_length=8, default="en")

    # What is asked.
    details = models.TextField(_("details"), blank=True)
    rectification_current = models.TextField(_("what is wrong"), blank=True)
    rectification_wanted = models.TextField(_("what it should say"), blank=True)
    objection_grounds = models.TextField(_("grounds"), blank=True)
    marketing_only = models.BooleanField(_("objection to direct marketing only"), default=False)
    # Access and portability cover the 12 months before receipt unless the requester asks from an earlier date.
    period_since = models.DateField(_("data since"), null=True, blank=True)
    customer_name = models.CharField(_("our customer (controller)"), max_length=200, blank=True)
    # Details the requester gave so staff can match them against what we hold (tiers matched and high).
    data_points = models.JSONField(_("details to match"), default=dict, blank=True)
    # The signed declaration under penalty of perjury (tier high): the typed name and when it was made.
    declaration_name = models.CharField(_("declaration signed as"), max_length=200, blank=True)
    declared_at = models.DateTimeField(_("declaration signed at"), null=True, blank=True)

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
    forwarded_to = models.CharField(_("forwarded to"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
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


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    REQUESTER = "requester", _("Requester")
    SYSTEM = "system", _("System")


class RequestEvent(models.Model):
    """One change of a case. Append-only; each row's hash covers the previous row's hash (DESIGN §4).

    `data` holds ids, codes and dates only, never personal data.
    """

    request = models.ForeignKey(PrivacyRequest, on_delete=models.PROTECT, related_name="events")
    seq = models.PositiveIntegerField()
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    verb = models.CharField(max_length=40)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")
        ordering = ["request_id", "seq"]
        constraints = [
            # Two writers appending to one case at once cannot fork its chain.
            models.UniqueConstraint(fields=["request", "seq"], name="event_one_per_seq"),
        ]

    def __str__(self) -> str:
        return f"{self.request_id}#{self.seq} {self.verb}"


class AuditHead(models.Model):
    """Where a case's chain of events ends, kept outside the events table (DESIGN §4).

    Written in the transaction of every append. `mac` is an HMAC under AUDIT_KEYS (which never enter the
    database) over the other fields, so removing the last events of a chain, or rewriting it, no longer matches
    its head, and nobody without the key can move the head to suit. Events up to `legacy_seq` were written before
    the chain was keyed and verify as plain SHA-256; the head they were sealed under at the upgrade is keyed.
    """

    request = models.OneToOneField(
        PrivacyRequest, on_delete=models.PROTECT, primary_key=True, related_name="audit_head"
    )
    seq = models.PositiveIntegerField()
    hash = models.CharField(max_length=64)
    legacy_seq = models.PositiveIntegerField(default=0)
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.request_id} up to #{self.seq}"


class AuditLedger(models.Model):
    """One row (id 1): how many chains (heads) there are, under an HMAC like the heads', so that a case taken out
    with its whole chain and head is noticed too. Written only when a case's first event starts a chain."""

    chains = models.PositiveIntegerField()
    mac = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chains} audit chains"


class Message(models.Model):
    """One message in the thread between staff and the requester (DESIGN §10)."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=ActorKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(_("message"))
    attachment = models.ForeignKey(
        "identity.Evidence", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["request_id", "created_at", "id"]

    def __str__(self) -> str:
        return f"message {self.pk} on case {self.request_id}"


class Notice(models.Model):
    """One reminder or notice claimed for one case: the unique (request, kind) row is the claim.

    A sweep inserts the row before it sends, so a doubled beat, a re-run or a concurrent worker finds it
    taken and sends nothing twice (DESIGN §7). Once-a-day notices put the day in `kind`.
    """

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=40)
    created_at = models.DateTimeField(default=timezone.now)
    sent = models.BooleanField(
        default=True
    )  # False: claimed only to mark a reminder superseded after an outage

    class Meta:
        constraints = [models.UniqueConstraint(fields=["request", "kind"], name="notice_once_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} for case {self.request_id}"


class SweepClaim(models.Model):
    """A once-per-period job that is not about one case (e.g. the daily overdue list to the DPOs)."""

    name = models.CharField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name


class StaffPreference(models.Model):
    """How a member of staff wants to hear from the sweeps: language, and single reminders or a daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="en")
    daily_digest = models.BooleanField(
        _("daily digest"),
        default=False,
        help_text=_("One email a day listing reminders, instead of one email each."),
    )

    class Meta:
        verbose_name = _("my notification settings")
        verbose_name_plural = _("my notification settings")

    def __str__(self) -> str:
        return f"preferences of {self.user_id}"


class LegalBasis(models.TextChoices):
    CONSENT = "consent", _("Consent (Art. 6(1)(a))")
    CONTRACT = "contract", _("Contract (Art. 6(1)(b))")
    LEGAL_OBLIGATION = "legal_obligation", _("Legal obligation (Art. 6(1)(c))")
    VITAL_INTERESTS = "vital_interests", _("Vital interests (Art. 6(1)(d))")
    PUBLIC_TASK = "public_task", _("Public task (Art. 6(1)(e))")
    LEGITIMATE_INTERESTS = "legitimate_interests", _("Legitimate interests (Art. 6(1)(f))")


class ProcessingActivity(models.Model):
    """One entry of the record of processing (Art. 30): what the access letter tells a person (Art. 15(1))."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    purposes = models.TextField(_("purposes"))
    data_categories = models.TextField(_("categories of personal data"))
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    sources = models.TextField(_("where the data comes from"))
    # One recipient per line, by name: the erasure, rectification and restriction letters list them (Art. 19).
    recipients = models.TextField(_("recipients, by name (one per line)"), blank=True)
    retention = models.CharField(_("how long it is kept"), max_length=300)
    transfers = models.TextField(_("transfers outside the UK/EEA, and safeguards"), blank=True)
    automated_decisions = models.TextField(
        _("automated decisions or profiling"), blank=True, help_text=_("Leave empty if there are none.")
    )

    class Meta:
        verbose_name = _("processing register entry")
        verbose_name_plural = _("processing register")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def recipient_names(self) -> list[str]:
        return [line.strip() for line in self.recipients.splitlines() if line.strip()]


class CompanySystem(models.Model):
    """A place where personal data lives (CRM, mailbox, billing...): each case checks every active one."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("what it holds"), max_length=300, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_systems",
    )
    activities = models.ManyToManyField(
        ProcessingActivity, verbose_name=_("register entries it serves"), related_name="systems", blank=True
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("company system")
        verbose_name_plural = _("company systems")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CheckState(models.TextChoices):
    NOT_CHECKED = "not_checked", _("Not checked")
    NO_DATA = "no_data", _("No data")
    DATA_FOUND = "data_found", _("Data found")
    EXPORTED = "exported", _("Exported")
    ERASED = "erased", _("Erased")
    RECTIFIED = "rectified", _("Rectified")
    RESTRICTED = "restricted", _("Restricted")


class SystemCheck(models.Model):
    """What one company system holds for one case (the systems checklist). A missing row means not checked."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="system_checks")
    system = models.ForeignKey(CompanySystem, on_delete=models.PROTECT, related_name="checks")
    state = models.CharField(
        _("state"), max_length=12, choices=CheckState.choices, default=CheckState.NOT_CHECKED
    )
    notes = models.TextField(_("notes"), blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request_id", "system__name"]
        constraints = [models.UniqueConstraint(fields=["request", "system"], name="one_check_per_system")]

    def __str__(self) -> str:
        return f"{self.system_id} for case {self.request_id}: {self.state}"


class LetterKind(models.TextChoices):
    ACCESS = "access", _("Access: cover letter (Art. 15)")
    CCPA_KNOW = "ccpa_know", _("CCPA request to know: response")
    CONFIRMATION = "confirmation", _("Confirmation of erasure, rectification, restriction or objection")
    COMPLETION = "completion", _("Answer to the request")
    EXTENSION = "extension", _("Extension notice")
    FEE = "fee", _("Fee estimate")
    REFUSAL = "refusal", _("Refusal")
    FORWARD = "forward", _("Forward notice")


class Letter(models.Model):
    """A PDF letter sent to the requester (DESIGN §9): rendered by a task, stored encrypted, attached to email."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(_("letter"), max_length=20, choices=LetterKind.choices)
    language = models.CharField(max_length=8)
    # The event the letter answers: a retried email task finds its letter instead of writing another.
    for_event = models.PositiveIntegerField()
    stored_name = models.CharField(max_length=50, unique=True)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request_id", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "kind", "for_event"], name="one_letter_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.kind} letter for case {self.request_id}"

    @property
    def filename(self) -> str:
        return f"{self.kind}-{self.created_at:%Y%m%d}.pdf"


class Packet(models.Model):
    """The fulfilment packet of one case: a ZIP built by a task, stored encrypted, released by a DPO.

    One per case: a re-run replaces the previous build (DESIGN §9).
    """

    request = models.OneToOneField(PrivacyRequest, on_delete=models.CASCADE, related_name="packet")
    status = models.CharField(max_length=10, choices=PacketStatus.choices, default=PacketStatus.QUEUED)
    # Which build this row describes: a task finding another number here was superseded and stops.
    build = models.PositiveIntegerField(default=1)
    step = models.CharField(max_length=40, blank=True)
    percent = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    stored_name = models.CharField(max_length=50, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    files = models.JSONField(default=list, blank=True)  # the manifest: [{"name", "sha256", "size"}]
    requested_at = models.DateTimeField(default=timezone.now)
    built_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    downloads = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], condition=Q(status="released"), name="packet_released_expiry")
        ]

    def __str__(self) -> str:
        return f"packet of case {self.request_id} ({self.status})"


class Heartbeat(models.Model):
    """When a worker last ran a heartbeat or a sweep: /healthz reads these (DESIGN §11)."""

    name = models.CharField(max_length=60, primary_key=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
