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


@pytest.fixture(autouse=True)
def _isolated_side_effects(settings: Any) -> Any:
    """Tasks run in-process unless a test starts a real worker; rate-limit counters start at zero."""
    from django.core.cache import cache
    from django.utils import translation

    from privacyportal.celery import app

    cache.clear()
    translation.activate("en")  # a Russian page in an earlier test must not leak into this one
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = False
