"""The test run's clock: `pytest --clock-offset-days=N` runs the whole suite N days in the future.

A test that passes today and fails next month depends on the real date: this pass finds it before the calendar
does (CI runs the suite a second time 400 days ahead). Only this process's clock moves; a test that talks to
another process keeping the machine's clock (a real Celery worker, a browser) is marked `real_clock` and skipped
in that pass.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

offset_days = 0
_traveller: Any = None


def start(days: int) -> None:
    """Move this process's clock `days` ahead and let it tick from there."""
    global offset_days, _traveller
    offset_days = days
    if days:
        _traveller = time_machine.travel(datetime.now(UTC) + timedelta(days=days), tick=True)
        _traveller.start()


def stop() -> None:
    global offset_days, _traveller
    if _traveller is not None:
        _traveller.stop()
    offset_days, _traveller = 0, None


def require_real_clock(what: str) -> None:
    """Fail loudly when a test forgot its `real_clock` mark, instead of mixing two clocks."""
    assert not offset_days, f"{what} keeps the machine's real clock: mark the test `@pytest.mark.real_clock`"
