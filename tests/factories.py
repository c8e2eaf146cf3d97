from __future__ import annotations

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
            request=privacy_request,
            defaults={
                "status": PacketStatus.RELEASED,
                "released_at": now,
                "expires_at": now + timedelta(days=30),
            },
        )
    return services.complete(privacy_request, by=by, outcome=outcome, note=note)
