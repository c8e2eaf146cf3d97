"""The dataset description read on its own (what the admin checks on save), and the results' JSON."""

from __future__ import annotations

import json

import pytest

from requests.connectors import (
    DatasetError,
    ErasurePlan,
    Export,
    Outcome,
    RecordRef,
    Result,
    Step,
    parse_dataset,
    sample,
)
from requests.connectors.sql import email_spellings, phone_digits


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(DatasetError) as caught:
        parse_dataset(text)
    return caught.value.problems


def test_the_sample_parses_from_yaml_and_from_json_alike() -> None:
    dataset = parse_dataset(sample.DATASET)
    assert list(dataset.tables) == [
        "customers", "orders", "order_lines", "invoices", "newsletter_subscribers", "support_tickets",
    ]  # fmt: skip
    customers = dataset.tables["customers"]
    assert customers.identify == {"email": ("email",), "phone": ("phone",), "account_id": ("account_no",)}
    assert customers.columns is not None and customers.columns["phone"].strategy == "null"  # YAML's bare null
    assert dataset.tables["orders"].columns["total"].ground == sample.TAX_GROUND  # type: ignore[index]
    assert dataset.tables["support_tickets"].parents[0].parent == "customers"  # type: ignore[index]
    assert dataset.tables["orders"].parents is None  # followed from the database's foreign keys
    again = parse_dataset(json.dumps(dataset.to_json()))
    assert again.digest() == dataset.digest()


def test_each_problem_names_its_table_and_field() -> None:
    text = """
tables:
  customers:
    identify: {email: email, fax: fax_no}
    erase: shred
    colums: {name: mask}
  orders:
    parent: clients via client_id
    erase: keep
    columns: {total: keep, note: blank}
  tickets:
    parent: customers by customer_id
    restrict: {column: restricted, value: "yes"}
"""
    assert problems(text) == (
        "tables.customers: unknown field 'colums' (known: primary_key, identify, parent, erase, ground, columns, "
        "rectify, restrict, opt_out, details)",
        "tables.customers.erase: 'shred' is not one of delete, anonymise, keep",
        "tables.customers.identify: 'fax' is not one of email, phone, account_id",
        "tables.orders: 'erase: keep' needs a 'ground' (the legal reason the rows are kept)",
        'tables.orders.columns.total: keep needs a legal ground: total: {keep: "the ground"}',
        'tables.orders.columns.note: expected null, mask or {keep: "the ground"}',
        "tables.tickets.parent: expected 'TABLE via COLUMN' (e.g. 'customers via customer_id')",
        "tables.tickets.restrict: 'undo' is needed to lift it (the value the column goes back to)",
        "tables.orders.parent: table 'clients' is not described",
    )


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("tables: [customers]", "the description needs a 'tables:' section naming at least one table"),
        ("tables:\n  customers: {erase: delete}\n", "no table has 'identify': nothing would ever be found"),
        ("tables:\n  customers: {identify: {email: email}\n", "not valid YAML (line 3, column 1)"),
        ('{"tables": {"customers": }}', "not valid JSON (line 1, column 26): Expecting value"),
    ],
)
def test_a_malformed_description_says_where(text: str, problem: str) -> None:
    assert problems(text) == (problem,)


def test_spellings_reach_every_way_an_address_may_be_stored() -> None:
    spellings = email_spellings("  Zoé@Bücher.DE ")
    assert {"zoé@xn--bcher-kva.de", "zoé@bücher.de", "zoé@bücher.de.", '"zoé"@bücher.de'} <= spellings
    assert "zoe\u0301@bu\u0308cher.de" in spellings  # the accents as combining marks (NFD)
    assert phone_digits(" +44 (20) 7946-0001") == phone_digits("0044 20 7946 0001") == "+442079460001"


def test_results_and_plans_round_trip_through_json() -> None:
    ref = RecordRef("customers", (1,))
    plan = ErasurePlan(
        "abc", (Step(ref, "anonymise", nulled=("phone",), masked=("name",), kept=(("total", "tax"),)),)
    )
    assert ErasurePlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan
    result = Result(
        "erase",
        (Outcome(ref, "anonymised", "emptied phone"), Outcome(RecordRef("invoices", (9,)), "kept", "tax")),
    )
    assert Result.from_json(json.loads(json.dumps(result.to_json()))) == result
    assert result.summary() == "customers: anonymised 1; invoices: kept 1 (ground: tax)"
    assert plan.summary() == "customers: anonymise 1"
    export = Export({"t": ("id", "note")}, {"t": [{"id": 1, "note": "a,b"}]})
    assert Export.from_json(json.loads(json.dumps(export.to_json()))) == export
    assert export.as_csv("t") == 'id,note\r\n1,"a,b"\r\n'
