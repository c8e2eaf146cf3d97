"""The staff roles (DESIGN §8): which permissions the DPO, Handler and Auditor groups hold.

Created by migration requests 0002_squashed_0020_audit_truncate_guard; `ensure_roles` recreates them (tests that
flush the database, a restored backup).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q

ROLES: dict[str, dict[str, list[str]]] = {
    "DPO": {
        "requests": ["view_privacyrequest", "add_privacyrequest", "change_privacyrequest", "view_requestevent",
                     "view_message", "add_message", "view_notice", "view_staffpreference", "change_staffpreference",
                     "add_staffpreference", "view_all_cases", "extend_case", "deny_case", "quote_fee",
                     "forward_case", "release_packet", "approve_erasure", "view_systemcheck", "change_systemcheck",
                     "view_processingactivity", "add_processingactivity", "change_processingactivity",
                     "delete_processingactivity", "view_companysystem", "add_companysystem",
                     "change_companysystem", "delete_companysystem", "view_suppressedaddress",
                     "view_thirdparty", "add_thirdparty", "change_thirdparty", "delete_thirdparty",
                     "view_casenote", "add_casenote", "view_replytemplate", "add_replytemplate",
                     "change_replytemplate", "delete_replytemplate", "view_inboxitem", "change_inboxitem"],
        "identity": ["view_evidence", "view_staffenrolment", "add_staffenrolment"],
    },
    "Handler": {
        "requests": ["view_privacyrequest", "add_privacyrequest", "change_privacyrequest", "view_requestevent",
                     "view_message", "add_message", "view_staffpreference", "change_staffpreference",
                     "add_staffpreference", "view_systemcheck", "change_systemcheck", "view_processingactivity",
                     "view_companysystem", "view_suppressedaddress", "view_thirdparty",
                     "view_casenote", "add_casenote", "view_replytemplate", "view_inboxitem", "change_inboxitem"],
        "identity": ["view_evidence"],
    },
    "Auditor": {
        "requests": ["view_privacyrequest", "view_requestevent", "view_message", "view_notice", "view_all_cases",
                     "view_systemcheck", "view_processingactivity", "view_companysystem", "view_thirdparty",
                     "view_casenote", "view_inboxitem"],
        "identity": [],
    },
}  # fmt: skip


def create_roles(group_model: Any, permission_model: Any) -> None:
    for role, by_app in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=role)
        for app_label, codenames in by_app.items():
            group.permissions.add(
                *permission_model.objects.filter(content_type__app_label=app_label, codename__in=codenames)
            )


def ensure_roles() -> None:
    # Here, not at the top: migrations import this module, and must not load the real auth models with it.
    from django.contrib.auth.models import Group, Permission  # noqa: PLC0415

    create_roles(Group, Permission)


def migrate_roles(apps: Any, schema_editor: Any) -> None:
    """Data migrations: create the permissions now (Django makes them only after all migrations), then the roles."""
    from django.contrib.auth.management import create_permissions  # noqa: PLC0415 (as ensure_roles)

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    create_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"))


def dpo_users() -> Any:
    """The DPOs: active members of the DPO group, and superusers, with an email address."""

    users = get_user_model().objects.filter(Q(is_superuser=True) | Q(groups__name="DPO"), is_active=True)
    return users.exclude(email="").distinct()


def dpo_addresses() -> list[str]:
    """Who hears about problems with the whole system: the DPO mailbox and every DPO."""
    return sorted({settings.PRIVACY_DPO_EMAIL, *dpo_users().values_list("email", flat=True)} - {""})
