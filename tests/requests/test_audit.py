from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, IntegrityError, connection, transaction

from requests import audit, services
from requests.audit import verify_chains
from requests.audit_upgrade import seal
from requests.models import AuditHead, AuditLedger, RequestEvent
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


# --- What someone who can write to the database, but has no AUDIT_KEYS, can do (issue 15) -----------------------
# Each of these went unnoticed by the chain of plain SHA-256 hashes with nothing outside the events table.


def rewrite_without_the_key(case: Any, seq: int, **changes: Any) -> None:
    """Change event #seq and hash the chain again from there the only way one can without the key: plain SHA-256
    of the previous hash and the row, as the chain was before it was keyed."""
    events = list(RequestEvent.objects.filter(privacy_request=case).order_by("seq"))
    prev_hash = events[seq - 2].hash if seq > 1 else "0" * 64
    for event in events[seq - 1 :]:
        if event.seq == seq:
            for name, value in changes.items():
                setattr(event, name, value)
        event.prev_hash = prev_hash
        event.hash = hashlib.sha256((prev_hash + audit.canonical(event)).encode()).hexdigest()
        tamper(
            "UPDATE requests_requestevent SET verb = %s, data = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.verb, json.dumps(event.data), event.prev_hash, event.hash, event.pk],
        )
        prev_hash = event.hash


