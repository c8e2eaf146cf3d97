"""Public pages. They hold no rules: forms validate, services decide, templates show."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from identity.forms import CODE_FAILED, CodeForm, SignInForm
from identity.models import Evidence
from identity.services import (
    ChallengeFailed,
    attach_evidence,
    check_download_code,
    check_sign_in,
    check_upload_quota,
    keep_upload,
)
from identity.tasks import send_download_code, send_sign_in_code
from identity.tiers import Tier
from privacyportal import outbox
from privacyportal.ratelimit import counted, over_limit, retry_after
from privacyportal.uploads import CheckedFile

from . import wizard
from .downloads import attachment, keep_grant, take_grant
from .explain import explain, laws_that_apply
from .forms import DETAILS_GROUP, AppealForm, ComplaintForm, OwnerTaskForm, PrivacyRequestForm, ReplyForm
from .letters import read as read_letter
from .lifecycle import Status
from .models import FOLLOW_UPS, RIGHTS, Kind, OwnerTask, Packet, PacketStatus, PrivacyRequest, Relationship
from .packets import read as read_packet
from .selectors import (
    answer_letter,
    authority_line,
    cases_of,
    deadlines_of,
    ending,
    establishment_laws,
    last_download,
    local_today,
    may_appeal,
    may_complain,
    may_withdraw,
    progress,
    public_timeline,
    standing,
    takes_messages,
    verification_tier,
)
from .services import (
    PACKET_KINDS,
    LinkState,
    TaskClosed,
    TransitionError,
    accept_fee,
    answer_task,
    appeal,
    complain,
    decline_fee,
    find_task,
    find_task_by_hash,
    link_state,
    record_download,
    reply,
    submit,
    withdraw,
)

# What each right means, in plain words (the order of the home page).
RIGHT_DESCRIPTIONS = {
    Kind.ACCESS: _("Find out whether we hold data about you, get a copy, and learn how we use it."),
    Kind.RECTIFICATION: _("Have wrong or incomplete data about you corrected."),
    Kind.ERASURE: _("Have data about you deleted, when we no longer have a reason to keep it."),
    Kind.RESTRICTION: _("Have us keep your data but stop using it while a question is settled."),
    Kind.PORTABILITY: _("Receive the data you gave us in a machine-readable file to take elsewhere."),
    Kind.OBJECTION: _("Object to how we use your data, including for direct marketing."),
    Kind.OPT_OUT: _("Stop us selling or sharing your data, or sending you marketing. Honoured at once."),
    Kind.LIMIT_SENSITIVE: _(
        "Limit our use of sensitive data about you to what is strictly needed. Honoured at once."
    ),
}

SESSION_CASE = "pending_case"
# Packets the requester does not hear of until a DPO releases them.
_UNRELEASED = [PacketStatus.QUEUED, PacketStatus.BUILDING, PacketStatus.READY, PacketStatus.FAILED]
SESSION_UPLOAD = "pending_upload"


def home(request: HttpRequest) -> HttpResponse:
    rights = [{"kind": kind, "label": kind.label, "description": RIGHT_DESCRIPTIONS[kind]} for kind in RIGHTS]
    laws = laws_that_apply(establishment_laws())
    return render(request, "requests/home.html", {"rights": rights, "laws": laws})


def rate_limited(request: HttpRequest, group: str, rate: str) -> bool:
    """Count this POST against the client's limit for `group`; True when over it."""
    return over_limit(request, group, rate)


