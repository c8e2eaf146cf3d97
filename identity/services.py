"""Email control: issue a code and a link, check them (DESIGN §6).

Codes are 6 digits, links carry a 32-byte token; both are single-use, valid 30 minutes, stored as HMACs
keyed by SECRET_KEY, compared in constant time; a challenge dies after 5 wrong codes.
The challenge is created by the task that sends the email, so no secret ever crosses the broker. A task run
from the outbox derives its code and token from its row's task id with SECRET_KEY (`_derived`), so a copy run
again after a kill sends the same code instead of expiring the one the person may be typing.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from privacyportal import files, outbox
from privacyportal.emails import make_message
from privacyportal.ratelimit import recipient_allowed
from privacyportal.uploads import CheckedFile
from requests import services as case_services
from requests.audit import record_event, record_sent
from requests.lifecycle import Status
from requests.models import ActorKind, PrivacyRequest
from requests.selectors import verification_tier

from .models import EmailChallenge, Evidence

VALID_FOR = timedelta(minutes=30)
# The person an agent acts for may not read their email at once.
SUBJECT_VALID_FOR = timedelta(days=7)
MAX_ATTEMPTS = 5


def _digest(kind: str, secret: str) -> str:
    return salted_hmac(f"identity.{kind}", secret, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class IssuedChallenge:
    challenge: EmailChallenge
    code: str
    token: str


def _valid_for(purpose: str) -> timedelta:
    return SUBJECT_VALID_FOR if purpose == EmailChallenge.Purpose.SUBJECT_CONFIRM else VALID_FOR


# No savepoint: inside challenge_for_task's transaction a failure here fails it whole anyway.
@transaction.atomic(savepoint=False)
def issue_verification(
    privacy_request: PrivacyRequest,
    purpose: str = EmailChallenge.Purpose.VERIFY_REQUEST,
    *,
    outbox_task_id: uuid.UUID | None = None,
) -> IssuedChallenge:
    """A fresh code and link for the case; earlier unused ones of the same purpose stop working.

    Issued for an outbox row (`outbox_task_id`), they are derived from it (`_derived`) and the challenge
    remembers the row, so that `challenge_for_task` can give a copy of the task the same code again.
    """
    now = timezone.now()
    EmailChallenge.objects.filter(
        privacy_request=privacy_request, purpose=purpose, used_at__isnull=True
    ).update(expires_at=now)
    if outbox_task_id is None:
        code = f"{secrets.randbelow(10**6):06d}"
        token = secrets.token_urlsafe(32)
    else:
        code, token = _derived(outbox_task_id, purpose)
    challenge = EmailChallenge.objects.create(
        purpose=purpose,
        privacy_request=privacy_request,
        code_hash=_digest("code", code),
        token_hash=_digest("token", token),
        created_at=now,
        expires_at=now + _valid_for(purpose),
        outbox_task_id=outbox_task_id,
    )
    return IssuedChallenge(challenge, code, token)


def _derived(outbox_task_id: uuid.UUID, purpose: str) -> tuple[str, str]:
    """The code and token of an outbox row's challenge: HMACs of its task id keyed by SECRET_KEY.

    The task id travels in the broker's message, sits in the outbox table and names the email (its Message-ID),
    so it is no secret: SECRET_KEY is, and without it the id says nothing of the code. Rotating SECRET_KEY
    invalidates every code sent, as the stored HMACs already do.
    """
    value = f"{outbox_task_id}:{purpose}"
    code_bytes = salted_hmac("identity.outbox-code", value, algorithm="sha256").digest()
    token_bytes = salted_hmac("identity.outbox-token", value, algorithm="sha256").digest()
    code = f"{int.from_bytes(code_bytes[:8], 'big') % 10**6:06d}"
    return code, base64.urlsafe_b64encode(token_bytes).rstrip(b"=").decode()


@transaction.atomic
def challenge_for_task(
    privacy_request: PrivacyRequest, purpose: str, allowed: Callable[[], bool] = lambda: True
) -> IssuedChallenge | None:
    """The code and link to email from the task running now: fresh on a page's request (no outbox row) or on the
    row's first run, if `allowed()`; the same again when a copy of the row runs after a kill or a redelivery
    (`allowed` said yes to its first run: the copy is the same email, not one more).

    None when not allowed, or when that row's challenge is spent, locked or replaced by a newer one: its email
    would carry a dead code, and the person has the newer one.
    """
    run = outbox.running()
    if run is None:
        return issue_verification(privacy_request, purpose) if allowed() else None
    existing = EmailChallenge.objects.select_for_update().filter(outbox_task_id=run.task_id).first()
    if existing is None:
        return issue_verification(privacy_request, purpose, outbox_task_id=run.task_id) if allowed() else None
    newer = EmailChallenge.objects.filter(
        privacy_request=privacy_request, purpose=purpose, pk__gt=existing.pk
    ).exists()
    if existing.used_at is not None or existing.attempts >= MAX_ATTEMPTS or newer:
        return None
    code, token = _derived(run.task_id, purpose)
    # The copy now sent may be the first to arrive (the earlier one died before the mail server took it): it is
    # good for as long as its email says. The hashes again in case SECRET_KEY was rotated in between.
    existing.expires_at = max(existing.expires_at, timezone.now() + _valid_for(purpose))
    existing.code_hash, existing.token_hash = _digest("code", code), _digest("token", token)
    existing.save(update_fields=["expires_at", "code_hash", "token_hash"])
    return IssuedChallenge(existing, code, token)


def send_verification(privacy_request: PrivacyRequest, *, base_url: str, reminder: bool = False) -> None:
    """Issue a challenge and email it to the requester in their language."""
    if not privacy_request.requester_email:
        return  # a requester by post has no email to confirm: staff verify them
    issued = challenge_for_task(
        privacy_request,
        EmailChallenge.Purpose.VERIFY_REQUEST,
        allowed=lambda: _recipient_allowed(privacy_request, privacy_request.requester_email, "verify-email"),
    )
    if issued is None:
        return
    message = make_message(
        "verify-email",
        {
            "reminder": reminder,
            "privacy_request": privacy_request,
            "code": issued.code,
            "link": f"{base_url.rstrip('/')}/verify/{issued.token}/",
            "minutes": int(VALID_FOR.total_seconds() // 60),
            # CCPA regs §7021(b): the acknowledgement says, in general, how identity is verified and when to
            # expect an answer.
            "tier": verification_tier(privacy_request).value,
            "base_url": base_url.rstrip("/"),
        },
        to=[privacy_request.requester_email],
        language=privacy_request.language,
        to_requester=True,
    )
    message.send()
    record_sent(privacy_request, "verify-email", "requester", message_id=message.extra_headers["Message-ID"])


RECIPIENT_RATES = {
    "verify-email": "RATELIMIT_RECIPIENT_VERIFY",
    "subject-confirm": "RATELIMIT_RECIPIENT_AGENT",
}


def _recipient_allowed(privacy_request: PrivacyRequest, address: str, template: str) -> bool:
    """Emails anyone can cause by typing an address: at most so many to one recipient, whoever typed it.

    Asked by `challenge_for_task` only for a new challenge: a copy of an outbox row whose first run issued one
    was counted then, and is the same email again (a worker killed after the mail server took it).
    """
    if recipient_allowed(address, template, getattr(settings, RECIPIENT_RATES[template])):
        return True
    with transaction.atomic():
        record_event(
            privacy_request, "email_withheld", data={"template": template, "reason": "recipient_limit"}
        )
    return False


class ChallengeFailed(Exception):
    """The code or link is wrong, used, expired or out of attempts. One message for all: no oracle."""


def _current(
    privacy_request: PrivacyRequest, purpose: str = EmailChallenge.Purpose.VERIFY_REQUEST
) -> EmailChallenge | None:
    return (
        EmailChallenge.objects.filter(
            privacy_request=privacy_request,
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def _matches(challenge: EmailChallenge | None, code: str) -> EmailChallenge:
    """The challenge if `code` is its code; a wrong code counts against it."""
    if challenge is None or challenge.attempts >= MAX_ATTEMPTS:
        raise ChallengeFailed
    if not constant_time_compare(challenge.code_hash, _digest("code", (code or "").strip())):
        EmailChallenge.objects.filter(pk=challenge.pk).update(attempts=F("attempts") + 1)
        raise ChallengeFailed
    return challenge


@transaction.atomic
def _consume(challenge: EmailChallenge) -> PrivacyRequest:
    # Conditional update: a double submit or a second tab cannot use the same challenge twice.
    if not EmailChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    ):
        raise ChallengeFailed
    privacy_request = PrivacyRequest.objects.get(pk=challenge.privacy_request_id)
    return case_services.confirm_email(privacy_request)


def check_code(privacy_request: PrivacyRequest, code: str) -> PrivacyRequest:
    """Confirm the email with the 6-digit code; moves the case on by its verification tier."""
    return _consume(_matches(_current(privacy_request), code))


def link_key(token: str) -> str:
    """What a link's token is looked up by (its HMAC): a page may keep this, never the token, between requests."""
    return _digest("token", token or "")


