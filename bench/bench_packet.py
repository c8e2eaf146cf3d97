"""Budget (DESIGN §12): a subject with 10,000 rows across 5 systems; the packet builds in < 30 s with
peak memory < 400 MB.

Runs the real builder (`requests.packets.build`, what the pdf worker runs) against a fresh database:
SQLite in a temporary directory unless BENCH_PACKET_DATABASE_URL is set. Prints the wall time and the process's peak
resident memory (which includes Django and WeasyPrint themselves, as a worker's would).

    make bench            # all benchmarks
    .venv/bin/python bench/bench_packet.py
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

# The project root, so that `bench.common` (and Django's apps) import when this file runs as a script.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Row, finish

ROWS = 10_000
SYSTEMS = 5
BUDGET_SECONDS = 30.0
BUDGET_MB = 400.0

work = Path(tempfile.mkdtemp(prefix="bench-packet-"))
# Never DATABASE_URL itself: where the suite runs, that names the test database.
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_PACKET_DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}"
)
# No REDIS_URL: the embedded broker under VAR_DIR, never the Redis database of the suite or a developer.
os.environ.update(
    DEBUG="true", PRIVATE_ROOT=str(work / "private"), VAR_DIR=str(work), LOG_LEVEL="WARNING", REDIS_URL=""
)
os.environ["DJANGO_SETTINGS_MODULE"] = "privacyportal.settings"


def main() -> None:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from identity.services import add_extract
    from privacyportal.uploads import CheckedFile
    from requests import packets, services
    from requests.models import CompanySystem, Packet

    staff = get_user_model().objects.create_user("bench", is_staff=True)
    case = services.submit(
        services.NewRequest(kind="access", requester_name="Ada Lovelace", requester_email="ada@example.org",
                            country="GB", data_points={"phone": "1", "postal_address": "2"})
    )  # fmt: skip
    case = services.confirm_email(case)
    if case.identity_verified_at is None:  # UK GDPR opens the case on the confirmed email alone
        services.verify(case, by=staff, data_points=["phone", "postal_address"])
    services.assign(case, to=staff, by=staff)
    per_system = ROWS // SYSTEMS
    for n in range(SYSTEMS):
        system = CompanySystem.objects.create(name=f"System {n + 1}")
        services.record_system_check(case, by=staff, system=system, state="exported")
        lines = ["id,date,event,detail,amount"] + [
            f"{n}-{i},2026-0{1 + i % 9}-1{i % 10},event {i % 17},note about record {i} for Ada Lovelace,{i % 100}.50"
            for i in range(per_system)
        ]
        data = ("\n".join(lines) + "\n").encode()
        add_extract(case, CheckedFile(f"system-{n + 1}.csv", "text/csv", data), system=system, by=staff)
    packet = Packet.objects.create(privacy_request=case)

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    assert packets.build(case.pk, packet.build)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    packet.refresh_from_db()
    ok = seconds < BUDGET_SECONDS and peak < BUDGET_MB
    finish(
        [
            Row(
                benchmark="bench_packet.py",
                measure=f"the real packet builder: a subject with {ROWS:,} rows across {SYSTEMS} systems "
                f"({'SQLite' if os.environ['DATABASE_URL'].startswith('sqlite') else 'BENCH_PACKET_DATABASE_URL'})",
                budget=f"< {BUDGET_SECONDS:.0f} s, < {BUDGET_MB:.0f} MB peak",
                measured=f"{seconds:.1f} s; peak RSS {peak:.0f} MB for the whole process ({before:.0f} MB before "
                f"the build); {len(packet.files)} files, {packet.size / 1e6:.1f} MB ZIP",
                ok=ok,
            )
        ]
    )


if __name__ == "__main__":
    main()
