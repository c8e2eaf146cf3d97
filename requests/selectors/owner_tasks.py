"""What the owner tasks read: the systems whose owner is sent a task, and the owner's language."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from ..models import CompanySystem
from .staff import staff_language


def connector_systems() -> QuerySet[CompanySystem]:
    """Active systems a connector reaches: the portal does their work itself."""
    return CompanySystem.objects.filter(active=True).exclude(connector="")


def owner_systems() -> QuerySet[CompanySystem]:
    """Active systems no connector reaches whose owner has an email address: each is sent a task per action."""
    return CompanySystem.objects.filter(active=True, connector="").exclude(owner_email="")


def owner_language(address: str) -> str:
    """English, unless the owner is active staff who chose another language for their emails."""
    user = get_user_model().objects.filter(email__iexact=address, is_active=True, is_staff=True).first()
    return staff_language(user) if user is not None else "en"
