"""The SQL connector on the sample shop, against SQLite, PostgreSQL and MariaDB alike (conftest.py)."""

from __future__ import annotations

import base64
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from requests.connectors import (
    ConnectorError,
    DatasetError,
    ErasurePlan,
    Found,
    RecordRef,
    Subject,
    build,
    sample,
)
from requests.connectors.compare import Comparison, compare_in
from requests.connectors.sql import mask_value
from tests.requests.connectors.conftest import Shop, make_shop

ROOT = Path(__file__).resolve().parents[3]
ADA = Subject(email="Ada.Lovelace@Example.org")
# What must never appear in an error or a log line: Ada's identifiers and what her rows hold.
ADA_DATA = ("lovelace", "Lovelace", "7946 0001", "A-1001", "St James", "Ockham", "porter")
ADA_REFS = {
    "customers": [(1,)], "newsletter_subscribers": [(1,)], "orders": [(10,), (11,)],
    "support_tickets": [(1,), (2,)], "order_lines": [(100,), (101,), (110,)], "invoices": [(1000,)],
}  # fmt: skip


def by_table(found: Found) -> dict[str, list[tuple[Any, ...]]]:
    return {table: list(keys) for table, keys in found.by_table().items()}


# --- find ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["Ada.Lovelace@Example.org", "  ADA.LOVELACE@example.ORG ", "ada.lovelace@example.org."]
)
def test_find_matches_an_address_however_it_was_typed_and_stored(shop: Shop, typed: str) -> None:
    # Stored as "Ada.Lovelace@Example.org", " ADA.LOVELACE@EXAMPLE.ORG " and " ada.lovelace@EXAMPLE.org";
    # the look-alikes (.org.uk, a Cyrillic "а") belong to other people.
    found = shop.connector().find(Subject(email=typed))
    assert by_table(found) == ADA_REFS


def test_find_by_phone_or_account_id_alone(shop: Shop) -> None:
    connector = shop.connector()
    by_phone = connector.find(Subject(email="", phone="0044 20 7946-0001"))
    by_account = connector.find(Subject(email="", account_ids=(" A-1001",)))
    # Without the address, the guest ticket and the newsletter (matched by address only) are not hers to find.
    expected = {t: keys for t, keys in ADA_REFS.items() if t != "newsletter_subscribers"} | {
        "support_tickets": [(1,)]
    }
    assert by_table(by_phone) == by_table(by_account) == expected


def test_find_never_takes_a_look_alike_address(shop: Shop) -> None:
    cyrillic = shop.connector().find(Subject(email="adа.lovelace@example.org"))  # the "а" is Cyrillic
    assert by_table(cyrillic) == {"customers": [(4,)], "support_tickets": [(4,)]}
    longer = shop.connector().find(Subject(email="ada.lovelace@example.org.uk"))
    assert by_table(longer)["customers"] == [(2,)]
    assert not set(longer.refs) & {RecordRef(t, k) for t, keys in ADA_REFS.items() for k in keys}
    assert shop.connector().find(Subject(email="nobody@example.org")).refs == ()


def test_a_domain_in_unicode_matches_its_idna_spelling(shop: Shop) -> None:
    with shop.engine.begin() as conn:
        conn.execute(shop.meta.tables["newsletter_subscribers"].insert(), [
            {"id": 50, "email": "Zoe@Bücher.de", "subscribed": True, "subscribed_at": sample.START},
            {"id": 51, "email": "zoe@xn--bcher-kva.de", "subscribed": True, "subscribed_at": sample.START},
            {"id": 52, "email": "zoe@bucher.de", "subscribed": True, "subscribed_at": sample.START},
        ])  # fmt: skip
    found = shop.connector().find(Subject(email="ZOE@xn--bcher-kva.DE"))
    assert by_table(found) == {"newsletter_subscribers": [(50,), (51,)]}


# --- export --------------------------------------------------------------------------------------------------


def test_export_holds_every_found_row_of_every_table_in_json_safe_form(shop: Shop) -> None:
    connector = shop.connector()
    export = connector.export(connector.find(ADA))
    assert export.counts() == {table: len(keys) for table, keys in ADA_REFS.items()}
    assert json.loads(json.dumps(export.to_json())) == export.to_json()
    (customer,) = export.rows["customers"]
    assert customer["name"] == "Ada Lovelace" and customer["birth_date"] == "1815-12-10"
    assert customer["created_at"] == "2024-01-01T09:00:00"
    assert [line["unit_price"] for line in export.rows["order_lines"]] == ["29.90", "10.00", "15.00"]
    ticket = export.rows["support_tickets"][0]
    assert base64.b64decode(str(ticket["attachment"])) == b"\x89PNG"
    assert export.columns["invoices"] == (
        "id",
        "order_id",
        "number",
        "issued_on",
        "amount",
        "billing_name",
        "billing_address",
    )
    assert (
        export.as_csv("orders").splitlines()[0]
        == "id,customer_id,placed_at,status,total,shipping_address,delivery_notes"
    )


