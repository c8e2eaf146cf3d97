"""The keyed, hash-chained audit trail: appending an event and verifying every chain (DESIGN §4).

Each event's `hash` is an HMAC-SHA256, under the first of `AUDIT_KEYS`, of the previous event's hash and the
event itself; each case's `AuditHead` records where its chain ends, and the one `AuditLedger` row how many chains
there are, both under the same keys. The keys never enter the database: someone who can write to it can still
delete or change rows, but cannot make a chain, its head or the ledger verify again afterwards.

Events written before the chain was keyed (plain SHA-256) stay as they were: the upgrade sealed each chain under
a keyed head whose `legacy_seq` says how far the plain hashes go.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from itertools import groupby
from operator import attrgetter
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from privacyportal.emails import make_message

from .models import ActorKind, AuditHead, AuditLedger, PrivacyRequest, RequestEvent, SentEmail
from .roles import dpo_addresses

GENESIS = "0" * 64
LEDGER_ID = 1


def canonical(event: RequestEvent) -> str:
    """The bytes a row's hash covers: every field but the hashes, in a fixed form."""
    return json.dumps(
        {
            "request": event.privacy_request_id,
            "seq": event.seq,
            "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": event.actor_id,
            "actor_kind": event.actor_kind,
            "verb": event.verb,
            "old_status": event.old_status,
            "new_status": event.new_status,
            "data": event.data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )


def _mac(message: str, key: str | None = None) -> str:
    """HMAC-SHA256 under the given key, or under the newest of AUDIT_KEYS."""
    return hmac.new((key or settings.AUDIT_KEYS[0]).encode(), message.encode(), hashlib.sha256).hexdigest()


def _signed(message: str, mac: str) -> bool:
    """Whether `mac` is the message's HMAC under any of AUDIT_KEYS (older keys still verify: rotation)."""
    return any(hmac.compare_digest(_mac(message, key), mac) for key in settings.AUDIT_KEYS)


def _plain(message: str) -> str:
    return hashlib.sha256(message.encode()).hexdigest()


def chain_hash(prev_hash: str, event: RequestEvent) -> str:
    return _mac(prev_hash + canonical(event))


def legacy_hash(prev_hash: str, event: RequestEvent) -> str:
    """How events were hashed before the chain was keyed; only rows up to their head's `legacy_seq` may use it."""
    return _plain(prev_hash + canonical(event))


def _head_message(privacy_request_id: int, seq: int, last_hash: str, legacy_seq: int) -> str:
    return f"head:{privacy_request_id}:{seq}:{last_hash}:{legacy_seq}"


def head_mac(privacy_request_id: int, seq: int, last_hash: str, legacy_seq: int) -> str:
    return _mac(_head_message(privacy_request_id, seq, last_hash, legacy_seq))


def _ledger_message(chains: int) -> str:
    return f"ledger:{chains}"


def ledger_mac(chains: int) -> str:
    return _mac(_ledger_message(chains))


def record_event(
    privacy_request: PrivacyRequest,
    verb: str,
    *,
    by: AbstractBaseUser | None = None,
    actor_kind: str | None = None,
    old_status: str = "",
    new_status: str = "",
    data: dict[str, Any] | None = None,
    new_case: bool = False,
) -> RequestEvent:
    """Append one event to the case's chain and move its head. Call inside the transaction that changed the case.

    The caller holds the case row (claimed by a conditional UPDATE), so appends to one case are
    serialised; the unique (request, seq) constraint refuses a fork if that was ever not so, and refuses to
    start a second chain for a case whose head has gone. `new_case`: the caller inserted the case in this
    transaction, so no one else can see or hold its row and it has no chain yet (two round trips a new case).
    """
    head = None
    if not new_case:
        # Hold the case row (a no-op where the caller's UPDATE already holds it) so appends never race.
        PrivacyRequest.objects.select_for_update().filter(pk=privacy_request.pk).values_list("pk").first()
        head = (
            AuditHead.objects.filter(privacy_request_id=privacy_request.pk)
            .values_list("seq", "hash", "legacy_seq")
            .first()
        )
    last_seq, prev_hash, legacy_seq = head or (0, GENESIS, 0)
    if actor_kind is None:
        actor_kind = ActorKind.STAFF if by is not None else ActorKind.SYSTEM
    event = RequestEvent(
        privacy_request_id=privacy_request.pk,
        seq=last_seq + 1,
        at=timezone.now(),
        actor_id=by.pk if by is not None else None,
        actor_kind=actor_kind,
        verb=verb,
        old_status=old_status,
        new_status=new_status,
        # Round-trip through JSON so the hash covers exactly what the database will give back.
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=prev_hash,
    )
    event.hash = chain_hash(prev_hash, event)
    event.save(force_insert=True)
    moved = {
        "seq": event.seq,
        "hash": event.hash,
        "mac": head_mac(event.privacy_request_id, event.seq, event.hash, legacy_seq),
    }
    if head is None:
        AuditHead.objects.create(privacy_request_id=event.privacy_request_id, legacy_seq=0, **moved)
        _count_new_chain()
    else:
        AuditHead.objects.filter(privacy_request_id=event.privacy_request_id).update(**moved)
    return event


def record_sent(privacy_request: Any, template: str, to: str, *, message_id: str = "") -> None:
    """Every email is an event on its case: the template and the kind of recipient, never the address.

    An email to the requester is remembered by its Message-ID too, so that their reply, or its bounce, finds the
    case (DESIGN §14). The same Message-ID again is the same email sent again by a copy of its outbox task
    (privacyportal/emails.py): recorded once.

    Anyone else's email (staff's) keeps its Message-ID in the event only, to be recorded once too: as a
    SentEmail, a staff member's reply would join the requester's thread, and a bounce of a staff notice would
    mark the case undelivered and send staff another notice, which could bounce in turn.
    """
    with transaction.atomic():
        if message_id and SentEmail.objects.filter(message_id=message_id).exists():
            return
        if message_id and to != "requester":
            if privacy_request.events.filter(verb="email_sent", data__message_id=message_id).exists():
                return
            record_event(
                privacy_request, "email_sent", data={"template": template, "to": to, "message_id": message_id}
            )
            return
        record_event(privacy_request, "email_sent", data={"template": template, "to": to})
        if message_id:
            SentEmail.objects.create(
                privacy_request=privacy_request, message_id=message_id, template=template
            )


def _count_new_chain() -> None:
    """One more chain in the ledger: only when a case's first event starts one, so appends never wait here."""
    ledger = AuditLedger.objects.select_for_update().filter(pk=LEDGER_ID).values_list("chains", flat=True)
    chains = ledger.first()
    if chains is None:
        # Only on a database emptied since it was migrated (a test flush): were it deleted from a live one, the
        # count started again here stays short of the heads, which verify_chains reports.
        AuditLedger.objects.bulk_create(
            [AuditLedger(pk=LEDGER_ID, chains=0, mac=ledger_mac(0))], ignore_conflicts=True
        )
        chains = ledger.first() or 0
    AuditLedger.objects.filter(pk=LEDGER_ID).update(chains=chains + 1, mac=ledger_mac(chains + 1))


@dataclass(frozen=True)
class ChainBreak:
    """One place where the trail does not verify: a row (event_id), a case's head (no event), or the ledger."""

    event_id: int | None
    privacy_request_id: int | None
    seq: int | None
    problem: str

    def __str__(self) -> str:
        if self.event_id is not None:
            return f"event {self.event_id} (case {self.privacy_request_id}, #{self.seq}): {self.problem}"
        if self.privacy_request_id is not None:
            return f"case {self.privacy_request_id}: {self.problem}"
        return self.problem


ALTERED = "the row was altered after it was written"
DOWNGRADED = "hashed with plain SHA-256 where the chain is keyed: rewritten by someone without AUDIT_KEYS"
WRONG_KEYS = (
    "AUDIT_KEYS does not match the keys these events were written with: not one event, chain head or the "
    "ledger verifies under any of them. Set the keys the trail was written with (newer ones may go in front); "
    "if they are the right ones, every signed row was rewritten."
)


def headline(found: ChainBreak) -> str:
    """How a command or the log names the first break: a break is at a place; keys that verify nothing are not."""
    return str(found) if found.problem == WRONG_KEYS else f"Audit chain broken at {found}"


def _keys_sign_nothing() -> bool:
    """Whether the trail holds signed rows and not one of them verifies under any of AUDIT_KEYS.

    Nothing stored names the key a row was signed with, so one row or one chain cannot tell a wrong key from
    tampering: a row edited without the key and a row signed with a key not in the list fail alike. The whole
    trail can. Someone without the keys changes the rows they want and the rest still verify (every append
    re-signs its head and each new chain the ledger, so an install in use has something signed under its newest
    key); under a wrong key list nothing does. A key dropped from the list while others still verify is not
    this: its rows are reported one by one, as altered. The ledger comes first and is usually the only row read.
    """
    ledger = AuditLedger.objects.filter(pk=LEDGER_ID).first()
    if ledger is not None and _signed(_ledger_message(ledger.chains), ledger.mac):
        return False
    signed = ledger is not None
    for head in AuditHead.objects.order_by("pk").iterator(chunk_size=2000):
        if _signed(_head_message(head.privacy_request_id, head.seq, head.hash, head.legacy_seq), head.mac):
            return False
        signed = True
    for event in RequestEvent.objects.order_by("pk").iterator(chunk_size=2000):
        message = event.prev_hash + canonical(event)
        if hmac.compare_digest(_plain(message), event.hash):
            continue  # written before the chain was keyed: verifies under no key, and needs none
        if _signed(message, event.hash):
            return False
        signed = True
    return signed


def _row_problem(
    prev_hash: str, event: RequestEvent, *, legacy: bool | None, keys_match: bool = True
) -> str | None:
    """What is wrong with one row's own hash: a plain SHA-256 where its head's `legacy_seq` allows it, an HMAC
    anywhere else. `legacy` None: the head is gone, so either is taken (the missing head is reported anyway).
    Under keys that verify nothing a keyed row's HMAC says nothing about the row (WRONG_KEYS says it once)."""
    message = prev_hash + canonical(event)
    if not legacy and _signed(message, event.hash):
        return None
    if hmac.compare_digest(_plain(message), event.hash):
        return DOWNGRADED if legacy is False else None
    if not legacy and not keys_match:
        return None
    return ALTERED


def _head_problem(head: AuditHead, last: RequestEvent | None, *, keys_match: bool = True) -> str | None:
    """What is wrong between a chain's last row (None: no rows) and its head."""
    if keys_match and not _signed(
        _head_message(head.privacy_request_id, head.seq, head.hash, head.legacy_seq), head.mac
    ):
        return "the chain head was altered (its MAC does not match AUDIT_KEYS)"
    last_seq, last_hash = (last.seq, last.hash) if last is not None else (0, GENESIS)
    if last_seq < head.seq:
        return (
            f"the chain ends at #{last_seq} but its head says #{head.seq}: events were deleted from its end"
        )
    if last_seq > head.seq:
        return f"the chain goes on to #{last_seq} past its head at #{head.seq}: events added behind our back"
    if last_hash != head.hash:
        return "the last event does not match the chain head"
    return None


def _chains(
    events: Iterator[RequestEvent], heads: Iterator[AuditHead]
) -> Iterator[tuple[list[RequestEvent], AuditHead | None, int]]:
    """Each case's events beside its head, merged from two streams in case order (so memory holds one chain, not
    every head); either side may be missing."""
    by_case = (
        (privacy_request_id, list(rows))
        for privacy_request_id, rows in groupby(events, key=attrgetter("privacy_request_id"))
    )
    chain, head = next(by_case, None), next(heads, None)
    while chain is not None or head is not None:
        privacy_request_id = min(
            ([chain[0]] if chain is not None else [])
            + ([head.privacy_request_id] if head is not None else [])
        )
        rows = chain[1] if chain and chain[0] == privacy_request_id else []
        case_head = head if head and head.privacy_request_id == privacy_request_id else None
        yield rows, case_head, privacy_request_id
        if rows:
            chain = next(by_case, None)
        if case_head:
            head = next(heads, None)


def _verify_chain(
    events: list[RequestEvent], head: AuditHead | None, privacy_request_id: int, *, keys_match: bool
) -> Iterator[ChainBreak]:
    expected_seq, prev_hash = 1, GENESIS
    legacy_seq = head.legacy_seq if head is not None else None
    for event in events:
        if event.seq != expected_seq:
            yield ChainBreak(
                event.pk, event.privacy_request_id, event.seq, f"expected #{expected_seq}: a row is missing"
            )
        elif event.prev_hash != prev_hash:
            yield ChainBreak(
                event.pk, event.privacy_request_id, event.seq, "does not follow the previous row's hash"
            )
        elif problem := _row_problem(
            prev_hash,
            event,
            legacy=None if legacy_seq is None else event.seq <= legacy_seq,
            keys_match=keys_match,
        ):
            yield ChainBreak(event.pk, event.privacy_request_id, event.seq, problem)
        expected_seq = event.seq + 1
        prev_hash = event.hash
    last = events[-1] if events else None
    problem = (
        "the chain head is missing" if head is None else _head_problem(head, last, keys_match=keys_match)
    )
    if problem:
        yield ChainBreak(last.pk if last else None, privacy_request_id, last.seq if last else None, problem)


def verify_chains(*, privacy_request_ids: list[int] | None = None) -> Iterator[ChainBreak]:
    """Yield every place where the trail does not verify: a row altered, removed, inserted or re-ordered; a
    chain cut short, or removed with its head; the ledger of chains altered.

    If AUDIT_KEYS verifies nothing at all, that comes first, once (WRONG_KEYS), instead of every row, head and
    the ledger reported as altered; what needs no key (a row missing, a chain cut short) is still reported."""
    keys_match = not _keys_sign_nothing()
    if not keys_match:
        yield ChainBreak(None, None, None, WRONG_KEYS)
    events = RequestEvent.objects.order_by("privacy_request_id", "seq")
    heads = AuditHead.objects.order_by("privacy_request_id")
    if privacy_request_ids is not None:
        events = events.filter(privacy_request_id__in=privacy_request_ids)
        heads = heads.filter(privacy_request_id__in=privacy_request_ids)
    head_count = 0
    for chain, head, privacy_request_id in _chains(
        events.iterator(chunk_size=2000), heads.iterator(chunk_size=2000)
    ):
        head_count += head is not None
        yield from _verify_chain(chain, head, privacy_request_id, keys_match=keys_match)
    if privacy_request_ids is not None:
        return  # the checks below are about the whole trail

    trailless = PrivacyRequest.objects.filter(audit_head__isnull=True).exclude(
        Exists(
            RequestEvent.objects.filter(privacy_request_id=OuterRef("pk"))
        )  # those with events are reported above
    )
    for privacy_request_id in trailless.values_list("pk", flat=True):
        yield ChainBreak(
            None, privacy_request_id, None, "the case has no audit trail: its events and head are gone"
        )
    ledger = AuditLedger.objects.filter(pk=LEDGER_ID).first()
    if ledger is None:
        if head_count:
            yield ChainBreak(None, None, None, "the ledger of audit chains is missing")
    elif keys_match and not _signed(_ledger_message(ledger.chains), ledger.mac):
        yield ChainBreak(
            None, None, None, "the ledger of audit chains was altered (its MAC does not match AUDIT_KEYS)"
        )
    elif ledger.chains != head_count:
        yield ChainBreak(
            None, None, None,
            f"the ledger counts {ledger.chains} audit chains but the database holds {head_count} chain heads: "
            + ("chains were removed" if ledger.chains > head_count else "chains were added behind our back"),
        )  # fmt: skip


def check_and_alert() -> list[ChainBreak]:
    """Verify every chain and email the DPOs if any is broken (ids and references only)."""
    breaks = list(verify_chains())
    if breaks:
        references: dict[int | None, Any] = dict(
            PrivacyRequest.objects.filter(pk__in={b.privacy_request_id for b in breaks}).values_list(
                "pk", "reference"
            )
        )
        rows = [
            {**vars(b), "reference": references.get(b.privacy_request_id, b.privacy_request_id)}
            for b in breaks
        ]
        wrong_keys = breaks[0].problem == WRONG_KEYS  # the email then says to check the keys, not the rows
        make_message("audit-break", {"breaks": rows, "wrong_keys": wrong_keys}, to=dpo_addresses()).send()
    return breaks
