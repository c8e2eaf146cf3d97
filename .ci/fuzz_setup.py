"""Data for `.ci/fuzz`: a DPO with a personal API token, company systems and cases in many states.

Run with the project's own Python against the throwaway database the fuzz server uses (never a real one):
    .venv/bin/python .ci/fuzz_setup.py > fixture.json
It prints one JSON object: the token, the DPO's id, the active system's id and the case references by state.
`createdb URL` / `dropdb URL` make and remove a throwaway PostgreSQL database (when DATABASE_URL is PostgreSQL).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # our `requests` app, never the PyPI library


def _postgres(url: str, sql: str) -> None:
    """Run one statement on the server's maintenance database (CREATE/DROP DATABASE cannot run in a transaction)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg2

    parts = urlsplit(url)
    connection = psycopg2.connect(urlunsplit(parts._replace(path="/postgres")))
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


def _database_name(url: str) -> str:
    from urllib.parse import urlsplit

    name = urlsplit(url).path.lstrip("/")
    if not name.replace("_", "").isalnum() or "fuzz" not in name:
        raise SystemExit(f"refusing to touch database {name!r}: not a throwaway fuzz database")
    return name


def create_fixture() -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
    django.setup()

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from identity.tokens import create_token
    from requests import packets, services
    from requests.models import CompanySystem, PacketStatus, PrivacyRequest
    from requests.roles import ensure_roles

    ensure_roles()
    dpo = get_user_model().objects.create_user("fuzz-dpo", "fuzz-dpo@example.com", None, is_staff=True)
    dpo.groups.add(Group.objects.get(name="DPO"))
    _token, plaintext = create_token(dpo, name="schemathesis", days=30)
    system = CompanySystem.objects.create(name="CRM", description="Contacts and deals", owner=dpo)
    CompanySystem.objects.create(name="Old mailbox", description="Retired", owner=dpo, active=False)

    now = timezone.now()

    def submit(
        kind: str, country: str = "GB", *, by: Any = None, days_ago: int = 5, **more: Any
    ) -> PrivacyRequest:
        fields: dict[str, Any] = {
            "requester_name": "Ada Lovelace",
            "requester_email": f"{kind}.{country.lower()}.{PrivacyRequest.objects.count()}@example.org",
            "details": "Fuzz fixture.",
        }
        fields.update(more)
        new = services.NewRequest(
            kind=kind, country=country, received_at=now - timedelta(days=days_ago), **fields
        )
        return services.submit(new, by=by)

    def in_progress(kind: str, country: str = "GB", **more: Any) -> PrivacyRequest:
        case = submit(kind, country, by=dpo, **more)  # logged by staff: waits for them to verify
        services.verify(case, by=dpo, data_points=["postal_address", "phone", "account_reference"])
        services.assign(case, to=dpo, by=dpo)
        return case

    cases: dict[str, PrivacyRequest] = {}
    cases["new"] = submit("access")
    cases["verifying"] = submit("erasure", "DE", by=dpo)
    cases["verifying_ccpa"] = submit("access", "US", by=dpo, subdivision="CA")
    cases["open"] = services.confirm_email(submit("rectification", rectification_wanted="New address"))
    cases["processor"] = services.confirm_email(submit("rectification", customer_name="Acme Ltd"))
    cases["in_progress"] = in_progress("objection", "RU", language="ru", objection_grounds="Marketing calls")
    awaiting = in_progress("restriction")
    cases["awaiting_requester"] = services.pause(awaiting, by=dpo, reason="Which account is it?")
    fee = in_progress("erasure", "FR")
    cases["fee_pending"] = services.quote_fee(
        fee, by=dpo, amount=Decimal("25.00"), currency="EUR", reason="repetitive",
        breakdown=[("Searching the archive", Decimal("25.00"))],
    )  # fmt: skip
    # An access case with a built packet waiting for release, and one whose packet was released.
    for name in ("packet_ready", "packet_released"):
        case = in_progress("access", "GB")
        services.record_system_check(case, by=dpo, system=system, state="data_found", notes="Two contacts")
        packet = services.request_packet(case, by=dpo)
        packets.build(case.pk, packet.build)  # what the pdf worker does, here and now
        packet.refresh_from_db()
        if packet.status != PacketStatus.READY:
            raise SystemExit(f"the fixture packet did not build: {packet.status} {packet.error}")
        if name == "packet_released":
            services.release_packet(case, by=dpo)
        cases[name] = case
    cases["building"] = in_progress("portability", "BR")
    # A packet waits until every system is checked or skipped with a reason (services/rules.py).
    services.record_system_check(
        cases["building"], by=dpo, system=system, state="skipped", notes="Portability covers the shop only"
    )
    services.request_packet(cases["building"], by=dpo)
    cases["completed"] = services.complete(
        in_progress("rectification"), by=dpo, outcome="fulfilled", note="Done"
    )
    cases["denied"] = services.deny(
        in_progress("erasure"), by=dpo, reason="manifestly_unfounded", explanation="Not our data."
    )
    cases["withdrawn"] = services.withdraw(submit("access", by=dpo), by=dpo, note="By phone")
    cases["opt_out"] = submit("opt_out", "US", subdivision="CA")
    for case in cases.values():
        services.send_message(case, by=dpo, body="A message for the fuzzer.")
    return {
        "token": plaintext,
        "user": dpo.pk,
        "system": system.pk,
        "cases": {name: PrivacyRequest.objects.get(pk=case.pk).reference for name, case in cases.items()},
        "references": sorted(PrivacyRequest.objects.values_list("reference", flat=True)),
        "packets": sorted(cases[name].reference for name in ("packet_ready", "packet_released", "building")),
        "statuses": {name: PrivacyRequest.objects.get(pk=case.pk).status for name, case in cases.items()},
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["createdb"]:
        _postgres(argv[1], f'CREATE DATABASE "{_database_name(argv[1])}"')
    elif argv[:1] == ["dropdb"]:
        _postgres(argv[1], f'DROP DATABASE IF EXISTS "{_database_name(argv[1])}"')
    else:
        print(json.dumps(create_fixture()))


if __name__ == "__main__":
    main(sys.argv[1:])
