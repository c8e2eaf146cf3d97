from __future__ import annotations

import functools
import zlib
from collections.abc import Sequence
from typing import Any

import factory
from django.contrib.auth import get_user_model

from requests import services
from requests.models import PrivacyRequest


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(UserFactory):
    is_staff = True


def make_case(**fields: Any) -> PrivacyRequest:
    """A case as a requester would submit it, through the `submit` service."""
    values: dict[str, Any] = {
        "kind": "access",
        "requester_name": "Ada Lovelace",
        "requester_email": "ada@example.org",
        "country": "GB",
    }
    values.update(fields)
    return services.submit(services.NewRequest(**values))


def ready_for_packet(case: PrivacyRequest, staff: Any, rows: Sequence[str]) -> PrivacyRequest:
    """The case made ready for a packet as staff would: email confirmed, assigned to `staff`, the CRM checked
    and its export (a CSV with these `name,email,address` rows) attached, in the private file store."""
    from identity.services import add_extract
    from privacyportal.uploads import CheckedFile
    from requests.models import CompanySystem

    case = services.confirm_email(case)
    services.assign(case, to=staff, by=staff)
    crm, _ = CompanySystem.objects.get_or_create(name="CRM")
    services.record_system_check(case, by=staff, system=crm, state="exported")
    csv = "name,email,address\n" + "".join(f"{row}\n" for row in rows)
    add_extract(case, CheckedFile("crm.csv", "text/csv", csv.encode()), system=crm, by=staff)
    return case


PASSWORD = "correct horse battery staple"


def in_role(user: Any, role: str) -> Any:
    """Put a member of staff in a role group (DPO, Handler, Auditor)."""
    from django.contrib.auth.models import Group

    user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(user: Any, role: str) -> Any:
    """A test client signed in to the OTP admin with the password and a TOTP code, in the given role."""
    from django.test import Client
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from requests.roles import ensure_roles

    ensure_roles()  # transactional tests elsewhere flush the groups the migration made
    in_role(user, role)
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": user.username, "password": PASSWORD,
         "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


def complete_case(
    privacy_request: PrivacyRequest, *, by: Any, outcome: str = "fulfilled", note: str = ""
) -> Any:
    """Complete a case as staff would; an access or portability answer needs its packet released first,
    so one is recorded as released (tests of the packet itself build a real one)."""
    from datetime import timedelta

    from django.utils import timezone

    from requests.models import Packet, PacketStatus

    if privacy_request.kind in services.PACKET_KINDS and outcome != "no_data":
        now = timezone.now()
        Packet.objects.update_or_create(
            privacy_request=privacy_request,
            defaults={
                "status": PacketStatus.RELEASED,
                "released_at": now,
                "expires_at": now + timedelta(days=30),
            },
        )
    return services.complete(privacy_request, by=by, outcome=outcome, note=note)


# --- PDFs --------------------------------------------------------------------------------------------------
# Uploaded PDFs are parsed (privacyportal/uploads.py): a test that uploads one needs a real file, not "%PDF...%%EOF".


def pdf_stream(data: bytes, entries: bytes = b"", *, compress: bool = False) -> bytes:
    """The body of a stream object holding `data` (Flate-compressed if asked), with its /Length."""
    if compress:
        data = zlib.compress(data)
        entries += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n%s\nendstream" % (len(data), entries, data)


def pdf_from_objects(objects: Sequence[bytes], trailer: bytes = b"") -> bytes:
    """A PDF file holding these object bodies as objects 1, 2, ... (object 1 is the catalog), with a correct
    cross-reference table, so that a strict reader reads it as written."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        trailer,
        xref,
    )
    return bytes(out)


@functools.cache
def pdf_bytes(pages: int = 1, *, size: int = 0) -> bytes:
    """A small, valid PDF: `pages` A4 pages with a line of text each; at least `size` bytes if asked (the
    first page's content is padded with spaces)."""

    def build(padding: int) -> bytes:
        objects = [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [%s] /Count %d >>"
            % (b" ".join(b"%d 0 R" % (4 + 2 * n) for n in range(pages)), pages),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        for n in range(pages):
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
                b" /Contents %d 0 R >>" % (5 + 2 * n)
            )
            text = b"BT /F1 12 Tf 72 770 Td (Page %d of a signed permission) Tj ET" % (n + 1)
            objects.append(pdf_stream(text + b" " * (padding if n == 0 else 0)))
        return pdf_from_objects(objects)

    data = build(0)
    return build(size - len(data)) if len(data) < size else data


def sample_shop(path: Any, name: str = "Shop database") -> tuple[Any, Any]:
    """The sample shop (requests/connectors/sample.py) in a real SQLite file at `path`, wired to the SQL connector
    as the admin stores it: (the company system, an SQLAlchemy engine on the file)."""
    import sqlalchemy as sa

    from requests.connectors import sample
    from requests.models import CompanySystem

    engine = sa.create_engine(f"sqlite:///{path}")
    meta = sample.metadata()
    with engine.begin() as conn:
        meta.create_all(conn)
        sample.populate_example(conn, meta)
    system = CompanySystem.objects.create(
        name=name,
        connector="sql",
        connector_settings={"dialect": "sqlite", "database": str(path), "dataset": sample.DATASET},
    )
    return system, engine
