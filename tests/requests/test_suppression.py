"""The suppression list (issue 18): an opt-out puts the address on it for good, as a keyed hash; marketing tools
ask the staff API whether an address may be contacted."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.test import Client

from requests import services
from requests.models import SuppressedAddress
from requests.roles import ensure_roles
from requests.services import suppression
from tests.factories import make_case
from tests.requests.test_api import api, post

CHECK = "/api/v1/suppression/check/"


@pytest.fixture(autouse=True)
def _roles(db: Any) -> None:
    ensure_roles()


def test_an_opt_out_puts_the_address_on_the_list_as_a_hash_that_names_nobody(caplog: Any) -> None:
    with caplog.at_level(logging.DEBUG):
        case = make_case(kind="opt_out", requester_email="Sam.Carter@Example.com")
    (entry,) = SuppressedAddress.objects.all()
    assert entry.privacy_request == case and entry.kind == "opt_out"
    assert "sam" not in entry.digest.lower() and len(entry.digest) == 64
    assert suppression.is_suppressed(" sam.carter@example.COM ")  # matched on the normalised address
    assert not suppression.is_suppressed("sam.carter@example.co")
    assert case.events.filter(verb="suppressed").exists()
    assert "sam" not in json.dumps(list(case.events.values_list("data", flat=True))).lower()
    assert "sam.carter" not in caplog.text.lower()
    # A second opt-out of the same person adds nothing.
    make_case(kind="opt_out", requester_email="sam.carter@example.com")
    assert SuppressedAddress.objects.count() == 1


def test_a_marketing_objection_suppresses_and_an_access_request_does_not() -> None:
    make_case(kind="objection", marketing_only=True, requester_email="mo@example.org")
    make_case(kind="access", requester_email="acc@example.org")
    assert suppression.is_suppressed("mo@example.org") and not suppression.is_suppressed("acc@example.org")


def test_the_entry_outlives_the_case_and_a_key_rotation(settings: Any) -> None:
    case = make_case(kind="opt_out", requester_email="gone@example.org")
    SuppressedAddress.objects.filter(privacy_request=case).update(privacy_request=None)  # as after deletion
    settings.AUDIT_KEYS = ["a-newer-key-for-the-audit-trail-and-list-0001", *settings.AUDIT_KEYS]
    assert suppression.is_suppressed("gone@example.org")  # found under the older key


def test_marketing_tools_check_an_address_through_the_staff_api(dpo: Any, handler: Any) -> None:
    make_case(kind="opt_out", requester_email="sam@example.com")
    client = api(handler, "Handler")
    assert post(client, CHECK, {"email": "SAM@example.com"}).json() == {"suppressed": True}
    assert post(client, CHECK, {"email": "ada@example.org"}).json() == {"suppressed": False}
    bad = post(client, CHECK, {"email": "not an address"})
    assert bad.status_code == 400 and "email" in bad.json()["errors"]
    assert Client().post(
        CHECK, json.dumps({"email": "sam@example.com"}), content_type="application/json"
    ).status_code in (
        401,
        403,
    )
    assert services.suppression.SUPPRESSING  # opt-outs and marketing objections