def test_verify_audit_notices_the_last_event_deleted(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    last = case.events.order_by("-seq").first()
    tamper("DELETE FROM requests_requestevent WHERE id = %s", [last.pk])
    with pytest.raises(
        CommandError, match=rf"\(case {case.pk}, #3\): the chain ends at #3 but its head says #4"
    ):
        call_command("verify_audit")


def test_verify_audit_notices_every_event_of_a_case_deleted(dpo: Any, handler: Any) -> None:
    _, case, _ = (a_worked_case(dpo, handler) for _ in range(3))
    tamper("DELETE FROM requests_requestevent WHERE request_id = %s", [case.pk])
    assert [str(b) for b in verify_chains()] == [
        f"case {case.pk}: the chain ends at #0 but its head says #4: events were deleted from its end"
    ]
    with pytest.raises(CommandError, match=rf"case {case.pk}: the chain ends at #0 but its head says #4"):
        call_command("verify_audit")


def test_verify_audit_notices_a_row_edited_and_the_chain_hashed_again_without_the_key(
    dpo: Any, handler: Any
) -> None:
    case = a_worked_case(dpo, handler)
    victim = case.events.get(seq=2)
    rewrite_without_the_key(case, 2, data={"forged": True})
    with pytest.raises(
        CommandError,
        match=rf"event {victim.pk} \(case {case.pk}, #2\): hashed with plain SHA-256 where the chain is keyed",
    ):
        call_command("verify_audit")


def test_verify_audit_notices_a_head_moved_back_with_its_chain(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    third = case.events.get(seq=3)
    tamper("DELETE FROM requests_requestevent WHERE request_id = %s AND seq = 4", [case.pk])
    # The head now says where the chain ends, but only the key could sign that.
    tamper("UPDATE requests_audithead SET seq = 3, hash = %s WHERE request_id = %s", [third.hash, case.pk])
    breaks = [(b.event_id, b.problem) for b in verify_chains()]
    assert breaks == [(third.pk, "the chain head was altered (its MAC does not match AUDIT_KEYS)")]


def test_verify_audit_notices_a_head_put_back_to_a_state_it_had(dpo: Any, handler: Any) -> None:
    """An old head is signed: put back (it can be read), it no longer matches the rows written since."""
    case = a_worked_case(dpo, handler)
    earlier = AuditHead.objects.get(privacy_request=case)
    services.send_message(case, by=handler, body="One more question.")
    tamper(
        "UPDATE requests_audithead SET seq = %s, hash = %s, mac = %s WHERE request_id = %s",
        [earlier.seq, earlier.hash, earlier.mac, case.pk],
    )
    ((_, problem),) = [(b.seq, b.problem) for b in verify_chains()]
    assert problem.startswith("the chain goes on to #") and "past its head at #4" in problem


def test_verify_audit_notices_a_whole_trail_removed_with_its_head(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    a_worked_case(dpo, handler)
    tamper("DELETE FROM requests_requestevent WHERE request_id = %s", [case.pk])
    tamper("DELETE FROM requests_audithead WHERE request_id = %s", [case.pk])
    assert [str(b) for b in verify_chains()] == [
        f"case {case.pk}: the case has no audit trail: its events and head are gone",
        "the ledger counts 2 audit chains but the database holds 1 chain heads: chains were removed",
    ]


def test_verify_audit_notices_the_ledger_of_chains_altered(dpo: Any, handler: Any) -> None:
    a_worked_case(dpo, handler)
    tamper("UPDATE requests_auditledger SET chains = chains + 1", [])
    assert [str(b) for b in verify_chains()] == [
        "the ledger of audit chains was altered (its MAC does not match AUDIT_KEYS)"
    ]


def test_verify_audit_exits_1_and_lists_every_break(dpo: Any, handler: Any, capsys: Any) -> None:
    from django.core.management import execute_from_command_line

    cut, rewritten = a_worked_case(dpo, handler), a_worked_case(dpo, handler)
    tamper("DELETE FROM requests_requestevent WHERE request_id = %s AND seq = 4", [cut.pk])
    rewrite_without_the_key(rewritten, 3, verb="honoured")
    cut_end, victim = cut.events.get(seq=3).pk, rewritten.events.get(seq=3).pk
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "verify_audit", "--all"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"Audit chain broken at event {cut_end} (case {cut.pk}, #3): the chain ends at #3" in err
    assert f"Also broken: event {victim} (case {rewritten.pk}, #3): hashed with plain SHA-256" in err


def test_the_nightly_email_names_a_break_that_is_no_one_event(dpo: Any, handler: Any) -> None:
    from django.core import mail

    from requests.audit import check_and_alert

    case = a_worked_case(dpo, handler)
    tamper("DELETE FROM requests_requestevent WHERE request_id = %s", [case.pk])
    tamper("UPDATE requests_auditledger SET chains = 7", [])
    assert len(check_and_alert()) == 2
    body = mail.outbox[0].body
    assert f"- {case.reference}: the chain ends at #0 but its head says #4" in body
    assert "- the ledger of audit chains was altered" in body and "None" not in body


def test_a_case_whose_head_is_gone_takes_no_new_chain(dpo: Any, handler: Any) -> None:
    """Appending after the head was deleted would start the chain again at #1 and hide the deletion: refused."""
    case = a_worked_case(dpo, handler)
    tamper("DELETE FROM requests_audithead WHERE request_id = %s", [case.pk])
    with pytest.raises(IntegrityError), transaction.atomic():
        services.send_message(case, by=handler, body="Hello")
    assert case.events.count() == 4


# --- The keys ---------------------------------------------------------------------------------------------------


def test_events_signed_with_an_older_key_verify_while_it_is_listed(
    settings: Any, dpo: Any, handler: Any
) -> None:
    old, new = "an-old-audit-key-that-was-rotated-out-000000", "the-new-audit-key-that-signs-from-now-on-111"
    settings.AUDIT_KEYS = [old]
    case = a_worked_case(dpo, handler)
    settings.AUDIT_KEYS = [new, old]  # rotated: the new key signs, the old one still verifies
    services.send_message(case, by=handler, body="After the rotation.")
    assert list(verify_chains()) == []
    settings.AUDIT_KEYS = [new]  # dropping the old key leaves what it signed unverifiable
    assert [b.seq for b in verify_chains()][:1] == [1]


WRONG_KEYS = "AUDIT_KEYS does not match the keys these events were written with"


def test_wrong_audit_keys_are_reported_as_a_key_problem_not_as_tampering(
    settings: Any, dpo: Any, handler: Any, capsys: Any
) -> None:
    """An operator restoring with the wrong key list was told row 1 had been altered: nothing was."""
    from django.core.management import execute_from_command_line

    a_worked_case(dpo, handler)
    a_worked_case(dpo, handler)
    settings.AUDIT_KEYS = [secrets.token_urlsafe(32)]
    (found,) = verify_chains()
    assert found.problem.startswith(WRONG_KEYS)
    with pytest.raises(SystemExit) as exit_info:
        execute_from_command_line(["manage.py", "verify_audit", "--all"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"CommandError: {WRONG_KEYS}" in err
    assert "altered" not in err and "broken at" not in err and "Also broken" not in err


def test_under_wrong_audit_keys_what_needs_no_key_is_still_reported(
    settings: Any, dpo: Any, handler: Any
) -> None:
    """A row deleted shows without the keys (a gap in the numbers); only what the keys would check is left out."""
    case = a_worked_case(dpo, handler)
    second = a_worked_case(dpo, handler)
    tamper("DELETE FROM requests_requestevent WHERE id = %s", [case.events.get(seq=2).pk])
    tamper("UPDATE requests_requestevent SET verb = 'honoured' WHERE id = %s", [second.events.get(seq=3).pk])
    settings.AUDIT_KEYS = [secrets.token_urlsafe(32)]
    breaks = list(verify_chains())
    assert breaks[0].problem.startswith(WRONG_KEYS)
    # The edited row cannot be told from the others under keys that verify nothing: the key message covers it.
    assert [(b.privacy_request_id, b.seq, b.problem) for b in breaks[1:]] == [
        (case.pk, 3, "expected #2: a row is missing")
    ]


def test_with_the_right_keys_one_edited_row_among_intact_chains_is_still_altered(
    dpo: Any, handler: Any
) -> None:
    a_worked_case(dpo, handler)
    case = a_worked_case(dpo, handler)
    tamper("UPDATE requests_requestevent SET verb = 'honoured' WHERE id = %s", [case.events.get(seq=1).pk])
    assert [(b.privacy_request_id, b.seq, b.problem) for b in verify_chains()] == [
        (case.pk, 1, "the row was altered after it was written")
    ]


def test_an_append_costs_one_small_write_more_than_the_event(
    dpo: Any, handler: Any, django_assert_num_queries: Any
) -> None:
    case = a_worked_case(dpo, handler)
    # Hold the case, read the head, insert the event, move the head.
    with django_assert_num_queries(4):
        audit.record_event(case, "note_added", by=handler)
    assert list(verify_chains()) == []


# --- Chains written before the upgrade --------------------------------------------------------------------------


def as_before_the_upgrade(*cases: Any) -> None:
    """The trail as an install had it before the chain was keyed: plain SHA-256 rows, no heads, no ledger."""
    for case in cases:
        rewrite_without_the_key(case, 1)
    tamper("DELETE FROM requests_audithead", [])
    tamper("DELETE FROM requests_auditledger", [])


def upgrade() -> None:
    """What `migrate` ran on such an install: the sealing step of the old migration 0019."""
    from types import SimpleNamespace

    from django.apps import apps

    seal(apps, SimpleNamespace(connection=connection))


def test_chains_written_before_the_upgrade_still_verify(dpo: Any, handler: Any, capsys: Any) -> None:
    old, untouched = a_worked_case(dpo, handler), a_worked_case(dpo, handler)
    as_before_the_upgrade(old, untouched)
    upgrade()
    assert list(verify_chains()) == []
    services.send_message(old, by=handler, body="Written after the upgrade.")  # keyed, after plain ones
    assert list(verify_chains()) == []
    call_command("verify_audit")
    assert "Audit chain intact: 9 events checked." in capsys.readouterr().out
    head = AuditHead.objects.get(privacy_request=old)
    assert (head.legacy_seq, head.seq) == (4, old.events.count())


def test_an_old_chain_rewritten_after_the_upgrade_no_longer_matches_its_head(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    as_before_the_upgrade(case)
    upgrade()
    # Plain hashes are what these rows have, so they still chain; the head no longer matches.
    rewrite_without_the_key(case, 2, verb="honoured")
    assert [b.problem for b in verify_chains()] == ["the last event does not match the chain head"]


def test_a_chain_broken_before_the_upgrade_stays_reported(dpo: Any, handler: Any) -> None:
    case = a_worked_case(dpo, handler)
    as_before_the_upgrade(case)
    tamper("UPDATE requests_requestevent SET verb = 'honoured' WHERE request_id = %s AND seq = 3", [case.pk])
    upgrade()
    assert [(b.seq, b.problem) for b in verify_chains()] == [(3, "the row was altered after it was written")]


# --- PostgreSQL ---------------------------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE and no such triggers")
@pytest.mark.parametrize("table", ["requests_requestevent", "requests_audithead", "requests_auditledger"])
def test_postgresql_refuses_to_truncate_the_audit_trail(table: str) -> None:
    make_case()
    with (
        pytest.raises(DatabaseError, match="TRUNCATE refused"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        # The test settings allow it on their connections, for pytest-django's flushes; a session as the
        # application opens has no such setting.
        cursor.execute("SELECT set_config('privacyportal.audit_truncate', '', true)")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # as if the case had been committed long ago
        cursor.execute(f"TRUNCATE {table} CASCADE")
    assert RequestEvent.objects.exists() and AuditHead.objects.exists() and AuditLedger.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the heads' triggers are PostgreSQL's")
def test_postgresql_lets_heads_and_the_ledger_only_move_forward() -> None:
    case = make_case()
    services.withdraw(case)
    for statement in (
        "DELETE FROM requests_audithead WHERE request_id = %s",
        "UPDATE requests_audithead SET seq = seq - 1 WHERE request_id = %s",
        "UPDATE requests_audithead SET request_id = request_id + 1000000 WHERE request_id = %s",
        "DELETE FROM requests_auditledger WHERE %s > 0",
        "UPDATE requests_auditledger SET chains = chains - 1 WHERE %s > 0",
    ):
        with (
            pytest.raises(DatabaseError, match="part of the audit trail"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [case.pk])
    assert list(verify_chains()) == []


def app_role_sql(role: str, password: str, database: str, owner: str) -> str:
    """The operator guide's SQL for the application's role, for this database, owner and role."""
    text = (Path(__file__).resolve().parents[2] / "docs" / "operator-guide.md").read_text()
    found = re.search(r"<!-- app-role\.sql:.*?-->\n```sql\n(.*?)```", text, re.DOTALL)
    assert found, "the operator guide shows the application role's SQL"
    return (
        found.group(1)
        .replace("portal_app", role)
        .replace("'a-long-random-password'", f"'{password}'")
        .replace("DATABASE portal ", f'DATABASE "{database}" ')
        .replace("FOR ROLE portal ", f'FOR ROLE "{owner}" ')
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="database roles are PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_operator_guides_application_role_appends_but_cannot_erase(tmp_path: Path) -> None:
    import psycopg2

    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    role, password = f"portal_app_test_{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(16)
    with connection.cursor() as cursor:
        cursor.execute(app_role_sql(role, password, db["NAME"], db["USER"]))
    as_app = None
    try:
        # The application itself, connected as that role: a case submitted and withdrawn, its chain intact.
        script = (
            "import django; django.setup(); from requests import services; from requests.audit import verify_chains;"
            " from tests.factories import make_case; case = services.withdraw(make_case());"
            " print(list(verify_chains(privacy_request_ids=[case.pk])))"
        )
        env = {
            **os.environ, "DJANGO_SETTINGS_MODULE": "privacyportal.test_settings", "VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"postgres://{role}:{password}@{host}:{port}/{db['NAME']}", "REDIS_URL": "",
            "EMAIL_URL": f"filemail://{tmp_path / 'mail'}",
        }  # fmt: skip
        result = subprocess.run(
            [sys.executable, "-c", script], cwd=Path(__file__).resolve().parents[2], env=env,
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith("[]")
        assert RequestEvent.objects.filter(verb="withdrawn").exists()

        as_app = psycopg2.connect(host=host, port=port, dbname=db["NAME"], user=role, password=password)
        as_app.autocommit = True
        for statement, refusal in (
            ("DELETE FROM requests_requestevent", "permission denied"),
            ("UPDATE requests_requestevent SET verb = 'x'", "permission denied"),
            ("TRUNCATE requests_requestevent", "permission denied"),
            ("DELETE FROM requests_audithead", "permission denied"),
            ("DELETE FROM requests_auditledger", "permission denied"),
            ("TRUNCATE requests_audithead, requests_auditledger", "permission denied"),
            ("UPDATE requests_audithead SET seq = seq - 1", "may only move it forward"),
            ("ALTER TABLE requests_requestevent DISABLE TRIGGER ALL", "must be owner"),
            ("DROP TRIGGER requests_event_append_only ON requests_requestevent", "must be owner"),
            ("SET session_replication_role = replica", "permission denied"),
        ):
            with pytest.raises(psycopg2.Error, match=refusal), as_app.cursor() as cursor:
                cursor.execute(statement)
        assert list(verify_chains()) == []
    finally:
        if as_app is not None:
            as_app.close()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
