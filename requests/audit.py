"""The hash-chained audit trail: appending an event and verifying every chain (DESIGN §4)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone

from .models import ActorKind, PrivacyRequest, RequestEvent

GENESIS = "0" * 64


def canonical(event: RequestEvent) -> str:
    """The bytes a row's hash covers: every field but the hashes, in a fixed form."""
    return json.dumps(
        {
            "request": event.request_id,
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


def chain_hash(prev_hash: str, event: RequestEvent) -> str:
    return hashlib.sha256((prev_hash + canonical(event)).encode()).hexdigest()


def record_event(
    privacy_request: PrivacyRequest,
    verb: str,
    *,
    by: AbstractBaseUser | None = None,
    actor_kind: str | None = None,
    old_status: str = "",
    new_status: str = "",
    data: dict[str, Any] | None = None,
) -> RequestEvent:
    """Append one event to the case's chain. Call inside the transaction that changed the case.

    The caller holds the case row (claimed by a conditional UPDATE), so appends to one case are
    serialised; the unique (request, seq) constraint refuses a fork if that was ever not so.
    """
    # Hold the case row (a no-op where the caller's UPDATE already holds it) so appends never race.
    PrivacyRequest.objects.select_for_update().filter(pk=privacy_request.pk).values_list("pk").first()
    last = (
        RequestEvent.objects.filter(request_id=privacy_request.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    if actor_kind is None:
        actor_kind = ActorKind.STAFF if by is not None else ActorKind.SYSTEM
    event = RequestEvent(
        request_id=privacy_request.pk,
        seq=seq,
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
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    request_id: int
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"event {self.event_id} (case {self.request_id}, #{self.seq}): {self.problem}"


def verify_chains(*, request_ids: list[int] | None = None) -> Iterator[ChainBreak]:
    """Yield every place where a chain is broken: a row altered, removed, inserted or re-ordered."""
    events = RequestEvent.objects.order_by("request_id", "seq")
    if request_ids is not None:
        events = events.filter(request_id__in=request_ids)
    current_request: int | None = None
    expected_seq = 1
    prev_hash = GENESIS
    for event in events.iterator(chunk_size=2000):
        if event.request_id != current_request:
            current_request, expected_seq, prev_hash = event.request_id, 1, GENESIS
        if event.seq != expected_seq:
            yield ChainBreak(
                event.pk, event.request_id, event.seq, f"expected #{expected_seq}: a row is missing"
            )
        elif event.prev_hash != prev_hash:
            yield ChainBreak(event.pk, event.request_id, event.seq, "does not follow the previous row's hash")
        elif chain_hash(prev_hash, event) != event.hash:
            yield ChainBreak(
                event.pk, event.request_id, event.seq, "the row was altered after it was written"
            )
        expected_seq = event.seq + 1
        prev_hash = event.hash


def check_and_alert() -> list[ChainBreak]:
    """Verify every chain and email the DPOs if any is broken (ids and references only)."""
    from .emails import dpo_addresses, make_message

    breaks = list(verify_chains())
    if breaks:
        references = dict(
            PrivacyRequest.objects.filter(pk__in={b.request_id for b in breaks}).values_list(
                "pk", "reference"
            )
        )
        rows = [{**vars(b), "reference": references.get(b.request_id, b.request_id)} for b in breaks]
        make_message("audit-break", {"breaks": rows}, to=dpo_addresses()).send()
    return breaks
