"""What the owner tasks read: the systems whose owner is sent a task, and the owner's language."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

from ..models import CompanySystem, Kind, PrivacyRequest
from .staff import staff_language


def stops_marketing(privacy_request: PrivacyRequest) -> bool:
    """An opt-out, a limit on sensitive data or an objection to direct marketing: work only for the systems
    that carry out opt-outs."""
    return privacy_request.kind in (Kind.OPT_OUT, Kind.LIMIT_SENSITIVE) or (
        privacy_request.kind == Kind.OBJECTION and privacy_request.marketing_only
    )


def _for(systems: QuerySet[CompanySystem], privacy_request: PrivacyRequest | None) -> QuerySet[CompanySystem]:
    if privacy_request is not None and stops_marketing(privacy_request):
        return systems.filter(takes_opt_outs=True)
    return systems


def connector_systems(privacy_request: PrivacyRequest | None = None) -> QuerySet[CompanySystem]:
    """Active systems a connector reaches (for `privacy_request`, those that take part in its work): the portal
    does their work itself."""
    return _for(CompanySystem.objects.filter(active=True).exclude(connector=""), privacy_request)


def owner_systems(privacy_request: PrivacyRequest | None = None) -> QuerySet[CompanySystem]:
    """Active systems no connector reaches whose owner has an email address (for `privacy_request`, those that
    take part in its work): each is sent a task per action."""
    return _for(
        CompanySystem.objects.filter(active=True, connector="").exclude(owner_email=""), privacy_request
    )


def owner_language(address: str) -> str:
    """English, unless the owner is active staff who chose another language for their emails."""
    user = get_user_model().objects.filter(email__iexact=address, is_active=True, is_staff=True).first()
    return staff_language(user) if user is not None else "en"