def _by_key(key: str, purpose: str) -> EmailChallenge:
    """The live (unused, unexpired, not locked) challenge behind a link (by its `link_key`), or ChallengeFailed."""
    challenge = EmailChallenge.objects.filter(token_hash=key, purpose=purpose).first()
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= timezone.now():
        raise ChallengeFailed
    if challenge.attempts >= MAX_ATTEMPTS:
        raise ChallengeFailed
    return challenge


def check_link(key: str) -> PrivacyRequest:
    """Confirm the email with the one-click link (by its token's `link_key`)."""
    return _consume(_by_key(key, EmailChallenge.Purpose.VERIFY_REQUEST))


@dataclass(frozen=True)
class VerificationLink:
    """What an emailed confirmation link (by its `link_key`) stands for now, for the page it opens.

    `privacy_request` is None for a link we never sent. The link's token is 32 random bytes, so telling a known
    link from an unknown one says nothing about whether an address has requests.
    """

    privacy_request: PrivacyRequest | None
    live: bool

    @property
    def confirmed(self) -> bool:
        """The address is confirmed already (by this link, the code, or a newer email's code or link)."""
        return self.privacy_request is not None and self.privacy_request.email_verified_at is not None


def verification_link(key: str) -> VerificationLink:
    challenge = (
        EmailChallenge.objects.select_related("privacy_request")
        .filter(token_hash=key, purpose=EmailChallenge.Purpose.VERIFY_REQUEST)
        .first()
        if key
        else None
    )
    if challenge is None:
        return VerificationLink(None, live=False)
    live = (
        challenge.used_at is None
        and challenge.expires_at > timezone.now()
        and challenge.attempts < MAX_ATTEMPTS
        and challenge.privacy_request.status == Status.NEW  # not lapsed or closed meanwhile
    )
    return VerificationLink(challenge.privacy_request, live=live)