# --- erasure -------------------------------------------------------------------------------------------------


def test_the_dry_run_plans_per_record_and_changes_nothing(shop: Shop) -> None:
    before = shop.snapshot()
    connector = shop.connector()
    plan = connector.plan_erasure(connector.find(ADA))
    assert shop.snapshot() == before
    actions = {(s.ref.table, s.ref.key): s.action for s in plan.steps}
    assert actions == {
        ("invoices", (1000,)): "keep",
        ("order_lines", (100,)): "delete", ("order_lines", (101,)): "delete", ("order_lines", (110,)): "delete",
        ("support_tickets", (1,)): "anonymise", ("support_tickets", (2,)): "anonymise",
        ("orders", (10,)): "anonymise", ("orders", (11,)): "anonymise",
        ("newsletter_subscribers", (1,)): "delete",
        ("customers", (1,)): "anonymise",  # her kept orders and tickets refer to it
    }  # fmt: skip
    customer = plan.steps[-1]
    assert customer.reason == "not deleted: kept or anonymised rows of orders, support_tickets refer to it"
    assert customer.masked == ("name", "email", "account_no") and customer.nulled == (
        "phone",
        "address",
        "birth_date",
    )
    assert plan.steps[0].ground == sample.TAX_GROUND
    # Children before the rows they refer to; keys and column names only, never values.
    tables = [s.ref.table for s in plan.steps]
    assert tables.index("order_lines") < tables.index("orders") < tables.index("customers")
    text = json.dumps(plan.to_json())
    assert not any(value in text for value in ADA_DATA)
    assert ErasurePlan.from_json(json.loads(text)) == plan


def test_erase_deletes_anonymises_and_keeps_what_the_plan_says(shop: Shop) -> None:
    before = shop.snapshot()
    connector = shop.connector()
    result = connector.erase(connector.plan_erasure(connector.find(ADA)))
    assert result.counts() == {"kept": 1, "deleted": 4, "anonymised": 5}
    after = shop.snapshot()
    assert set(after["order_lines"]) == {200} and set(after["newsletter_subscribers"]) == {2, 3}
    assert after["invoices"] == before["invoices"]  # kept whole, on the tax ground
    customer = after["customers"][1]
    assert customer["email"] == customer["name"] == mask_value("customers", (1,))
    assert customer["account_no"] == mask_value("customers", (1,), 20)
    assert customer["phone"] is customer["address"] is customer["birth_date"] is None
    for order in (10, 11):
        assert after["orders"][order]["shipping_address"] is after["orders"][order]["delivery_notes"] is None
        assert after["orders"][order]["total"] == before["orders"][order]["total"]  # kept: tax law
    for ticket in (1, 2):  # free text: masked, never left for someone to read
        row = after["support_tickets"][ticket]
        assert row["body"] == row["subject"] == mask_value("support_tickets", (ticket,))
        assert row["contact_email"] is row["attachment"] is None
    # Nobody else's rows changed.
    for table, rows in before.items():
        for key, row in rows.items():
            if (key,) not in ADA_REFS.get(table, []):
                assert after[table][key] == row, (table, key)
    assert connector.find(ADA).refs == ()  # nothing left that leads to her
    outcome = next(o for o in result.outcomes if o.ref == RecordRef("invoices", (1000,)))
    assert (outcome.action, outcome.reason) == ("kept", sample.TAX_GROUND)
    assert f"invoices: kept 1 (ground: {sample.TAX_GROUND})" in result.summary()


def test_a_customer_nothing_refers_to_is_deleted(shop: Shop) -> None:
    connector = shop.connector()
    plan = connector.plan_erasure(connector.find(Subject(email="CY@example.net")))
    assert [(s.ref.table, s.action) for s in plan.steps] == [("customers", "delete")]
    assert connector.erase(plan).counts() == {"deleted": 1}
    assert 3 not in shop.rows("customers")


