"""Staff sign-in takes the same time whatever was wrong (the penetration test's finding 4: 1.43 s for staff with
no device against 0.70 s for the rest). Budget: the median of each kind of failed sign-in within 10% of the
fastest, with Django's production password hasher (PBKDF2), through the whole admin login view.

Needs PostgreSQL (BENCH_POSTGRES); the database `privacyportal_bench_signin` is created and dropped here.

    .venv/bin/python bench/bench_sign_in.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

# The project root, so that `bench.common` (and Django's apps) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Row, django_environment, drop_database, finish, recreate_database

DATABASE = "privacyportal_bench_signin"
PASSWORD = "bench password 123"  # noqa: S105 (a throwaway user in a throwaway database)
REPEAT = 25
SPREAD = 0.10
LOGIN = "/admin/login/?next=/admin/"


def main() -> None:
    recreate_database(DATABASE)
    # Lockout and rate limit out of the way: the same failure is repeated on purpose.
    django_environment(DATABASE, AXES_FAILURE_LIMIT="100000", RATELIMIT_STAFF_LOGIN="100000/h")
    try:
        rows = measure()
    finally:
        from django.db import connections

        connections.close_all()
        drop_database(DATABASE)
    finish(rows)


def measure() -> list[Row]:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    from django_otp.plugins.otp_totp.models import TOTPDevice

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    users = get_user_model().objects
    with_device = users.create_user("veteran", password=PASSWORD, is_staff=True)
    TOTPDevice.objects.create(user=with_device, name="phone", confirmed=True)
    users.create_user("newcomer", password=PASSWORD, is_staff=True)
    attempts = {
        "unknown username": {"username": "nobody", "password": PASSWORD},
        "staff with no device, right password": {"username": "newcomer", "password": PASSWORD},
        "staff with no device, wrong password": {"username": "newcomer", "password": "wrong"},
        "staff with a device, right password, wrong code": {"username": "veteran", "password": PASSWORD},
        "staff with a device, wrong password": {"username": "veteran", "password": "wrong"},
    }
    client = Client()
    times: dict[str, list[float]] = {name: [] for name in attempts}
    # Interleaved, so that whatever else the machine does falls on every kind alike; the first round warms up.
    for repeat in range(REPEAT + 1):
        for name, data in attempts.items():
            began = time.perf_counter()
            response = client.post(LOGIN, {**data, "otp_token": "000000"})
            elapsed = time.perf_counter() - began
            assert response.status_code == 200, (name, response.status_code)
            if repeat:
                times[name].append(elapsed)
        TOTPDevice.objects.update(throttling_failure_count=0, throttling_failure_timestamp=None)
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    fastest = min(medians.values())
    return [
        Row(
            benchmark="bench_sign_in.py",
            measure=f"failed staff sign-in: {name} (p50)",
            budget=f"within {SPREAD:.0%} of the fastest ({fastest:.0f} ms)",
            measured=f"{ms:.0f} ms (+{(ms / fastest - 1):.1%})",
            ok=ms <= fastest * (1 + SPREAD),
        )
        for name, ms in medians.items()
    ]


if __name__ == "__main__":
    main()
