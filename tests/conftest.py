from __future__ import annotations

from typing import Any

import pytest

from tests.factories import StaffFactory


@pytest.fixture
def dpo(db: Any) -> Any:
    return StaffFactory(username="dpo", first_name="Dana")


@pytest.fixture
def handler(db: Any) -> Any:
    return StaffFactory(username="handler", first_name="Hal")


@pytest.fixture
def other_handler(db: Any) -> Any:
    return StaffFactory(username="other_handler")


@pytest.fixture
def auditor(db: Any) -> Any:
    return StaffFactory(username="auditor")


@pytest.fixture
def data_subject() -> dict[str, str]:
    """The person asking: data subjects have no account, only the details they submit."""
    return {"requester_name": "Зоя Космодемьянская", "requester_email": "zoya@example.ru", "country": "GB"}
