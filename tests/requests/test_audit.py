from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from requests import services
from requests.audit import verify_chains
from requests.models import RequestEvent
from tests.factories import complete_case, make_case

pytestmark = pytest.mark.django_db


def a_worked_case(dpo: Any, handler: Any) -> Any:
    case = services.confirm_email(make_case(kind="rectification"))
    services.assign(case, to=handler, by=dpo)
    complete_case(case, by=handler, outcome="fulfilled")
    return case


def tamper(sql: str, params: list[Any]) -> None:
    """Change an event behind the application's back (on PostgreSQL, as a superuser who drops the guard)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")  # superuser: triggers off
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = origin")


def test_an_untouched_chain_verifies(dpo: Any, handler: Any, capsys: Any) -> None:
    a_worked_case(dpo, handler)
    a_worked_case(dpo, handler)
    assert list(verify_chains()) == []
    call_command("verify_audit")
    assert "Audit chain intact: 8 events checked." in capsys.readouterr().out


def test_verify_audit_names_the_first_row_edited_behind_our_back(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    victim = case.events.get(seq=3)
    tamper("UPDATE requests_requestevent SET data = %s WHERE id = %s", ['{"assignee": 999}', victim.pk])
    with pytest.raises(CommandError, match=rf"event {victim.pk} \(case {case.pk}, #3\): the row was altered"):
        call_command("verify_audit")


def test_verify_audit_notices_a_deleted_row(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    tamper("DELETE FROM requests_requestevent WHERE id = %s", [case.events.get(seq=2).pk])
    breaks = list(verify_chains())
    assert [(b.seq, b.problem) for b in breaks] == [(3, "expected #2: a row is missing")]


def test_verify_audit_exits_non_zero(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    tamper(
        "UPDATE requests_requestevent SET verb = %s WHERE id = %s", ["honoured", case.events.get(seq=4).pk]
    )
    with pytest.raises(SystemExit) as exit_info:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "verify_audit"])
    assert exit_info.value.code == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's")
def test_postgresql_refuses_to_update_or_delete_an_event() -> None:
    case = make_case()
    event = case.events.get()
    for statement in (
        "UPDATE requests_requestevent SET verb = 'x' WHERE id = %s",
        "DELETE FROM requests_requestevent WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [event.pk])
    assert RequestEvent.objects.get(pk=event.pk).verb == "submitted"