@transaction.atomic
def keep_upload(
    checked: CheckedFile,
    *,
    kind: str,
    replacing: Evidence | None = None,
    privacy_request: PrivacyRequest | None = None,
) -> Evidence:
    """Store a checked file, encrypted: before its case exists (so a form that fails elsewhere loses nothing),
    or on its case."""
    if replacing is not None and replacing.privacy_request_id is None:
        discard(replacing)
    stored_name, digest = files.store(checked)
    return Evidence.objects.create(
        privacy_request=privacy_request,
        kind=kind,
        name=checked.name,
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=digest,
        stored_name=stored_name,
    )


def discard(item: Evidence) -> None:
    """Delete an upload no form kept: its row, then its file."""
    stored_name = item.stored_name
    item.delete()
    # Once the row is gone for good: a backup must never hold a row naming a file already removed.
    transaction.on_commit(lambda: files.remove(stored_name))


REQUESTER_KINDS = (
    Evidence.Kind.AGENT_PERMISSION, Evidence.Kind.PARENT_AUTHORITY, Evidence.Kind.ID_DOCUMENT, Evidence.Kind.ATTACHMENT,
)  # fmt: skip


def check_upload_quota(privacy_request: PrivacyRequest, size: int) -> None:
    """Refuse a file that would take the requester's files on this case past PRIVACY_CASE_UPLOAD_QUOTA_MB."""
    held = (
        Evidence.objects.filter(
            privacy_request=privacy_request, kind__in=REQUESTER_KINDS, purged_at__isnull=True
        ).aggregate(total=Sum("size"))["total"]
        or 0
    )
    quota = settings.PRIVACY_CASE_UPLOAD_QUOTA_MB * 1024 * 1024
    if held + size > quota:
        raise ValidationError(
            _(
                "This request already holds %(held)s MB of files you sent; the limit is %(quota)s MB. "
                "Send a smaller file, or write to us without one."
            )
            % {"held": round(held / 1024 / 1024, 1), "quota": settings.PRIVACY_CASE_UPLOAD_QUOTA_MB},
            code="quota",
        )


@transaction.atomic
def attach_evidence(privacy_request: PrivacyRequest, item: Evidence) -> Evidence:
    """Give a kept file to its case and record it on the case's timeline."""
    check_upload_quota(privacy_request, item.size)
    if not Evidence.objects.filter(pk=item.pk, privacy_request__isnull=True).update(
        privacy_request=privacy_request
    ):
        raise ValueError("this file already belongs to a case")
    item.privacy_request = privacy_request
    record_event(
        privacy_request,
        "evidence_added",
        actor_kind=ActorKind.REQUESTER,
        data={"evidence": item.pk, "kind": item.kind},
    )
    return item


def read_evidence(item: Evidence, *, by: AbstractBaseUser) -> bytes:
    """Decrypt a file for a member of staff; every viewing is an event on the case."""
    data = files.load(item.stored_name)
    if item.privacy_request is not None:
        with transaction.atomic():
            record_event(item.privacy_request, "evidence_viewed", by=by, data={"evidence": item.pk})
    return data


