"""A parent's request about a child under 16 (issue 19): the operator's policy says it never knowingly holds a
child's data, so the DPO is told at once and the child's data is erased once the parent's authority is checked."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from requests import services
from requests.lifecycle import Status
from requests.models import PrivacyRequest
from tests.factories import make_case

pytestmark = pytest.mark.django_db

PARENT = {"relationship": "parent", "subject_name": "Tom Lovelace", "requester_email": "ada@example.org"}


def test_a_parents_access_request_opens_the_erasure_of_the_childs_data_and_alerts_the_dpo(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PRIVACY_DPO_EMAIL = "dpo@example.com"
    access = make_case(kind="access", **PARENT)
    assert PrivacyRequest.objects.count() == 1  # nothing happens before the parent proves the address
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(access)
    erasure = PrivacyRequest.objects.exclude(pk=access.pk).get()
    assert (erasure.kind, erasure.relationship, erasure.subject_name) == ("erasure", "parent", "Tom Lovelace")
    # Waiting for staff to check the parent's authority, with the address the parent proved.
    assert erasure.status == Status.VERIFYING and erasure.email_verified_at is not None
    assert access.reference in erasure.details
    (alert,) = [m for m in mail.outbox if m.to == ["dpo@example.com"]]
    assert erasure.reference in alert.subject and "children under 16" in alert.body
    assert "Tom" not in alert.body  # the child's name stays on the case page
    # The parent is not asked for a second code for the erasure we opened.
    assert not [m for m in mail.outbox if m.to == ["ada@example.org"] and erasure.reference in m.subject]
    assert access.events.filter(verb="child_data_reported", data__erasure=erasure.reference).exists()


def test_a_parents_erasure_request_is_the_erasure(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PRIVACY_DPO_EMAIL = "dpo@example.com"
    erasure = make_case(kind="erasure", **PARENT)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_email(erasure)
    assert PrivacyRequest.objects.count() == 1
    (alert,) = [m for m in mail.outbox if m.to == ["dpo@example.com"]]
    assert erasure.reference in alert.subject


def test_a_parents_erasure_waits_for_staff_to_check_the_parents_authority() -> None:
    erasure = services.confirm_email(make_case(kind="erasure", **PARENT))
    assert erasure.status == Status.VERIFYING and erasure.identity_verified_at is None


def test_a_parents_letter_logged_by_staff_alerts_the_dpo_too(
    settings: Any, dpo: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PRIVACY_DPO_EMAIL = "dpo@example.com"
    with django_capture_on_commit_callbacks(execute=True):
        letter = services.submit(
            services.NewRequest(
                kind="access",
                requester_name="Ada Lovelace",
                country="GB",
                channel="post",
                relationship="parent",
                subject_name="Tom Lovelace",
                requester_email="ada@example.org",
            ),
            by=dpo,
        )
    erasure = PrivacyRequest.objects.exclude(pk=letter.pk).get()
    assert erasure.kind == "erasure" and erasure.status == Status.VERIFYING
    assert [m for m in mail.outbox if m.to == ["dpo@example.com"] and erasure.reference in m.subject]


def test_a_teenagers_own_request_is_theirs(client: Any) -> None:
    assert services.confirm_email(make_case(kind="rectification")).relationship == "self"
    home = client.get("/").content.decode()
    assert "A child aged 13 or over may also ask about themselves" in home
