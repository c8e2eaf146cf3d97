"""Two staff acting on one case at the same moment: one wins, the other is told, the chain holds."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from requests import services
from requests.audit import verify_chains
from requests.lifecycle import Status
from requests.models import PrivacyRequest
from requests.services import TransitionError
from tests.factories import make_case

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locking is tested on PostgreSQL"),
]


def race(*moves: Callable[[], Any]) -> list[BaseException | None]:
    barrier = threading.Barrier(len(moves))
    results: list[BaseException | None] = [None] * len(moves)

    def run(index: int, move: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            move()
        except BaseException as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, m)) for i, m in enumerate(moves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.parametrize("attempt", range(3))
def test_two_transitions_at_once_have_one_winner(dpo: Any, handler: Any, attempt: int) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    first, second = (PrivacyRequest.objects.get(pk=case.pk) for _ in range(2))
    results = race(
        lambda: services.assign(first, to=handler, by=dpo),
        lambda: services.deny(second, by=dpo, reason="excessive", explanation="Too many"),
    )
    errors = [r for r in results if r is not None]
    assert len(errors) == 1 and isinstance(errors[0], TransitionError), results
    final = PrivacyRequest.objects.get(pk=case.pk)
    assert final.status in {Status.IN_PROGRESS, Status.DENIED}
    seqs = list(final.events.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    winner = "assigned" if final.status == Status.IN_PROGRESS else "denied"
    changes = list(
        final.events.exclude(verb__in=["email_sent", "letter_issued"]).values_list("verb", flat=True)
    )
    assert changes == ["submitted", "email_confirmed", winner]  # the loser wrote nothing
    assert list(verify_chains()) == []


def test_two_extensions_at_once_extend_once(dpo: Any, handler: Any) -> None:
    case = services.confirm_email(make_case(kind="rectification"))
    copies = [PrivacyRequest.objects.get(pk=case.pk) for _ in range(2)]
    results = race(*(lambda c=c: services.extend(c, by=dpo, reason="Complex") for c in copies))
    assert sum(r is None for r in results) == 1
    final = PrivacyRequest.objects.get(pk=case.pk)
    changes = list(
        final.events.exclude(verb__in=["email_sent", "letter_issued"]).values_list("verb", flat=True)
    )
    assert changes == ["submitted", "email_confirmed", "extended"]
    assert list(verify_chains()) == []