def _send_code(privacy_request: PrivacyRequest, purpose: str, template: str) -> None:
    """Issue a code for `purpose` and email it to the requester of the case in their language."""
    if not privacy_request.requester_email:
        return  # a requester by post: staff verify them, and there is nowhere to send a code
    issued = issue_verification(privacy_request, purpose)
    # The download code is about this case, and a reply to it joins its thread; a sign-in code is about the
    # requester's address, whichever case it was sent for.
    about_case = template != "sign-in"
    message = make_message(
        template,
        {
            "privacy_request": privacy_request,
            "code": issued.code,
            "minutes": int(VALID_FOR.total_seconds() // 60),
        },
        to=[privacy_request.requester_email],
        language=privacy_request.language,
        to_requester=about_case,
    )
    message.send()
    message_id = message.extra_headers["Message-ID"] if about_case else ""
    record_sent(privacy_request, template, "requester", message_id=message_id)


def send_sign_in_code(privacy_request: PrivacyRequest) -> None:
    """Email a status-page sign-in code to the address of this (the newest) case."""
    _send_code(privacy_request, EmailChallenge.Purpose.SIGN_IN, "sign-in")


def _use(challenge: EmailChallenge) -> None:
    """Spend a matched challenge; a second tab or a double submit finds it spent."""
    if not EmailChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    ):
        raise ChallengeFailed


def check_sign_in(privacy_request: PrivacyRequest, code: str) -> str:
    """The email address proved by a sign-in code sent for `privacy_request`."""
    _use(_matches(_current(privacy_request, EmailChallenge.Purpose.SIGN_IN), code))
    return privacy_request.email_key


def send_download_code(privacy_request: PrivacyRequest) -> None:
    """A fresh code before the requester downloads their packet, even when already signed in."""
    _send_code(privacy_request, EmailChallenge.Purpose.DOWNLOAD, "download-code")


def check_download_code(privacy_request: PrivacyRequest, code: str) -> None:
    """Raise ChallengeFailed unless `code` is the live download code of this case."""
    _use(_matches(_current(privacy_request, EmailChallenge.Purpose.DOWNLOAD), code))


def send_subject_confirmation(privacy_request: PrivacyRequest, *, base_url: str) -> None:
    """Ask the person an agent acts for to confirm (or deny) the agent, with a one-click link."""
    issued = challenge_for_task(
        privacy_request,
        EmailChallenge.Purpose.SUBJECT_CONFIRM,
        allowed=lambda: _recipient_allowed(privacy_request, privacy_request.subject_email, "subject-confirm"),
    )
    if issued is None:
        return
    make_message(
        "subject-confirm",
        {
            "privacy_request": privacy_request,
            "link": f"{base_url.rstrip('/')}/confirm-agent/{issued.token}/",
            "days": SUBJECT_VALID_FOR.days,
        },
        to=[privacy_request.subject_email],
        language=privacy_request.language,
    ).send()
    record_sent(privacy_request, "subject-confirm", "subject")


def subject_challenge(token: str) -> EmailChallenge:
    """The live subject-confirmation challenge behind a link, or ChallengeFailed."""
    return _by_key(link_key(token), EmailChallenge.Purpose.SUBJECT_CONFIRM)


@transaction.atomic
def answer_subject_challenge(token: str, *, confirmed: bool) -> PrivacyRequest:
    challenge = subject_challenge(token)
    if not EmailChallenge.objects.filter(pk=challenge.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    ):
        raise ChallengeFailed
    return case_services.record_subject_answer(challenge.privacy_request, confirmed=confirmed)


@transaction.atomic
def add_extract(
    privacy_request: PrivacyRequest, checked: CheckedFile, *, system: Any, by: AbstractBaseUser
) -> Evidence:
    """Staff upload what a company system holds for the case; it goes into the packet (DESIGN §9).

    The same file for the same system twice (a double click, a re-upload) is kept once.
    """
    item, created = case_services.store_extract(privacy_request, checked, system=system)
    if created:
        record_event(privacy_request, "extract_added", by=by, data={"evidence": item.pk, "system": system.pk})
    return item


@transaction.atomic
def add_request_as_received(
    privacy_request: PrivacyRequest, checked: CheckedFile, *, by: AbstractBaseUser
) -> Evidence:
    """Staff keep the scan of a letter as it reached us, encrypted and purged like the case's other files."""
    item = keep_upload(checked, kind=Evidence.Kind.REQUEST_AS_RECEIVED, privacy_request=privacy_request)
    record_event(privacy_request, "evidence_added", by=by, data={"evidence": item.pk, "kind": item.kind})
    return item
