"""Comparing a requester's details with what a system holds (requests/connectors/compare.py): the pure rules per
detail, the verdicts, and the `details:` map as a DPO writes it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from requests.connectors import DatasetError, Export, parse_dataset, sample
from requests.connectors.compare import (
    Comparison,
    account_matches,
    address,
    address_matches,
    compare,
    date_matches,
    nothing_found,
    parse_date,
    parse_details,
    phone_digits,
    phone_matches,
)

# --- phone ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "held",
    ["+44 20 7946 0001", "020 7946 0001", "0044 20 7946 0001", "+44 (0)20 7946 0001", "(020) 7946-0001",
     "442079460001", "+44.20.7946.0001"],
)  # fmt: skip
def test_a_phone_matches_in_national_and_international_form(held: str) -> None:
    assert phone_matches("020 7946 0001", held)
    assert phone_matches("+44 20 7946 0001", held)


@pytest.mark.parametrize(
    ("given", "held"),
    [
        ("020 7946 0001", "020 7946 0002"),  # another number
        ("+44 20 7946 0001", "+1 20 7946 0001"),  # another country
        ("+44 20 7946 0001", "+44 20 7946 00011"),  # one digit more at the end
        ("946 001", "946 001"),  # too short to say anything
        ("", "020 7946 0001"),
    ],
)
def test_a_phone_differs(given: str, held: str) -> None:
    assert not phone_matches(given, held)


def test_phone_digits_drop_the_prefixes_but_keep_the_country_code() -> None:
    assert phone_digits("+44 (0)20 7946 0001") == "442079460001"
    assert phone_digits("0044 20 7946 0001") == "442079460001"
    assert phone_digits("020 7946 0001") == "2079460001"
    assert phone_digits("+39 06 1234 5678") == "390612345678"  # Italy keeps its 0 after the country code
    assert phone_matches("06 1234 5678", "+39 06 1234 5678")


# --- postal address ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "held"),
    [
        ("12 St James's Square, London", "12 St James's Square, London"),
        ("12 st. james's sq, LONDON", "12 St James's Square, London"),  # case, punctuation, short forms
        ("12 St James's Square, London SW1Y 4JH", "12 St James's Square, London"),  # a postcode more
        ("12 St James's Square\nLondon", "12 St James's Square London"),  # lines or one line
        ("Flat 3, 12 High Street, London AB1 2CD", "flat 3 12 high st, london, ab12cd"),
        ("12 High Street, Oldtown, AB1 2CD", "12 High St, Newtown AB1 2CD"),  # postcode and house number
        (
            "Rose Cottage, Mill Lane, AB1 2CD",
            "Rose Cottage, Mill Ln, Elsewhere, AB1 2CD",
        ),  # no number: first line
        (
            "Hauptstraße 5, 10115 Berlin",
            "Hauptstrasse 5, 10115 Berlin-Mitte",
        ),  # accents and ß; a numeric postcode
        ("123 Main St, Springfield, IL 62704", "123 Main Street, Springfield IL 62704-1234"),  # ZIP+4
    ],
)
def test_an_address_matches(given: str, held: str) -> None:
    assert address_matches(given, held)


@pytest.mark.parametrize(
    ("given", "held"),
    [
        ("12 High Street, London AB1 2CD", "14 High Street, London AB1 2CD"),  # another house
        ("12 High Street, London AB1 2CD", "12 High Street, London AB9 9ZZ"),  # another postcode
        ("Flat 3, 12 High Street", "Flat 4, 12 High Street"),  # another flat, no postcode
        ("Flat 3, 12 High Street", "Flat 3, 99 Low Road"),
        ("1 Dorset Street, London", "12 St James's Square, London"),
        ("", "12 St James's Square, London"),
    ],
)
def test_an_address_differs(given: str, held: str) -> None:
    assert not address_matches(given, held)


def test_an_address_is_read_into_its_first_line_postcode_and_numbers() -> None:
    read = address("Flat 3, 12 St. James's Sq.\nLondon SW1Y 4JH")
    assert (read.first_line, read.postcode, read.numbers) == ("flat 3", "sw1y4jh", ("3", "12"))
    assert address("123 Main St, Springfield, IL 62704").postcode == "62704"
    assert address("12345 Long Road").postcode == ""  # a house number, not a postcode


# --- account reference and date of birth ---------------------------------------------------------------------


def test_an_account_reference_is_equal_without_spaces_or_case() -> None:
    assert account_matches(" a-1001 ", "A-1001")
    assert account_matches("AB 12 34", "ab1234")
    assert not account_matches("A-1001", "A1001")  # only spaces are ignored
    assert not account_matches("", "")


@pytest.mark.parametrize(
    "written",
    ["1815-12-10", "1815-12-10T00:00:00", "10/12/1815", "10.12.1815", "10-12-1815", "10 December 1815",
     "10th Dec 1815", "December 10, 1815", "Dec. 10 1815", "10 декабря 1815 г."],
)  # fmt: skip
def test_a_date_of_birth_is_read_in_its_common_forms(written: str) -> None:
    assert parse_date(written) is not None and parse_date(written).isoformat() == "1815-12-10"  # type: ignore[union-attr]
    assert date_matches(written, "1815-12-10")


def test_a_numeric_date_is_read_day_first_unless_it_cannot_be() -> None:
    assert parse_date("03/04/1990").isoformat() == "1990-04-03"  # type: ignore[union-attr]
    assert parse_date("12/25/1990").isoformat() == "1990-12-25"  # type: ignore[union-attr]
    assert not date_matches("03/04/1990", "1990-03-04")  # the US reading is not tried
    assert parse_date("10/12/15") is None  # two-digit years are not read
    assert parse_date("31/02/1990") is None


def test_a_date_not_read_as_one_is_compared_as_text() -> None:
    assert date_matches("Spring 1990", "spring  1990")
    assert not date_matches("Spring 1990", "1990-03-01")


# --- verdicts ------------------------------------------------------------------------------------------------

FIELDS: Any = {
    "customers": {"phone": (("phone",), ("mobile",)), "postal_address": (("street", "postcode"),),
                  "date_of_birth": (("born",),)},
    "orders": {"postal_address": (("shipping_address",),)},
}  # fmt: skip


def export(**rows: list[dict[str, Any]]) -> Export:
    return Export({t: tuple(r[0]) if r else () for t, r in rows.items()}, rows)


def test_verdicts_per_detail_with_the_records_that_held_one() -> None:
    held = export(
        customers=[{"phone": "+44 20 7946 0001", "mobile": None, "street": "12 High St", "postcode": "AB1 2CD",
                    "born": None}],
        orders=[{"shipping_address": "99 Low Road, AB9 9ZZ"}, {"shipping_address": None}],
        newsletter=[{"email": "ada@example.org"}],
    )  # fmt: skip
    given = {"phone": "020 7946 0001", "postal_address": "12 High Street, London AB1 2CD",
             "account_reference": "A-1001", "date_of_birth": "1990-03-01"}  # fmt: skip
    assert compare(given, held, FIELDS) == {
        "phone": Comparison("matches", 1),
        "postal_address": Comparison("matches", 2),  # the customer's address; an order went elsewhere
        "account_reference": Comparison("not_held", 0),  # no field holds one
        "date_of_birth": Comparison("not_held", 0),  # the field is there, empty in every record
    }


def test_a_detail_no_record_holds_alike_differs() -> None:
    held = export(customers=[{"phone": "020 7946 0002", "mobile": "07700 900123", "street": None,
                              "postcode": None, "born": "1815-12-10"}])  # fmt: skip
    given = {"phone": "020 7946 0001", "date_of_birth": "11/12/1815"}
    assert compare(given, held, FIELDS) == {
        "phone": Comparison("differs", 1),
        "date_of_birth": Comparison("differs", 1),
    }


def test_only_the_details_given_are_compared_and_nothing_found_is_said_so() -> None:
    given = {"phone": "  ", "postal_address": "12 High Street"}
    assert compare(given, export(), FIELDS) == {"postal_address": Comparison("not_held", 0)}
    assert nothing_found(given) == {"postal_address": Comparison("no_record", 0)}
    assert Comparison("matches", 2).to_json() == {"verdict": "matches", "records": 2}


# --- the map of fields ---------------------------------------------------------------------------------------


def test_a_details_map_reads_fields_lists_and_addresses_in_parts() -> None:
    problems: list[str] = []
    parsed = parse_details(
        {"phone": ["phone", "mobile"], "postal_address": ["street", "city", "postcode"],
         "account_reference": "account_no", "date_of_birth": []},
        "tables.customers.details", problems,
    )  # fmt: skip
    assert problems == []
    assert parsed == {
        "phone": (("phone",), ("mobile",)),  # two numbers
        "postal_address": (("street", "city", "postcode"),),  # one address in three fields
        "account_reference": (("account_no",),),
        "date_of_birth": (),  # read nothing
    }
    several = parse_details(
        {"postal_address": [["street", "postcode"], "billing_address"], "phone": [["country_code", "number"]]},
        "x", problems,
    )  # fmt: skip
    assert several == {
        "postal_address": (("street", "postcode"), ("billing_address",)),  # two addresses
        "phone": (("country_code", "number"),),  # one number in two fields
    }
    assert problems == []


def test_a_wrong_details_map_is_refused_naming_each_problem() -> None:
    text = sample.DATASET.replace(
        "      account_reference: account_no\n      date_of_birth: birth_date\n",
        "      account_reference: [account_no, 5]\n      date_of_birth: {column: birth_date}\n      fax: fax_no\n",
    )
    with pytest.raises(DatasetError) as caught:
        parse_dataset(text)
    assert caught.value.problems == (
        "tables.customers.details.account_reference: expected a field name or a list of them "
        "(account_reference: account_no)",
        "tables.customers.details.date_of_birth: expected a field name or a list of them (date_of_birth: birth_date)",
        "tables.customers.details: 'fax' is not one of phone, postal_address, account_reference, date_of_birth",
    )
    with pytest.raises(DatasetError, match=r"tables\.orders\.details: expected details and their fields"):
        parse_dataset(sample.DATASET.replace("details: {postal_address: shipping_address}", "details: [x]"))


def test_the_sample_maps_its_columns_and_mapping_them_does_not_void_an_erasure_plan() -> None:
    dataset = parse_dataset(sample.DATASET)
    assert dataset.detail_fields() == {
        "customers": {"phone": (("phone",),), "postal_address": (("address",),),
                      "account_reference": (("account_no",),), "date_of_birth": (("birth_date",),)},
        "orders": {"postal_address": (("shipping_address",),)},
        "invoices": {"postal_address": (("billing_address",),)},
    }  # fmt: skip
    without = sample.DATASET.replace("    details: {postal_address: billing_address}\n", "")
    assert parse_dataset(without).digest() == dataset.digest()
    assert parse_dataset(json.dumps(dataset.to_json())).detail_fields() == dataset.detail_fields()
