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