def test_erase_run_again_reports_the_work_as_done_and_does_nothing(shop: Shop) -> None:
    connector = shop.connector()
    plan = connector.plan_erasure(connector.find(ADA))
    first = connector.erase(plan)
    after = shop.snapshot()
    again = connector.erase(ErasurePlan.from_json(json.loads(json.dumps(plan.to_json()))))
    assert shop.snapshot() == after
    assert [o.ref for o in again.outcomes] == [o.ref for o in first.outcomes]
    assert again.counts() == {"kept": 1, "already deleted": 4, "already anonymised": 5}


KILLED_WORKER = textwrap.dedent("""
    import json, sys, time
    from requests.connectors import ErasurePlan
    from requests.connectors.sql import SqlConnector

    settings, credentials, plan = json.load(sys.stdin)
    apply = SqlConnector._apply
    tables = []

    def apply_then_stall(self, conn, name, steps):
        outcomes = apply(self, conn, name, steps)
        tables.append(name)
        if len(tables) == 3:  # lines deleted, tickets and orders anonymised, inside the open transaction
            print("stalled", flush=True)
            time.sleep(120)
        return outcomes

    SqlConnector._apply = apply_then_stall
    SqlConnector.from_settings(settings, credentials).erase(ErasurePlan.from_json(plan))
""")


def test_a_worker_killed_mid_erasure_leaves_nothing_half_done_and_the_rerun_finishes(shop: Shop) -> None:
    before = shop.snapshot()
    connector = shop.connector()
    plan = connector.plan_erasure(connector.find(ADA))
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, text=True,
    )  # fmt: skip
    assert worker.stdin and worker.stdout
    worker.stdin.write(
        json.dumps([{**shop.settings, "dataset": sample.DATASET}, shop.credentials, plan.to_json()])
    )
    worker.stdin.close()
    assert worker.stdout.readline().strip() == "stalled"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert shop.snapshot() == before  # rolled back: nothing deleted, nothing anonymised

    result = connector.erase(plan)
    assert result.counts() == {"kept": 1, "deleted": 4, "anonymised": 5}  # done now, once
    assert connector.erase(plan).counts() == {"kept": 1, "already deleted": 4, "already anonymised": 5}


def test_a_plan_made_under_other_rules_is_refused(shop: Shop) -> None:
    connector = shop.connector()
    plan = connector.plan_erasure(connector.find(ADA))
    stricter = shop.connector(dataset=sample.DATASET.replace("    erase: keep\n", "    erase: delete\n"))
    with pytest.raises(ConnectorError, match="changed after this dry run"):
        stricter.erase(plan)


