"""The case page's actions (DESIGN §8): one small form per service, with its label.

Forms validate what staff typed; the services decide. Who may take an action and when is theirs to say
(`services.available`), so the page shows only what this person can do now, as the API does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from identity.services import add_extract
from identity.tiers import POINTS_NEEDED, Tier, at_least
from privacyportal import uploads

from .. import fee_rules, selectors, services
from ..forms import DATA_POINTS
from ..models import (
    OUTCOMES_OF,
    REQUEST_OUTCOMES,
    RIGHTS,
    Channel,
    CheckState,
    CompanySystem,
    DenialReason,
    FeeReason,
    NoticeMethod,
    PrivacyRequest,
    Relationship,
)
from ..selectors import local_today, operator_zone

DATA_POINT_LABELS = {
    "phone": _("Phone number"),
    "postal_address": _("Postal address"),
    "account_reference": _("Account, customer or order number"),
    "date_of_birth": _("Date of birth"),
}


class CaseForm(forms.Form):
    """An action form: knows its case and the member of staff acting."""

    def __init__(self, *args: Any, privacy_request: PrivacyRequest, user: Any, **kwargs: Any) -> None:
        self.privacy_request = privacy_request
        self.user = user
        super().__init__(*args, **kwargs)

    def run(self) -> str:
        """Call the service; return the message shown to staff on success."""
        raise NotImplementedError


def active_staff() -> Any:
    """Who cases may be assigned to: active staff in the DPO or Handler role (or superusers)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=["DPO", "Handler"]))
        .distinct()
        .order_by("username")
    )


class AssignForm(CaseForm):
    assignee = forms.ModelChoiceField(label=_("Assign to"), queryset=get_user_model().objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Handlers take cases for themselves; only those who see every case hand them to others.
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for the type checker)
        if self.user.has_perm("requests.view_all_cases"):
            field.queryset = active_staff()
        else:
            field.queryset = get_user_model().objects.filter(pk=self.user.pk)
        field.initial = self.user.pk

    def run(self) -> str:
        to = self.cleaned_data["assignee"]
        services.assign(self.privacy_request, to=to, by=self.user)
        return gettext("Assigned to %(name)s.") % {"name": to.get_full_name() or to.get_username()}