def too_many(
    request: HttpRequest, *, group: str | None = None, rate: str | None = None, back: str | None = None
) -> HttpResponse:
    """429, saying when to try again where the limit is known, and the way back to what was kept (`back`)."""
    wait = retry_after(request, group, rate) if group and rate else None
    minutes = max(1, -(-wait // 60)) if wait else None
    response = render(request, "requests/too_many.html", {"minutes": minutes, "back": back}, status=429)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def _kept_upload(request: HttpRequest, key: str = "pending_upload") -> Evidence | None:
    pk = request.session.get(key)
    return Evidence.objects.filter(pk=pk, privacy_request__isnull=True).first() if pk else None


def _keep(
    request: HttpRequest, checked: CheckedFile, *, kind: str, key: str, replacing: Evidence | None
) -> Evidence:
    """Keep a good file across a form that failed elsewhere, so the requester need not send it again."""
    kept = keep_upload(checked, kind=kind, replacing=replacing)
    request.session[key] = kept.pk
    return kept


def start(request: HttpRequest) -> HttpResponse:
    """What do you want to do: the first question, whose answer picks the right's own pages."""
    error = None
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if kind in RIGHTS:
            return redirect("new_request", kind=kind)
        error = _("Select what you want to do")
    rights = [{"kind": kind, "label": kind.label, "description": RIGHT_DESCRIPTIONS[kind]} for kind in RIGHTS]
    return render(
        request, "requests/start.html", {"rights": rights, "error": error}, status=400 if error else 200
    )


def _upload_key(kind: str) -> str:
    """A file kept for one right's answers (the permission, on the "them" page): one per right, as the answers
    are, so two requests prepared side by side in one browser never swap files."""
    return f"{SESSION_UPLOAD}:{kind}"


def _evidence_kind(relationship: str) -> str:
    """What the file sent for someone else proves: a parent's authority, or an agent's permission."""
    return "parent_authority" if relationship == Relationship.PARENT else "agent_permission"


def _step_url(kind: str, step: str) -> str:
    if step == "who":  # the right's entry point is its first question
        return reverse("new_request", args=[kind])
    return reverse("request_step", args=[kind, step])


def _switch_language(request: HttpRequest, answers: wizard.Answers, url: str) -> HttpResponse:
    """A language button pressed on a question page: what was typed is kept, and the page comes back in the
    other language (the buttons belong to the page's form, so no JavaScript is needed)."""
    language = request.POST.get("switch_language", "")
    if language not in dict(settings.LANGUAGES):  # Django knows more languages than the portal speaks
        return redirect(url)
    # The letters' language followed the page's until now: it follows it on.
    if answers.values.get("language") == get_language():
        answers.values["language"] = language
    wizard.save(request.session, answers)
    response = redirect(url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


def new_request(request: HttpRequest, kind: str, step: str = "who") -> HttpResponse:
    """One question page of a right's request (requests/wizard.py): GET shows it, POST keeps its answers."""
    if kind not in RIGHTS or step not in wizard.STEPS:
        # An appeal or a complaint is made from the status page of the case it follows.
        raise Http404
    answers = wizard.load(request.session, kind)
    kept = _kept_upload(request, _upload_key(kind))
    url = _step_url(kind, step)
    if request.method == "POST":
        wizard.take(answers, step, request.POST)
        files = request.FILES if step == "them" else None
        for group, rate in (("steps", settings.RATELIMIT_STEPS), ("submit", settings.RATELIMIT_SUBMIT)):
            # An upload counts as a request sent (it is stored): so does a page's answers, more generously.
            if (files or group == "steps") and rate_limited(request, group, rate):
                wizard.save(request.session, answers)  # what was typed is kept for when the limit opens
                return too_many(request, group=group, rate=rate, back=url)
        if "switch_language" in request.POST:
            return _switch_language(request, answers, url)
        form = wizard.form_for(answers, kept_file=kept.name if kept else None, files=files)
        form.is_valid()
        checked = form.cleaned_data.get("permission") if files and "permission" not in form.errors else None
        if checked is not None:
            evidence_kind = _evidence_kind(answers.values.get("relationship", ""))
            kept = _keep(request, checked, kind=evidence_kind, key=_upload_key(kind), replacing=kept)
            form.kept_file = kept.name
            form = wizard.form_for(answers, kept_file=kept.name)
            form.is_valid()
        errors = wizard.errors_on(step, answers, form)
        if not errors and step not in answers.seen:
            answers.seen.append(step)
        wizard.save(request.session, answers)  # what was typed is kept, right or wrong
        if not errors:
            next_step = wizard.first_open(answers, kept_file=kept.name if kept else None, form=form)
            if next_step == wizard.CHECK:
                return redirect("request_check", kind=kind)
            return redirect(_step_url(kind, next_step))
    else:
        steps = wizard.steps_for(answers)
        form = wizard.form_for(answers, kept_file=kept.name if kept else None)
        form.is_valid()  # a page answered before shows what is wrong with it now, if anything
        open_step = wizard.first_open(answers, kept_file=kept.name if kept else None, form=form)
        reachable = steps[: steps.index(open_step) + 1] if open_step in steps else steps
        if step not in reachable:  # a page skipped ahead to, or one these answers no longer need
            return redirect(
                _step_url(kind, open_step)
                if open_step != wizard.CHECK
                else reverse("request_check", args=[kind])
            )
        if step not in answers.seen:
            form = PrivacyRequestForm(
                initial=answers.values, kind=kind, kept_file=kept.name if kept else None
            )
    return _question_page(request, answers, step, form)


def _question_page(
    request: HttpRequest, answers: wizard.Answers, step: str, form: PrivacyRequestForm
) -> HttpResponse:
    errors = wizard.errors_on(step, answers, form) if form.is_bound else {}
    names = wizard.fields_of(step, answers)
    summary: list[tuple[str, str]] = []
    group_errors: list[str] = []
    for name in errors:
        bound = form[name]
        anchor = bound.id_for_label or f"{bound.auto_id}_0"  # a group of radios: its first one
        for error in form.errors.as_data()[name]:
            message = " ".join(error.messages)
            if error.code == DETAILS_GROUP:  # about the details together: said once, above them
                group_errors.append(message)
                summary.append(("details-group", message))
            else:
                summary.append((anchor, message))
        if group_errors and name == "phone":
            form.errors[name] = form.error_class(
                [e for e in form.errors.as_data()[name] if e.code != DETAILS_GROUP], field_id=bound.auto_id
            )
    back = wizard.previous(step, answers)
    context = {
        "form": form,
        "kind": Kind(answers.kind),
        "step": step,
        "question": wizard.question(step, answers),
        "fields": [form[name] for name in names if name not in ("website",)],
        "honeypot": form["website"] if "website" in names else None,
        "single": len(names) == 1,
        "errors": summary,
        "group_errors": group_errors,
        "back_url": _step_url(answers.kind, back) if back else reverse("home"),
        "keep_form": "question",
        "someone_else": answers.for_someone_else,
        "points_to_match": form.points_to_match,
        "tier_high": "declare" in names,
        "description": RIGHT_DESCRIPTIONS[Kind(answers.kind)],
    }
    return render(request, "requests/question.html", context, status=400 if errors else 200)


def request_check(request: HttpRequest, kind: str) -> HttpResponse:
    """Check your answers, each with a way back to change it, then send."""
    if kind not in RIGHTS:
        raise Http404
    answers = wizard.load(request.session, kind)
    kept = _kept_upload(request, _upload_key(kind))
    kept_name = kept.name if kept else None
    url = reverse("request_check", args=[kind])
    form = wizard.form_for(answers, kept_file=kept_name)
    form.is_valid()
    open_step = wizard.first_open(answers, kept_file=kept_name, form=form)
    if open_step != wizard.CHECK:
        return redirect(_step_url(kind, open_step))
    if request.method == "POST" and form.is_valid():
        if rate_limited(request, "submit", settings.RATELIMIT_SUBMIT):
            return too_many(request, group="submit", rate=settings.RATELIMIT_SUBMIT, back=url)
        if form.is_spam:
            wizard.forget(request.session, kind)
            return redirect("submitted")
        with transaction.atomic():
            privacy_request = submit(form.to_new_request())
            if kept is not None and privacy_request.relationship != "self":
                # What the file proves is the relationship as sent, whatever it was when the file came.
                kept.kind = _evidence_kind(privacy_request.relationship)
                kept.save(update_fields=["kind"])
                attach_evidence(privacy_request, kept)
            # A file kept for this right goes with its answers: never onto the next request from this browser.
            request.session.pop(_upload_key(kind), None)
            wizard.forget(request.session, kind)
            # The case is remembered in the session, never in the URL (no personal data or ids in URLs).
            request.session[SESSION_CASE] = privacy_request.pk
            # Saved with the case, in one commit: never a case whose requester's session forgot it, and not a
            # second transaction on every request sent. Saved now, so the middleware need not save it again.
            request.session.save()
            request.session.modified = False
        return redirect("submitted")
    rows = [(row, _step_url(kind, row.step)) for row in wizard.summary(answers, form, kept_file=kept_name)]
    return render(
        request,
        "requests/check.html",
        {
            "kind": Kind(kind),
            "rows": rows,
            "back_url": _step_url(kind, wizard.steps_for(answers)[-1]),
            "form": form,
        },
        status=400 if form.errors else 200,
    )


def session_case(request: HttpRequest) -> PrivacyRequest | None:
    pk = request.session.get(SESSION_CASE)
    return PrivacyRequest.objects.filter(pk=pk).first() if pk else None


def submitted(request: HttpRequest) -> HttpResponse:
    privacy_request = session_case(request)
    context: dict[str, object] = {"privacy_request": privacy_request}
    if privacy_request is not None:
        context["due_sentence"] = explain(deadlines_of(privacy_request))
        no_proof = verification_tier(privacy_request) is Tier.NONE
        context["honoured"] = no_proof and privacy_request.status == Status.COMPLETED
        # Needs no proof, and is being carried out in the company's systems (services/carry_out.py).
        context["carrying_out"] = no_proof and privacy_request.status == Status.IN_PROGRESS
        if privacy_request.status != Status.NEW and not (context["honoured"] or context["carrying_out"]):
            return redirect("verified")
        context["code_form"] = CodeForm()
    return render(request, "requests/submitted.html", context)


# What each public event means to the requester.
EVENT_WORDS = {
    "submitted": _("We received your request."),
    "email_confirmed": _("You confirmed your email address."),
    "honoured": _("We honoured your request at once."),
    "accepted_without_proof": _(
        "We recorded your request; it needs no proof of who you are. We are carrying it out."
    ),
    "carried_out": _("We carried out your request in every system that holds your data."),
    "identity_verified": _("We verified your identity."),
    "assigned": _("A member of our team is working on your request."),
    "paused": _("We asked you for information; the clock stops while we wait where the law allows."),
    "resumed": _("We have what we needed and carry on."),
    "extended": _("We extended the deadline and wrote to you why."),
    "completed": _("We answered your request."),
    "denied": _("We refused your request and wrote to you why."),
    # Not a verb of its own: the fee-lapse sweep records "denied"; the status page tells it as what it was.
    "fee_lapsed": _("The time to accept the fee ended, so we closed the request without acting on it."),
    "withdrawn": _("The request was withdrawn."),
    "forwarded": _("We passed your request to the company responsible for the data."),
    "expired": _("The request lapsed because the email address was not confirmed."),
    "evidence_added": _("You sent us a file."),
    "message_received": _("You sent us a message."),
    "message_sent": _("We sent you a message."),
    "fee_quoted": _("We told you about a fee and why; we wait for your decision."),
    "fee_accepted": _("You accepted the fee; we carry on."),
    "fee_declined": _("You declined the fee, so we have not acted on the request."),
    "packet_released": _("Your data was ready to download."),
    "packet_downloaded": _("You downloaded your data."),
    "packet_purged": _("The download expired and the copy was deleted."),
    "appeal_received": _("We received your appeal."),
    "complaint_received": _("We received your complaint and acknowledged it."),
    "appeal_decided": _("We decided your appeal and wrote to you why."),
    "complaint_answered": _("We looked into your complaint and wrote to you with the outcome."),
    "refusal_reversed": _("We granted your appeal and are acting on your request again."),
    "reopened": _("We opened your request again after granting your appeal."),
}

# The status page: passwordless sign-in by an emailed code, then the requester's own cases only.
SESSION_STATUS_EMAIL = "status_email"
SESSION_SIGNED_IN_AT = "status_signed_in_at"  # when the sign-in code was entered (a POSIX timestamp)
SESSION_STATUS_PENDING = "status_pending_case"
SESSION_REPLY_UPLOAD = "pending_reply_upload"
STATUS_SESSION_SECONDS = 60 * 60


def status_sign_in(request: HttpRequest) -> HttpResponse:
    if request.session.get(SESSION_STATUS_EMAIL):
        return redirect("status_cases")
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "sign_in", settings.RATELIMIT_VERIFY):
            return too_many(request)
        if form.is_valid():
            # The same work and the same answer whether or not the address has cases, so neither the page
            # nor its timing tells (issue 15): one query, one session write, one task published; the task
            # sends nothing for None. The address itself never crosses the broker.
            newest = cases_of(form.cleaned_data["email"]).values_list("pk", flat=True).first()
            request.session[SESSION_STATUS_PENDING] = newest
            outbox.send_now(send_sign_in_code, newest)
            return redirect("status_code")
    return render(request, "requests/status_sign_in.html", {"form": form}, status=400 if form.errors else 200)


def status_code(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        if rate_limited(request, "verify", settings.RATELIMIT_VERIFY):
            return too_many(request)
        if form.is_valid():
            pending_pk = request.session.get(SESSION_STATUS_PENDING)
            pending = PrivacyRequest.objects.filter(pk=pending_pk).first() if pending_pk else None
            try:
                if pending is None:
                    raise ChallengeFailed
                email = check_sign_in(pending, form.cleaned_data["code"])
            except ChallengeFailed:
                form.add_error("code", CODE_FAILED)
            else:
                request.session.cycle_key()  # a new session id once signed in
                request.session[SESSION_STATUS_EMAIL] = email
                request.session[SESSION_SIGNED_IN_AT] = timezone.now().timestamp()
                request.session.pop(SESSION_STATUS_PENDING, None)
                request.session.set_expiry(STATUS_SESSION_SECONDS)
                return redirect("status_cases")
    return render(request, "requests/status_code.html", {"form": form}, status=400 if form.errors else 200)


def status_sign_out(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        request.session.pop(SESSION_STATUS_EMAIL, None)
        request.session.pop(SESSION_SIGNED_IN_AT, None)
    return redirect("status")


def _signed_in_email(request: HttpRequest) -> str | None:
    return request.session.get(SESSION_STATUS_EMAIL)


def status_cases(request: HttpRequest) -> HttpResponse:
    email = _signed_in_email(request)
    if not email:
        return redirect("status")
    cases = [
        (privacy_request, explain(deadlines_of(privacy_request)), standing(privacy_request))
        for privacy_request in cases_of(email)
    ]
    return render(request, "requests/status_cases.html", {"cases": cases})


def _signed_in_case(request: HttpRequest, reference: str) -> PrivacyRequest | None:
    """The signed-in requester's case by its reference (404 for anyone else's); None when nobody is signed in."""
    email = _signed_in_email(request)
    if not email:
        return None
    # Someone else's reference is simply not found: 404, never 403.
    return get_object_or_404(cases_of(email), reference=reference)


def status_case(request: HttpRequest, reference: str) -> HttpResponse:
    privacy_request = _signed_in_case(request, reference)
    if privacy_request is None:
        return redirect("status")
    if request.method == "POST" and "fee_decision" in request.POST:
        return _fee_decision(request, privacy_request)
    follow_up = request.POST.get("follow_up") if request.method == "POST" else None
    if follow_up in ("appeal", "complaint"):
        return _follow_up(request, privacy_request, follow_up)
    kept = _kept_upload(request, SESSION_REPLY_UPLOAD)
    form = ReplyForm(request.POST or None, request.FILES or None, kept_file=kept.name if kept else None)
    if request.method == "POST":
        # Per client and per case (whoever sends them): a flood of replies with 10 MB files filled the disk.
        if rate_limited(request, "reply", settings.RATELIMIT_REPLY) or not counted(
            f"case:{privacy_request.pk}", "reply", settings.RATELIMIT_REPLY_PER_CASE
        ):
            return too_many(request)
        valid = form.is_valid()
        checked = form.cleaned_data.get("attachment") if "attachment" not in form.errors else None
        if checked is not None:
            try:
                check_upload_quota(privacy_request, len(checked.data))
            except ValidationError as error:
                form.add_error("attachment", error)
                valid, checked = False, None
        if checked is not None:
            kept = _keep(request, checked, kind="attachment", key=SESSION_REPLY_UPLOAD, replacing=kept)
            form.kept_file = kept.name
        if valid:
            try:
                with transaction.atomic():
                    attachment = attach_evidence(privacy_request, kept) if kept else None
                    reply(privacy_request, body=form.cleaned_data["body"], attachment=attachment)
            except TransitionError as error:
                form.add_error(None, str(error))
            except ValidationError as error:
                form.add_error(None, error)
            else:
                request.session.pop(SESSION_REPLY_UPLOAD, None)
                if not privacy_request.is_open:
                    messages.success(
                        request,
                        _(
                            "We have sent your message about %(reference)s to our team. We will reply on this "
                            "page and email you when we do."
                        )
                        % {"reference": privacy_request.reference},
                    )
                return redirect("status_case", reference=privacy_request.reference)
    return _status_page(request, privacy_request, reply_form=form)


def _timeline(privacy_request: PrivacyRequest, end: str | None) -> list[tuple[datetime, str]]:
    """The public events in words; a fee left to lapse is recorded as "denied", and told as what it was."""
    told = []
    for event in public_timeline(privacy_request):
        verb = "fee_lapsed" if event.verb == "denied" and end == "fee_lapsed" else event.verb
        told.append((event.at, str(EVENT_WORDS[verb])))
    return told


def _status_page(
    request: HttpRequest,
    privacy_request: PrivacyRequest,
    *,
    reply_form: ReplyForm | None = None,
    appeal_form: AppealForm | None = None,
    complaint_form: ComplaintForm | None = None,
) -> HttpResponse:
    """The status page of one case, with whichever of its forms came back with errors."""
    if reply_form is None:
        kept = _kept_upload(request, SESSION_REPLY_UPLOAD)
        reply_form = ReplyForm(kept_file=kept.name if kept else None)
    forms = [f for f in (reply_form, appeal_form, complaint_form) if f is not None]
    may_complain_now = may_complain(privacy_request)
    end = ending(privacy_request)
    return render(
        request,
        "requests/status_case.html",
        {
            "privacy_request": privacy_request,
            # What the page says of the case: its tag, where it is, how it ended and the letter that ended it.
            "standing": standing(privacy_request),
            "steps": progress(privacy_request),
            "ending": end,
            "fee_not_taken": end in ("fee_declined", "fee_lapsed"),
            "answer_letter": answer_letter(privacy_request),
            "due_sentence": explain(deadlines_of(privacy_request)),
            "timeline": _timeline(privacy_request, end),
            "messages_thread": privacy_request.messages.select_related("attachment"),
            "packet": Packet.objects.filter(privacy_request=privacy_request)
            .exclude(status__in=_UNRELEASED)
            .first(),
            "letters": privacy_request.letters.filter(purged_at__isnull=True).order_by("created_at"),
            "now": timezone.now(),
            "form": reply_form,
            "closed": not privacy_request.is_open,
            "takes_messages": takes_messages(privacy_request),
            # Only access and portability answer with data to download; other rights answer with a letter.
            "has_data": privacy_request.kind in PACKET_KINDS,
            "may_withdraw": may_withdraw(privacy_request),
            # Appeals and complaints: what this case follows, what follows it, and what may be sent now.
            "original": privacy_request.original,
            "is_follow_up": privacy_request.kind in FOLLOW_UPS,  # no fee or data of its own: its letters only
            "follow_ups": privacy_request.follow_ups.order_by("received_at", "pk"),
            "appeal": may_appeal(privacy_request, today=local_today()),
            "appeal_form": appeal_form or AppealForm(prefix="appeal"),
            "may_complain": may_complain_now,
            "complaint_form": complaint_form or ComplaintForm(prefix="complaint"),
            "supervisory_authority": authority_line(privacy_request),
        },
        status=400 if any(f.errors for f in forms) else 200,
    )


def _follow_up(request: HttpRequest, privacy_request: PrivacyRequest, kind: str) -> HttpResponse:
    """The signed-in requester appeals the case's answer or complains of how it was handled: a new case follows it.

    Signing in to the status page proved the address; nothing more is asked (DESIGN §6).
    """
    if rate_limited(request, "reply", settings.RATELIMIT_REPLY) or not counted(
        f"case:{privacy_request.pk}", "reply", settings.RATELIMIT_REPLY_PER_CASE
    ):
        return too_many(request)
    form: AppealForm | ComplaintForm
    if kind == "appeal":
        form = AppealForm(request.POST, prefix="appeal")
    else:
        form = ComplaintForm(request.POST, prefix="complaint")
    if form.is_valid():
        try:
            if isinstance(form, AppealForm):
                case = appeal(privacy_request, reasons=form.cleaned_data["reasons"])
                done = _("We received your appeal as %(reference)s; we have emailed you an acknowledgement.")
            else:
                case = complain(privacy_request, complaint=form.cleaned_data["complaint"])
                done = _(
                    "We received your complaint as %(reference)s; we have emailed you an acknowledgement."
                )
        except TransitionError as error:
            # The case no longer allows it (the time to appeal ended, one was sent meanwhile): the page says so.
            messages.error(request, str(error))
            return redirect("status_case", reference=privacy_request.reference)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, done % {"reference": case.reference})
            return redirect("status_case", reference=case.reference)
    if isinstance(form, AppealForm):
        return _status_page(request, privacy_request, appeal_form=form)
    return _status_page(request, privacy_request, complaint_form=form)


def _fee_decision(request: HttpRequest, privacy_request: PrivacyRequest) -> HttpResponse:
    """The requester accepts a quoted fee from the case page, in one step: it only lets the work carry on.

    Declining closes the request, so it is asked on a page of its own first (`status_decline_fee`); a decline
    posted here (a page from before that page existed) is sent there and does nothing yet.
    """
    decision = request.POST.get("fee_decision")
    if decision == "decline":
        return redirect("status_decline_fee", reference=privacy_request.reference)
    if decision != "accept":
        return HttpResponse(status=400)
    try:
        accept_fee(privacy_request)
        messages.success(request, _("Thank you. We carry on with your request."))
    except TransitionError as error:
        messages.error(request, str(error))
    return redirect("status_case", reference=privacy_request.reference)


def status_decline_fee(request: HttpRequest, reference: str) -> HttpResponse:
    """Are you sure? Declining the fee closes the request: the page says what happens, the button does it."""
    privacy_request = _signed_in_case(request, reference)
    if privacy_request is None:
        return redirect("status")
    waiting = privacy_request.status == Status.FEE_PENDING
    if request.method != "POST":
        if not waiting:  # nothing to decline (any more): the case page says where it stands
            return redirect("status_case", reference=privacy_request.reference)
        return render(request, "requests/status_decline_fee.html", {"privacy_request": privacy_request})
    try:
        if not waiting:
            raise TransitionError(_("There is no fee waiting for your decision."))
        decline_fee(privacy_request)
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.info(request, _("You declined the fee. We have closed the request without acting on it."))
    return redirect("status_case", reference=privacy_request.reference)


def status_withdraw(request: HttpRequest, reference: str) -> HttpResponse:
    """Are you sure? Withdrawing ends the request for good: the page says what happens, the button does it."""
    privacy_request = _signed_in_case(request, reference)
    if privacy_request is None:
        return redirect("status")
    allowed = may_withdraw(privacy_request)
    if request.method != "POST":
        if not allowed:
            return redirect("status_case", reference=privacy_request.reference)
        return render(request, "requests/status_withdraw.html", {"privacy_request": privacy_request})
    try:
        if not allowed:
            raise TransitionError(_("This request can no longer be withdrawn."))
        withdraw(privacy_request)  # by=None: the requester themselves, as the audit trail records
    except TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.info(
            request,
            _("You withdrew request %(reference)s. We have stopped work on it and emailed you to confirm.")
            % {"reference": privacy_request.reference},
        )
    return redirect("status_case", reference=privacy_request.reference)


# The packet download: one emailed code opens one download. A sign-in code entered in the last FRESH_SIGN_IN_SECONDS
# is such a code, so the requester downloads at once; after that (the status session lasts an hour from its last
# change) signed in is not enough and a fresh code is emailed first.
SESSION_DOWNLOAD = "download_ok"
DOWNLOAD_WINDOW_SECONDS = 10 * 60
# As long as an emailed code itself stays valid (identity.services.VALID_FOR): a sign-in this recent proved the
# address as freshly as a second code would, so asking for one only cost the requester another email (issue 21).
FRESH_SIGN_IN_SECONDS = 30 * 60


def _released_packet(privacy_request: PrivacyRequest) -> Packet | None:
    return Packet.objects.filter(privacy_request=privacy_request, status=PacketStatus.RELEASED).first()


def _signed_in_recently(request: HttpRequest) -> bool:
    """Whether this session's sign-in code was entered less than FRESH_SIGN_IN_SECONDS ago."""
    at = request.session.get(SESSION_SIGNED_IN_AT)
    return isinstance(at, int | float) and 0 <= timezone.now().timestamp() - at < FRESH_SIGN_IN_SECONDS


def _grant_download(request: HttpRequest, privacy_request: PrivacyRequest) -> HttpResponse:
    """Open one download of the case's packet, for a few minutes, and send the browser to it."""
    # Also a cache key the download deletes: the session is saved only when each request
    # answers, so two downloads racing with one session would both see a session grant.
    grant = secrets.token_urlsafe(16)
    keep_grant(grant, privacy_request.pk, DOWNLOAD_WINDOW_SECONDS)
    request.session[SESSION_DOWNLOAD] = {
        "case": privacy_request.pk,
        "at": timezone.now().timestamp(),
        "grant": grant,
    }
    return redirect("status_download_file", reference=privacy_request.reference)


def status_download(request: HttpRequest, reference: str) -> HttpResponse:
    privacy_request = _signed_in_case(request, reference)
    if privacy_request is None:
        return redirect("status")
    packet = Packet.objects.filter(privacy_request=privacy_request).exclude(status__in=_UNRELEASED).first()
    if packet is None:
        raise Http404
    if packet.status != PacketStatus.RELEASED or (packet.expires_at and packet.expires_at <= timezone.now()):
        return render(
            request, "requests/download_expired.html", {"privacy_request": privacy_request}, status=410
        )
    fresh = _signed_in_recently(request)
    form = CodeForm(request.POST if "code" in request.POST else None)
    sent = False
    if request.method == "POST":
        if rate_limited(request, "verify", settings.RATELIMIT_VERIFY):
            return too_many(request)
        # A "download" from a page shown before the sign-in grew old falls through: the page asks for a code.
        if "download" in request.POST and fresh:
            return _grant_download(request, privacy_request)
        if "send" in request.POST:
            outbox.send_now(send_download_code, privacy_request.pk)
            sent = True
        elif form.is_valid():
            try:
                check_download_code(privacy_request, form.cleaned_data["code"])
            except ChallengeFailed:
                form.add_error("code", CODE_FAILED)
            else:
                return _grant_download(request, privacy_request)
    return render(
        request,
        "requests/status_download.html",
        {
            "privacy_request": privacy_request,
            "packet": packet,
            "downloaded_at": last_download(packet),
            "fresh": fresh,
            "fresh_minutes": FRESH_SIGN_IN_SECONDS // 60,
            "zone": settings.PRIVACY_OPERATOR_TIMEZONE,
            "form": form,
            "sent": sent or form.is_bound,
        },
        status=400 if form.errors else 200,
    )


def status_download_file(request: HttpRequest, reference: str) -> HttpResponse:
    privacy_request = _signed_in_case(request, reference)
    if privacy_request is None:
        return redirect("status")
    # One fresh code opens one download, for a few minutes.
    granted = request.session.pop(SESSION_DOWNLOAD, None) or {}
    fresh = timezone.now().timestamp() - float(granted.get("at", 0)) < DOWNLOAD_WINDOW_SECONDS
    # Deleting the grant's cache key is the claim: of two requests racing with one session, one gets it.
    taken = fresh and granted.get("case") == privacy_request.pk and take_grant(granted.get("grant"))
    if not taken:
        return redirect("status_download", reference=privacy_request.reference)
    packet = _released_packet(privacy_request)
    try:
        if packet is None:
            raise TransitionError
        data = read_packet(packet)  # before recording the download: one that failed to decrypt gave nothing
        record_download(packet)
    except TransitionError:
        return render(
            request, "requests/download_expired.html", {"privacy_request": privacy_request}, status=410
        )
    return attachment(data, filename=f"{privacy_request.reference}.zip", content_type="application/zip")


def status_letter(request: HttpRequest, reference: str, pk: int) -> HttpResponse:
    """A letter we sent about the requester's own case (they also have it as an email attachment)."""

    privacy_request = _signed_in_case(request, reference)
    if privacy_request is None:
        return redirect("status")
    letter = get_object_or_404(privacy_request.letters, pk=pk, purged_at__isnull=True)
    return attachment(read_letter(letter), filename=letter.filename, content_type="application/pdf")


# --- A system owner's task (issue 17): the emailed link, then the page that answers it -------------------------

# The tasks' token hashes (never the tokens) between the emailed link and the page, by a handle of no use elsewhere,
# so two tasks opened in one browser each keep their own.
SESSION_TASKS = "owner_tasks"
TASKS_KEPT = 10


def _private(response: HttpResponse, *, referrer: str = "same-origin") -> HttpResponse:
    """A task's pages are nobody's to keep: no cache, and no address of them sent on to another site.

    "same-origin", not "no-referrer", on the pages with the form: under "no-referrer" a browser sends `Origin: null`
    with the POST and Django's CSRF check refuses it (the browser test found this; the test client sends no Origin).
    """
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = referrer
    return response


def _task_closed(request: HttpRequest, state: str) -> HttpResponse:
    """Why the link no longer opens its task, with nothing of the case: 404 for a link that never was one."""
    status = 404 if state == "unknown" else 410
    return _private(render(request, "requests/owner_task_closed.html", {"state": state}, status=status))


def owner_task_link(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link: the token leaves the URL at once (privacyportal/redact.py keeps it out of the logs)."""
    task = find_task(token)
    if task is None:
        return _task_closed(request, "unknown")
    tasks = dict(list(request.session.get(SESSION_TASKS, {}).items())[-(TASKS_KEPT - 1) :])
    handle = secrets.token_urlsafe(6)
    tasks[handle] = task.token_hash
    request.session[SESSION_TASKS] = tasks
    # The emailed link holds the token: not even this site is told it as a referrer.
    return _private(redirect(f"{reverse('owner_task')}?task={handle}"), referrer="no-referrer")


def _task_person(task: OwnerTask) -> str:
    """The one detail the owner needs to find the person: the address of the person the request is about."""
    privacy_request = task.privacy_request
    if privacy_request.relationship != Relationship.SELF and privacy_request.subject_email:
        return privacy_request.subject_email
    return privacy_request.requester_email


def owner_task(request: HttpRequest) -> HttpResponse:
    """What the owner is asked to do, for which reference, and their answer (GET only shows it: mail scanners)."""
    digest = request.session.get(SESSION_TASKS, {}).get(request.GET.get("task", ""))
    task = find_task_by_hash(digest) if digest else None
    if task is None:
        return _task_closed(request, "unknown")
    state = link_state(task)
    if state is not LinkState.OPEN:
        return _task_closed(request, state.value)
    form = OwnerTaskForm(request.POST or None, request.FILES or None, task=task)
    if request.method == "POST":
        if rate_limited(request, "owner_task", settings.RATELIMIT_OWNER_TASK):
            return _private(too_many(request))
        if form.is_valid():
            data = form.cleaned_data
            try:
                task = answer_task(task, data["outcome"], reason=data["reason"], upload=data.get("upload"))
            except TaskClosed as closed:
                return _task_closed(request, closed.state.value)
            except ValidationError as error:
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                return _private(render(request, "requests/owner_task_done.html", {"task": task}))
    context = {
        "task": task,
        "form": form,
        "person": _task_person(task),
        "privacy_request": task.privacy_request,
        "due": task.privacy_request.effective_due_at,
    }
    return _private(render(request, "requests/owner_task.html", context, status=400 if form.errors else 200))