def test_a_schema_without_foreign_keys_follows_the_declared_parents(
    shop: Shop, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    bare = make_shop(shop.kind, request, tmp_path, foreign_keys=False)
    connector = bare.connector(dataset=sample.dataset(declared_parents=True))
    assert by_table(connector.find(ADA)) == ADA_REFS
    # Without them, nothing leads to orders, lines or invoices.
    with pytest.raises(DatasetError, match=r"tables\.orders: nothing leads to its rows"):
        bare.connector().find(ADA)


# --- correction, restriction, opt-out ------------------------------------------------------------------------


def test_rectify_changes_the_columns_the_dataset_allows(shop: Shop) -> None:
    connector = shop.connector()
    found = connector.find(ADA)
    changes = {
        "name": "Augusta Ada King",
        "email": "ada.king@example.org",
        "customers.birth_date": "1815-12-10",
    }
    result = connector.rectify(found, changes)
    assert {(o.ref, o.action) for o in result.outcomes} == {
        (RecordRef("customers", (1,)), "rectified"), (RecordRef("newsletter_subscribers", (1,)), "rectified"),
    }  # fmt: skip
    customer = shop.rows("customers")[1]
    assert (customer["name"], customer["email"]) == ("Augusta Ada King", "ada.king@example.org")
    assert shop.rows("newsletter_subscribers")[1]["email"] == "ada.king@example.org"
    assert shop.rows("customers")[2]["name"] == "Bob Babbage"
    again = connector.rectify(found, changes)
    assert again.counts() == {"already correct": 2}


def test_rectify_refuses_a_column_the_dataset_does_not_allow_and_changes_nothing(shop: Shop) -> None:
    before = shop.snapshot()
    connector = shop.connector()
    found = connector.find(ADA)
    with pytest.raises(ConnectorError, match=r"'customers.account_no' may not be corrected") as caught:
        connector.rectify(found, {"name": "Ada King", "customers.account_no": "A-9"})
    assert "customers.name" in caught.value.message  # says what may be corrected
    with pytest.raises(ConnectorError, match=r"'customers\.birth_date' is not a valid date"):
        connector.rectify(found, {"birth_date": "10 Dec 1815"})
    assert shop.snapshot() == before


def test_restrict_unrestrict_and_opt_out_set_the_configured_flags(shop: Shop) -> None:
    connector = shop.connector()
    found = connector.find(ADA)
    assert connector.restrict(found).counts() == {"restricted": 1}
    assert shop.rows("customers")[1]["processing_restricted"] in (True, 1)
    assert connector.restrict(found).counts() == {"already restricted": 1}
    assert connector.unrestrict(found).counts() == {"unrestricted": 1}
    assert shop.rows("customers")[1]["processing_restricted"] in (False, 0)
    assert connector.opt_out(found).counts() == {"opted out": 1}
    assert shop.rows("newsletter_subscribers")[1]["subscribed"] in (False, 0)
    assert shop.rows("newsletter_subscribers")[2]["subscribed"] in (True, 1)
    assert connector.capabilities == {
        "test", "find", "export", "erase", "rectify", "restrict", "opt_out", "compare",
    }  # fmt: skip


def test_capabilities_follow_the_dataset(shop: Shop) -> None:
    plain = "tables:\n  newsletter_subscribers:\n    identify: {email: email}\n"
    connector = shop.connector(dataset=plain)
    assert connector.capabilities == {"test", "find", "export", "erase"}
    with pytest.raises(ConnectorError, match="does not say how this system records restrict"):
        connector.restrict(connector.find(ADA))


# --- comparing a requester's details ---------------------------------------------------------------------------


def test_compare_says_per_detail_whether_the_shop_holds_the_same(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    connector = shop.connector()
    given = {"phone": "020 7946 0001", "postal_address": "12 St. James's Sq, London SW1Y 4JH",
             "account_reference": "a-1001", "date_of_birth": "10/12/1815"}  # fmt: skip
    with caplog.at_level(logging.DEBUG):
        verdicts = compare_in(connector, ADA, given)
    assert verdicts == {
        "phone": Comparison("matches", 1),
        "postal_address": Comparison("matches", 4),  # the customer, two orders' and an invoice's addresses
        "account_reference": Comparison("matches", 1),
        "date_of_birth": Comparison("matches", 1),
    }
    assert not any(value in caplog.text for value in (*ADA_DATA, "SW1Y", "1815"))

    # Bob's number and address: compared with Ada's records, never searched for, so his do not "match".
    bob = {
        "phone": "+44 20 7946 0002",
        "postal_address": "1 Dorset Street, London",
        "date_of_birth": "1815-12-11",
    }
    assert compare_in(connector, ADA, bob) == {
        "phone": Comparison("differs", 1),
        "postal_address": Comparison("differs", 4),
        "date_of_birth": Comparison("differs", 1),
    }
    # Cy is a customer with an account and nothing else; nobody has no record at all.
    cy = compare_in(
        connector, Subject(email="cy@example.net"), {"phone": "020 7946 0003", "account_reference": "A-1003"}
    )
    assert cy == {"phone": Comparison("not_held", 0), "account_reference": Comparison("matches", 1)}
    nobody = compare_in(connector, Subject(email="nobody@example.org"), {"phone": "020 7946 0001"})
    assert nobody == {"phone": Comparison("no_record", 0)}


def test_a_dataset_without_details_cannot_compare_and_a_wrong_column_is_named(shop: Shop) -> None:
    plain = "tables:\n  newsletter_subscribers:\n    identify: {email: email}\n"
    assert "compare" not in shop.connector(dataset=plain).capabilities
    wrong = sample.DATASET.replace(
        "details: {postal_address: shipping_address}", "details: {postal_address: [street, zip]}"
    )
    with pytest.raises(DatasetError) as caught:
        shop.connector(dataset=wrong).test()
    assert caught.value.problems == (
        "tables.orders.details: column 'orders.street' is not in the database",
        "tables.orders.details: column 'orders.zip' is not in the database",
    )


# --- permissions and failures --------------------------------------------------------------------------------


def test_a_read_only_account_finds_and_exports_but_may_not_erase_or_rectify(shop: Shop) -> None:
    before = shop.snapshot()
    reader = shop.connector(read_only=True)
    check = reader.test()
    assert not check.can_write and "can only read" in check.message
    found = reader.find(ADA)
    assert by_table(found) == ADA_REFS
    assert reader.export(found).counts()["order_lines"] == 3
    plan = reader.plan_erasure(found)
    with pytest.raises(
        ConnectorError, match=r"cannot change table '\w+': erasure needs write permission"
    ) as caught:
        reader.erase(plan)
    assert not caught.value.transient
    with pytest.raises(ConnectorError, match="correction needs write permission"):
        reader.rectify(found, {"name": "Ada King"})
    with pytest.raises(ConnectorError, match="restriction needs write permission"):
        reader.restrict(found)
    assert shop.snapshot() == before
    assert shop.connector().test().can_write


def test_a_wrong_password_is_a_clear_error_without_the_password(shop: Shop) -> None:
    if shop.kind == "sqlite":
        pytest.skip("SQLite has no accounts")
    password = "Secret-p@ss/word"
    # The suite's PostgreSQL trusts local connections whatever the password: an unknown account is refused.
    user = "nobody_here" if shop.kind == "postgresql" else shop.credentials["username"]
    connector = build(
        "sql", {**shop.settings, "dataset": sample.DATASET}, {"username": user, "password": password}
    )
    with pytest.raises(ConnectorError) as caught:
        connector.test()
    assert caught.value.message.startswith(f"The database refused the password for user '{user}'")
    assert password not in str(caught.value) and not caught.value.transient
    assert caught.value.__context__ is None and caught.value.__cause__ is None


def test_a_server_that_does_not_answer_is_a_transient_error_and_a_missing_file_is_not(
    shop: Shop, tmp_path: Path
) -> None:
    if shop.kind == "sqlite":
        connector = build(
            "sql",
            {"dialect": "sqlite", "database": str(tmp_path / "gone.db"), "dataset": sample.DATASET},
            {},
        )
    else:
        connector = build("sql", {**shop.settings, "port": 9, "dataset": sample.DATASET}, shop.credentials)
    with pytest.raises(ConnectorError, match=r"Could not (reach|open)") as caught:
        connector.find(ADA)
    assert caught.value.transient == (shop.kind != "sqlite")  # a file that is not there stays so: no retry
    assert not (tmp_path / "gone.db").exists()  # a wrong path never makes a new, empty database


def test_a_dataset_naming_what_the_database_lacks_is_refused_by_name(shop: Shop) -> None:
    wrong = sample.DATASET.replace("      phone: phone\n", "      phone: mobile\n").replace(
        "  order_lines:\n", "  order_items:\n"
    )
    with pytest.raises(DatasetError) as caught:
        shop.connector(dataset=wrong).test()
    assert (
        "tables.customers.identify: column 'customers.mobile' is not in the database" in caught.value.problems
    )
    assert "table 'order_items' is not in the database" in caught.value.problems
    # order_lines refers to orders and is not described: its rows would be missed.
    without_lines = sample.DATASET.replace("  order_lines:\n    erase: delete\n", "")
    with pytest.raises(DatasetError) as caught:
        shop.connector(dataset=without_lines).find(ADA)
    assert caught.value.problems == (
        "table 'order_lines' refers to 'orders' (order_id) but is not described: describe it (erase: delete, "
        "anonymise, or keep with a ground) so its rows are found and erased",
    )


def test_a_rule_the_schema_makes_impossible_is_refused(shop: Shop) -> None:
    wrong = sample.DATASET.replace("      name: mask\n", "      name: null\n").replace(
        "      birth_date: null\n", "      birth_date: mask\n"
    )
    with pytest.raises(DatasetError) as caught:
        shop.connector(dataset=wrong).find(ADA)
    assert caught.value.problems == (
        "tables.customers.columns.name: the column is NOT NULL in the database; use mask",
        "tables.customers.columns.birth_date: mask works on text columns only (date); use null",
    )


def test_no_personal_data_in_errors_or_log_records(shop: Shop, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    messages = []
    connector = shop.connector()
    found = connector.find(ADA)
    connector.export(found)
    plan = connector.plan_erasure(found)
    for attempt in (
        lambda: shop.connector(read_only=True).erase(plan),
        lambda: connector.rectify(found, {"customers.created_at": "Ada Lovelace"}),
        lambda: connector.rectify(found, {"birth_date": "Ada Lovelace"}),
        lambda: connector.rectify(found, {"phone": "Ada Lovelace, 12 St James's Square " * 3}),
    ):
        with pytest.raises(ConnectorError) as caught:
            attempt()
        messages.append(str(caught.value))
    with shop.engine.begin() as conn:  # a unique violation: the database's message names the value
        conn.execute(shop.meta.tables["customers"].update().where(shop.meta.tables["customers"].c.id == 2).values(
            email="taken@example.org"))  # fmt: skip
    with pytest.raises(ConnectorError, match="already used by another record") as caught:
        connector.rectify(found, {"customers.email": "taken@example.org"})
    messages.append(str(caught.value))
    connector.erase(plan)
    logged = [record.getMessage() for record in caplog.records]
    assert logged, "the connector logs what it did (counts)"
    for text in messages + logged:
        assert not any(value.lower() in text.lower() for value in (*ADA_DATA, "taken@example")), text


def test_build_refuses_an_unknown_kind() -> None:
    with pytest.raises(ConnectorError, match="Unknown connector kind 'hubspot' \\(known: sql, zoho\\)"):
        build("hubspot", {}, {})


def test_decimal_keys_and_values_survive_the_round_trip(shop: Shop) -> None:
    connector = shop.connector()
    export = connector.export(connector.find(ADA))
    assert Decimal(str(export.rows["orders"][0]["total"])) == Decimal("49.90")
    assert Found.from_json(json.loads(json.dumps(connector.find(ADA).to_json()))) == connector.find(ADA)


def test_the_url_carries_a_password_with_at_and_slash(shop: Shop) -> None:
    if shop.kind == "sqlite":
        pytest.skip("SQLite has no accounts")
    reader = shop.connector(read_only=True)
    assert "@" in shop.read_only_credentials["password"] and "/" in shop.read_only_credentials["password"]
    assert reader.test().message.startswith("Connected to")


def test_the_database_is_reached_only_through_bound_parameters(shop: Shop) -> None:
    statements: list[str] = []
    connector = shop.connector()
    sa.event.listen(connector.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    connector.find(Subject(email="x'); DROP TABLE customers; --@example.org", account_ids=("1' OR '1'='1",)))
    assert statements and not any("DROP" in s or "OR '1'" in s for s in statements)
    assert shop.rows("customers")


def test_rows_keyed_by_two_columns_are_found_exported_and_erased(shop: Shop) -> None:
    tags = sa.Table(
        "customer_tags", shop.meta,
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id"), primary_key=True, autoincrement=False),
        sa.Column("tag", sa.String(20), primary_key=True),
    )  # fmt: skip
    with shop.engine.begin() as conn:
        tags.create(conn)
        conn.execute(tags.insert(), [{"customer_id": 1, "tag": "vip"}, {"customer_id": 1, "tag": "late"},
                                     {"customer_id": 2, "tag": "vip"}])  # fmt: skip
    connector = shop.connector(dataset=sample.DATASET + "  customer_tags:\n    erase: delete\n")
    found = connector.find(ADA)
    assert by_table(found)["customer_tags"] == [(1, "late"), (1, "vip")]
    assert connector.export(found).rows["customer_tags"] == [
        {"customer_id": 1, "tag": "late"}, {"customer_id": 1, "tag": "vip"},
    ]  # fmt: skip
    assert connector.erase(connector.plan_erasure(found)).counts()["deleted"] == 6
    with shop.engine.connect() as conn:
        assert conn.execute(sa.select(tags.c.customer_id, tags.c.tag)).all() == [(2, "vip")]


def test_the_connection_test_asks_no_write_permission_for_kept_tables(shop: Shop) -> None:
    if shop.kind == "sqlite":
        pytest.skip("SQLite grants per file, not per table")
    # The read-only account may change everything but the invoices, which erasure keeps.
    user = shop.read_only_credentials["username"]
    target = f"'{user}'@'{shop.settings['host']}'" if shop.kind == "mariadb" else f'"{user}"'
    tables = [
        f"`{shop.settings['database']}`.{name}" if shop.kind == "mariadb" else name
        for name in shop.meta.tables
        if name != "invoices"
    ]
    with shop.engine.connect() as conn:
        for table in tables:
            conn.exec_driver_sql(f"GRANT UPDATE, DELETE ON {table} TO {target}")
    try:
        check = shop.connector(read_only=True).test()
    finally:  # MariaDB keeps a table's grants after the table is dropped: the next test's reader stays read-only
        with shop.engine.connect() as conn:
            for table in tables:
                conn.exec_driver_sql(f"REVOKE UPDATE, DELETE ON {table} FROM {target}")
    assert check.can_write and check.message.endswith("Erasure and correction can run.")
    assert not shop.connector(read_only=True).test().can_write