class VerifyForm(CaseForm):
    data_points = forms.MultipleChoiceField(
        label=_("Details that matched what we hold"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick only what you checked against our own records. Never the detail being corrected."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        given = self.privacy_request.data_points or {}
        # What comparing the details with our systems found: a match is ticked already, and says where.
        matched = selectors.detail_comparisons(self.privacy_request).matched()
        choices = []
        for name in DATA_POINTS:
            label = str(DATA_POINT_LABELS[name])
            if given.get(name):
                label = f"{label}: {given[name]}"
            if name in matched:
                label += " " + gettext("(matches in %(systems)s)") % {"systems": ", ".join(matched[name])}
            choices.append((name, label))
        choices.append(("other_record", str(_("Another detail we hold (say which in a message or note)"))))
        field = self.fields["data_points"]
        assert isinstance(field, forms.MultipleChoiceField)  # noqa: S101
        field.choices = choices
        field.initial = [name for name in DATA_POINTS if name in matched]
        self.tier = selectors.verification_tier(self.privacy_request)
        self.needed = POINTS_NEEDED[self.tier]
        # A Californian asking for the specific pieces: what answers them with the categories instead (§7024(a)).
        fallback = selectors.categories_tier(self.privacy_request)
        self.fallback_needed = POINTS_NEEDED[fallback] if fallback is not None else None

    def run(self) -> str:
        services.verify(self.privacy_request, by=self.user, data_points=self.cleaned_data["data_points"])
        if not at_least(Tier(self.privacy_request.identity_tier), self.tier):
            return gettext(
                "Identity verified for the categories only: the answer gives the categories of information, "
                "not the specific pieces, and says why (CCPA §7024(a))."
            )
        return gettext("Identity verified; the case is open.")


class CompareForm(CaseForm):
    def run(self) -> str:
        queued = services.connectors.compare(self.privacy_request, by=self.user)
        if not queued:
            return gettext("The details are being compared already in every system.")
        return ngettext(
            "Comparing the details in %(count)d system; the verdicts show under “Details compared” when done.",
            "Comparing the details in %(count)d systems; the verdicts show under “Details compared” when done.",
            len(queued),
        ) % {"count": len(queued)}


class PauseForm(CaseForm):
    reason = forms.CharField(
        label=_("What we need from the requester"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the requester as a message. The clock stops only where the law allows."),
    )
    # Shown only where the confirmed email is all the case needs (identity/tiers.py); elsewhere the service
    # refuses it, so an API client asking for it is told why rather than ignored.
    doubt = forms.BooleanField(
        label=_("We have a reasonable doubt that the requester is who they say they are"),
        required=False,
        help_text=_(
            "Only for a reason you can state in the message, such as an address that is not the one we hold "
            "(GDPR Art. 12(6)). The case then needs two details that match what we hold, and nothing is done "
            "in our systems until they do. Ask for details we hold, never for an ID document."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if selectors.verification_tier(self.privacy_request) is not Tier.EMAIL:
            self.fields["doubt"].widget = forms.HiddenInput()

    def run(self) -> str:
        doubt = bool(self.cleaned_data.get("doubt"))
        services.pause(self.privacy_request, by=self.user, reason=self.cleaned_data["reason"], doubt=doubt)
        if doubt:
            return gettext(
                "The requester has been asked; once they answer, the case needs two matching details."
            )
        return gettext("The requester has been asked; the case waits for their answer.")


class ResumeForm(CaseForm):
    def run(self) -> str:
        services.resume(self.privacy_request, by=self.user)
        return gettext("The case carries on; the clock runs again.")


class ExtendForm(CaseForm):
    reason = forms.CharField(
        label=_("Why we need more time"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The requester receives this reason in the extension notice."),
    )

    def run(self) -> str:
        services.extend(self.privacy_request, by=self.user, reason=self.cleaned_data["reason"])
        return gettext("Extended to %(due)s; the requester has been told why.") % {
            "due": formats.date_format(self.privacy_request.effective_due_at)
        }


class FeeForm(CaseForm):
    amount = forms.DecimalField(label=_("Fee"), min_value=Decimal("0.01"), max_digits=10, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)
    reason = forms.ChoiceField(label=_("Why a fee is justified"), choices=FeeReason.choices)
    breakdown = forms.CharField(
        label=_("Cost breakdown"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One line per cost: what it is, a colon, the amount. E.g. “Copying 400 pages: 40.00”."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].initial = settings.PRIVACY_FEE_CURRENCY
        # Only the grounds every law owed to this requester allows (requests/fee_rules.py).
        allowed = fee_rules.allowed_grounds(self.privacy_request.regimes)
        reason = cast(forms.ChoiceField, self.fields["reason"])
        reason.choices = [(value, label) for value, label in FeeReason.choices if value in allowed]

    def clean_breakdown(self) -> list[tuple[str, Decimal]]:
        lines = []
        for number, line in enumerate(self.cleaned_data["breakdown"].splitlines(), start=1):
            if not line.strip():
                continue
            item, sep, cost = line.rpartition(":")
            amount: Decimal | None
            try:
                parsed = Decimal(cost.strip().replace(",", "."))
                amount = parsed if parsed.is_finite() and parsed > 0 else None  # "NaN", "Infinity", 0, -5
            except InvalidOperation:
                amount = None
            if not sep or not item.strip() or amount is None:
                raise ValidationError(
                    _("Line %(n)d should read “what it is: amount”."), params={"n": number}, code="line"
                )
            lines.append((item.strip(), amount))
        return lines

    def run(self) -> str:
        data = self.cleaned_data
        services.quote_fee(
            self.privacy_request,
            by=self.user,
            amount=data["amount"],
            currency=data["currency"],
            reason=data["reason"],
            breakdown=data["breakdown"],
        )
        return gettext("Fee quoted; the requester decides on the status page.")


class CompleteForm(CaseForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[(o.value, o.label) for o in REQUEST_OUTCOMES])
    note = forms.CharField(
        label=_("Note to the requester"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def run(self) -> str:
        data = self.cleaned_data
        services.complete(self.privacy_request, by=self.user, outcome=data["outcome"], note=data["note"])
        return gettext("Completed; the requester has been told.")


class DecideForm(CaseForm):
    # Every decision an appeal or a complaint may have (the API documents these); the form offers the case's own.
    outcome = forms.ChoiceField(
        label=_("Decision"), choices=[(o.value, o.label) for kind in OUTCOMES_OF for o in OUTCOMES_OF[kind]]
    )
    reasons = forms.CharField(
        label=_("Reasons for the requester"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "They receive these in the decision letter. A refused appeal's letter adds how to complain to their "
            "state's Attorney General; a granted appeal opens the request again as a new case."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome = cast(forms.ChoiceField, self.fields["outcome"])
        outcome.choices = [(o.value, o.label) for o in OUTCOMES_OF.get(self.privacy_request.kind, ())]

    def run(self) -> str:
        data = self.cleaned_data
        services.decide(self.privacy_request, by=self.user, outcome=data["outcome"], reasons=data["reasons"])
        reopened = self.privacy_request.follow_ups.first()
        if reopened is not None:
            return gettext(
                "Decided; the request is open again as %(reference)s, and the requester has the letter."
            ) % {"reference": reopened.reference}
        return gettext("Decided; the requester has the letter.")


class DenyForm(CaseForm):
    # No reason is chosen for staff: a refusal sent with the first reason in the list would cite the wrong law.
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[
            ("", _("Choose a reason")),
            *(c for c in DenialReason.choices if c[0] != DenialReason.FEE_DECLINED),
        ],
        error_messages={
            "required": _("Choose the reason for refusing: the letter gives it to the requester.")
        },
    )
    explanation = forms.CharField(
        label=_("Explanation for the requester"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The letter adds their right to complain to a supervisory authority."),
    )

    def run(self) -> str:
        data = self.cleaned_data
        services.deny(
            self.privacy_request, by=self.user, reason=data["reason"], explanation=data["explanation"]
        )
        return gettext("Refused; the requester has the reasons and their right to complain.")


class ForwardForm(CaseForm):
    controller = forms.CharField(label=_("Controller (our customer)"), max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["controller"].initial = self.privacy_request.customer_name

    def run(self) -> str:
        services.forward(self.privacy_request, by=self.user, controller=self.cleaned_data["controller"])
        return gettext("Forwarded; the requester has been told who will answer.")


class WithdrawForm(CaseForm):
    note = forms.CharField(
        label=_("How the requester withdrew"),
        help_text=_("E.g. “By phone on 3 March”."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def run(self) -> str:
        services.withdraw(self.privacy_request, by=self.user, note=self.cleaned_data["note"])
        return gettext("Withdrawn; the requester has a confirmation.")


class FollowUpForm(CaseForm):
    """An appeal or a complaint about this case that came by email, post or phone."""

    channel = forms.ChoiceField(
        label=_("Came by"), choices=[(c.value, c.label) for c in (Channel.EMAIL, Channel.POST, Channel.PHONE)]
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day it reached us: its deadlines count from this day."),
    )
    text = forms.CharField(label=_("What they wrote or said"), widget=forms.Textarea(attrs={"rows": 4}))

    def clean_received_on(self) -> Any:
        day = self.cleaned_data["received_on"]
        if day > local_today():
            raise ValidationError(_("The day received cannot be in the future."), code="future")
        return day

    def received_at(self) -> datetime:
        # The start of that day's working hours where the operator works, or now for today.
        received = datetime.combine(self.cleaned_data["received_on"], time(9), tzinfo=operator_zone())
        return min(received, timezone.now())


class LogAppealForm(FollowUpForm):
    def run(self) -> str:
        data = self.cleaned_data
        appeal = services.appeal(
            self.privacy_request,
            reasons=data["text"],
            by=self.user,
            channel=data["channel"],
            received_at=self.received_at(),
        )
        return gettext("Logged as %(reference)s; the requester has an acknowledgement.") % {
            "reference": appeal.reference
        }


class LogComplaintForm(FollowUpForm):
    def run(self) -> str:
        data = self.cleaned_data
        complaint = services.complain(
            self.privacy_request,
            complaint=data["text"],
            by=self.user,
            channel=data["channel"],
            received_at=self.received_at(),
        )
        return gettext("Logged as %(reference)s; the requester has an acknowledgement.") % {
            "reference": complaint.reference
        }


class MessageForm(CaseForm):
    body = forms.CharField(label=_("Message to the requester"), widget=forms.Textarea(attrs={"rows": 4}))

    def run(self) -> str:
        services.send_message(self.privacy_request, by=self.user, body=self.cleaned_data["body"])
        return gettext("Message sent; the requester is emailed that there is a new message.")


class SystemCheckForm(CaseForm):
    system = forms.ModelChoiceField(
        queryset=CompanySystem.objects.filter(active=True), widget=forms.HiddenInput
    )
    state = forms.ChoiceField(label=_("State"), choices=CheckState.choices)
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 1}),
        help_text=_("Required when the system is skipped: why it need not be searched."),
    )
    extract = forms.FileField(
        label=_("Extract"),
        required=False,
        help_text=_("PDF, CSV, JSON, text, JPEG or PNG, up to 10 MB. It goes into the packet."),
    )

    def clean_extract(self) -> uploads.CheckedFile | None:
        upload = self.cleaned_data.get("extract")
        return uploads.check_extract(upload) if upload else None

    def run(self) -> str:
        data = self.cleaned_data
        with transaction.atomic():  # the state and its extract are saved together or not at all
            services.record_system_check(
                self.privacy_request,
                by=self.user,
                system=data["system"],
                state=data["state"],
                notes=data["notes"],
            )
            if data["extract"] is not None:
                add_extract(self.privacy_request, data["extract"], system=data["system"], by=self.user)
        return gettext("%(system)s: %(state)s.") % {
            "system": data["system"].name,
            "state": CheckState(data["state"]).label,
        }


class OwnerTasksForm(CaseForm):
    def run(self) -> str:
        created = services.open_tasks(self.privacy_request, by=self.user)
        if not created:
            return gettext("Every system owner already has their task: nothing new was sent.")
        return ngettext(
            "%(n)d task sent to a system owner; their answers fill in the systems checklist.",
            "%(n)d tasks sent to system owners; their answers fill in the systems checklist.",
            len(created),
        ) % {"n": len(created)}


class ConnectorsForm(CaseForm):
    def run(self) -> str:
        queued = services.connectors.start(self.privacy_request, by=self.user)
        if not queued:
            return gettext("Nothing new to run: every connector action is queued or done.")
        return ngettext(
            "%(count)d connector run queued.", "%(count)d connector runs queued.", len(queued)
        ) % {"count": len(queued)}


class RecipientNoticeForm(CaseForm):
    """Art. 19: a recipient told of the erasure, correction or restriction, or not told and why."""

    recipient = forms.ChoiceField(label=_("Recipient"))
    told = forms.ChoiceField(
        label=_("Told?"),
        choices=[("yes", _("Yes, we told them")), ("no", _("No: impossible, or a disproportionate effort"))],
        widget=forms.RadioSelect,
        initial="yes",
    )
    method = forms.ChoiceField(
        label=_("How"), choices=[("", "---------"), *NoticeMethod.choices], required=False
    )
    told_on = forms.DateField(label=_("On"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    not_told_reason = forms.CharField(
        label=_("Why not"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        recipient = cast(forms.ChoiceField, self.fields["recipient"])
        # Recorded under the register's English name, shown in the page's language.
        choices = selectors.recipient_choices(self.privacy_request)
        recipient.choices = choices
        self.recipient_names = dict(choices)
        self.fields["told_on"].initial = local_today()

    def run(self) -> str:
        data = self.cleaned_data
        told = data["told"] == "yes"
        services.record_recipient_notice(
            self.privacy_request,
            by=self.user,
            recipient=data["recipient"],
            method=data["method"] if told else "",
            told_on=(data["told_on"] or local_today()) if told else None,
            not_told_reason="" if told else data["not_told_reason"],
        )
        return gettext("Recorded for %(recipient)s; the confirmation letter will say so.") % {
            "recipient": self.recipient_names[data["recipient"]]
        }


class LiftRestrictionForm(CaseForm):
    reason = forms.CharField(
        label=_("Why the restriction is lifted"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent to the requester before anything changes (Art. 18(3)), e.g. “We have checked that your "
                    "address is accurate.”"),
    )  # fmt: skip

    def run(self) -> str:
        services.lift_restriction(self.privacy_request, by=self.user, reason=self.cleaned_data["reason"])
        return gettext(
            "The requester has been told; the connectors lift the restriction once the email is sent."
        )


class BuildPacketForm(CaseForm):
    def run(self) -> str:
        services.request_packet(self.privacy_request, by=self.user)
        return gettext("The packet is being built; its progress shows below.")


class ReleasePacketForm(CaseForm):
    # The build the DPO looked at: a newer build finished meanwhile is not released unseen.
    build = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def run(self) -> str:
        packet = services.release_packet(
            self.privacy_request, by=self.user, build=self.cleaned_data.get("build")
        )
        return gettext("Released; the requester is emailed and may download it until %(date)s.") % {
            "date": formats.date_format(packet.expires_at.date()) if packet.expires_at else ""
        }


@dataclass(frozen=True)
class Action:
    """How the case page shows one of the services' actions (`services.RULES` says when it is offered)."""

    name: str
    label: Any
    form: type[CaseForm]


# In the order of services.RULES, which the case page and the API follow.
ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action("assign", _("Assign"), AssignForm),
        Action("verify", _("Verify identity"), VerifyForm),
        Action("compare", _("Compare details with our systems"), CompareForm),
        Action("pause", _("Ask the requester"), PauseForm),
        Action("resume", _("Carry on (the requester answered)"), ResumeForm),
        Action("extend", _("Extend"), ExtendForm),
        Action("fee", _("Quote a fee"), FeeForm),
        Action("complete", _("Complete"), CompleteForm),
        Action("decide", _("Decide"), DecideForm),
        Action("deny", _("Refuse"), DenyForm),
        Action("forward", _("Forward to the controller"), ForwardForm),
        Action("withdraw", _("Record a withdrawal"), WithdrawForm),
        Action("log_appeal", _("Log an appeal received by email, post or phone"), LogAppealForm),
        Action("log_complaint", _("Log a complaint received by email, post or phone"), LogComplaintForm),
        Action("message", _("Write to the requester"), MessageForm),
        Action("check", _("Systems checklist"), SystemCheckForm),
        Action("owner_tasks", _("Send tasks to system owners"), OwnerTasksForm),
        Action("connectors", _("Run connectors now"), ConnectorsForm),
        Action("recipients", _("Record a recipient told (Art. 19)"), RecipientNoticeForm),
        Action("lift", _("Lift the restriction"), LiftRestrictionForm),
        Action("packet", _("Build the packet"), BuildPacketForm),
        Action("release", _("Release the packet"), ReleasePacketForm),
    ]
}


MAX_ADDRESS_LINES = 5


class LogRequestForm(forms.Form):
    """A request that came by email, post or phone, logged by staff with the day it really arrived."""

    channel = forms.ChoiceField(
        label=_("Came by"), choices=[(c.value, c.label) for c in (Channel.EMAIL, Channel.POST, Channel.PHONE)]
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("The day it reached us (the postmark is not it): the deadlines count from this day."),
    )
    # Appeals and complaints are logged from the case they follow.
    kind = forms.ChoiceField(label=_("Right"), choices=[(kind.value, kind.label) for kind in RIGHTS])
    requester_name = forms.CharField(label=_("Requester's name"), max_length=200)
    requester_email = forms.EmailField(
        label=_("Requester's email"),
        max_length=254,
        required=False,
        help_text=_("Where we write to them and how they follow the case."),
    )
    postal_address = forms.CharField(
        label=_("Requester's postal address"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Without an email address, every letter goes here by post: the case page lists what to post."
        ),
    )
    scan = forms.FileField(
        label=_("Scan of the letter as received"),
        required=False,
        help_text=_("PDF, JPEG or PNG, up to 10 MB. Kept encrypted with the case's other files."),
    )
    relationship = forms.ChoiceField(label=_("Requester is"), choices=Relationship.choices)
    subject_name = forms.CharField(
        label=_("Data subject's name (if not the requester)"), max_length=200, required=False
    )
    country = forms.ChoiceField(
        label=_("Country where the person lives"), choices=[("", _("Choose a country")), *countries]
    )
    subdivision = forms.CharField(
        label=_("State or province code"),
        max_length=3,
        required=False,
        help_text=_("E.g. CA for California."),
    )
    language = forms.ChoiceField(label=_("Language for letters"), choices=settings.LANGUAGES)
    details = forms.CharField(label=_("What they asked"), widget=forms.Textarea(attrs={"rows": 4}))
    customer_name = forms.CharField(
        label=_("Our customer, if the data is held for them"),
        max_length=200,  # the case's column: longer was a database error (500) on PostgreSQL
        required=False,
        help_text=_("Fill this in only when we are the processor; the case can then be forwarded."),
    )

    def clean_received_on(self) -> Any:
        day = self.cleaned_data["received_on"]
        if day > local_today():
            raise ValidationError(_("The day received cannot be in the future."), code="future")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("relationship", Relationship.SELF) != Relationship.SELF and not data.get("subject_name"):
            self.add_error("subject_name", _("Name the person the request is about."))
        if (
            "requester_email" in data
            and not data["requester_email"]
            and not data.get("postal_address", "").strip()
        ):
            self.add_error("requester_email", _("Give an email address or a postal address."))
        return data

    def clean_postal_address(self) -> str:
        address = "\n".join(
            line.strip() for line in self.cleaned_data["postal_address"].splitlines() if line.strip()
        )
        # With the name above it, what a window envelope shows (static/css/letter.css).
        if len(address.splitlines()) > MAX_ADDRESS_LINES:
            raise ValidationError(
                _("At most %(lines)d lines below the name: they must show in the envelope's window."),
                code="lines",
                params={"lines": MAX_ADDRESS_LINES},
            )
        return address

    def clean_scan(self) -> uploads.CheckedFile | None:
        upload = self.cleaned_data.get("scan")
        return uploads.check_upload(upload) if upload else None

    def new_request(self) -> services.NewRequest:
        data = self.cleaned_data
        day = data["received_on"]
        # The start of that day where the operator works, or now for today (a letter cannot arrive later).
        received = datetime.combine(day, time(9), tzinfo=operator_zone())
        received = min(received, timezone.now())
        return services.NewRequest(
            kind=data["kind"],
            requester_name=data["requester_name"],
            requester_email=data["requester_email"],
            postal_address=data["postal_address"],
            relationship=data["relationship"],
            subject_name=data["subject_name"],
            country=data["country"],
            subdivision=data["subdivision"],
            language=data["language"],
            channel=data["channel"],
            received_at=received,
            details=data["details"],
            customer_name=data["customer_name"],
        )
