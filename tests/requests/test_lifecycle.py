from __future__ import annotations

import itertools

import pytest

from requests.lifecycle import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PACKET_TRANSITIONS,
    TRANSITIONS,
    PacketStatus,
    Status,
    can_transition,
    packet_sources,
)

P = PacketStatus

ALLOWED = {
    (Status.NEW, Status.VERIFYING), (Status.NEW, Status.OPEN), (Status.NEW, Status.COMPLETED),
    (Status.NEW, Status.EXPIRED), (Status.NEW, Status.DENIED), (Status.NEW, Status.WITHDRAWN),
    (Status.NEW, Status.FORWARDED),
    (Status.VERIFYING, Status.OPEN), (Status.VERIFYING, Status.AWAITING_REQUESTER),
    (Status.VERIFYING, Status.DENIED), (Status.VERIFYING, Status.WITHDRAWN), (Status.VERIFYING, Status.FORWARDED),
    (Status.OPEN, Status.IN_PROGRESS), (Status.OPEN, Status.AWAITING_REQUESTER), (Status.OPEN, Status.FEE_PENDING),
    (Status.OPEN, Status.DENIED), (Status.OPEN, Status.WITHDRAWN), (Status.OPEN, Status.FORWARDED),
    (Status.IN_PROGRESS, Status.COMPLETED), (Status.IN_PROGRESS, Status.AWAITING_REQUESTER),
    (Status.IN_PROGRESS, Status.FEE_PENDING), (Status.IN_PROGRESS, Status.DENIED),
    (Status.IN_PROGRESS, Status.WITHDRAWN), (Status.IN_PROGRESS, Status.FORWARDED),
    (Status.AWAITING_REQUESTER, Status.VERIFYING), (Status.AWAITING_REQUESTER, Status.OPEN),
    (Status.AWAITING_REQUESTER, Status.IN_PROGRESS), (Status.AWAITING_REQUESTER, Status.DENIED),
    (Status.AWAITING_REQUESTER, Status.WITHDRAWN), (Status.AWAITING_REQUESTER, Status.FORWARDED),
    (Status.FEE_PENDING, Status.OPEN), (Status.FEE_PENDING, Status.IN_PROGRESS),
    (Status.FEE_PENDING, Status.DENIED), (Status.FEE_PENDING, Status.WITHDRAWN), (Status.FEE_PENDING, Status.FORWARDED),
}  # fmt: skip


@pytest.mark.parametrize(("old", "new"), list(itertools.product(Status, Status)))
def test_transition_table(old: Status, new: Status) -> None:
    assert can_transition(old, new) is ((old, new) in ALLOWED)


def test_every_status_has_a_row_and_closed_states_are_final() -> None:
    assert set(TRANSITIONS) == set(Status)
    assert CLOSED_STATUSES == {
        Status.COMPLETED,
        Status.DENIED,
        Status.WITHDRAWN,
        Status.FORWARDED,
        Status.EXPIRED,
    }
    assert OPEN_STATUSES | CLOSED_STATUSES == set(Status)


def test_every_open_state_can_end_as_denied_withdrawn_or_forwarded() -> None:
    for status in OPEN_STATUSES:
        assert {Status.DENIED, Status.WITHDRAWN, Status.FORWARDED} <= TRANSITIONS[status]


# The packet's own table, beside the case's.

PACKET_ALLOWED = {
    (P.QUEUED, P.QUEUED), (P.QUEUED, P.BUILDING), (P.QUEUED, P.EXPIRED),
    (P.BUILDING, P.QUEUED), (P.BUILDING, P.BUILDING), (P.BUILDING, P.READY), (P.BUILDING, P.FAILED),
    (P.BUILDING, P.EXPIRED),
    (P.READY, P.QUEUED), (P.READY, P.RELEASED), (P.READY, P.EXPIRED),
    (P.FAILED, P.QUEUED), (P.FAILED, P.EXPIRED),
    (P.RELEASED, P.EXPIRED),
    (P.EXPIRED, P.QUEUED),
}  # fmt: skip


def test_the_packet_table_is_exactly_the_packets_life() -> None:
    assert set(PACKET_TRANSITIONS) == set(P)
    assert {(old, new) for old, targets in PACKET_TRANSITIONS.items() for new in targets} == PACKET_ALLOWED
    # Only a ready packet is released, only a building one fails or becomes ready, a released one only expires.
    assert packet_sources(P.RELEASED) == ["ready"]
    assert packet_sources(P.READY) == packet_sources(P.FAILED) == ["building"]
    assert "released" not in packet_sources(P.QUEUED)
