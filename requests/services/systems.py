"""A company system's connector: its credentials, encrypted at rest, and the connection test.

Credentials are a MultiFernet token (privacyportal.files.fernet(), ENCRYPTION_KEYS) of a JSON object such as
{"username": ..., "password": ...}. They are decrypted only to build a connector, never logged, never put in
task arguments, events or the admin's history, and never shown again. Configuring a system is not a change of
a case, so it writes no audit event.
"""

from __future__ import annotations

import json

from cryptography.fernet import InvalidToken
from django.db import transaction
from django.utils.translation import gettext as _

from privacyportal.files import fernet

from ..connectors import ConnectionCheck, Connector, ConnectorError, build
from ..models import CompanySystem

# The one credential a blank form field keeps rather than clears: it is never shown, so it cannot be re-typed.
KEPT_WHEN_BLANK = ("password", "client_secret", "refresh_token")


def credentials_of(system: CompanySystem) -> dict[str, str]:
    """The system's credentials, decrypted ({} when none are stored).

    A token no current key opens (ENCRYPTION_KEYS lost the key that wrote it) raises a ConnectorError saying
    so in plain words; the credentials must then be entered again."""
    if not system.credentials:
        return {}
    try:
        data = json.loads(fernet().decrypt(system.credentials.encode("ascii")))
    except (InvalidToken, UnicodeError, ValueError):
        raise ConnectorError(
            _(
                "The stored credentials of “%(system)s” cannot be read with the current encryption keys "
                "(ENCRYPTION_KEYS): enter the user name and password again."
            )
            % {"system": system.name}
        ) from None
    if not isinstance(data, dict):
        return {}
    return {str(key): str(value) for key, value in data.items()}


@transaction.atomic
def set_credentials(system: CompanySystem, values: dict[str, str]) -> None:
    """Store `values` (username, password...) encrypted; only the `credentials` column is written.

    Empty values are dropped, except that an empty or missing password keeps the stored one (the form never
    shows it, so a blank field means "unchanged"). `set_credentials(system, {})` on a system without a stored
    password stores an empty object."""
    new = {key: value for key, value in values.items() if value}
    missing = [key for key in KEPT_WHEN_BLANK if key not in new]
    if missing and system.credentials:
        stored = credentials_of(system)
        new.update({key: stored[key] for key in missing if stored.get(key)})
    system.credentials = fernet().encrypt(json.dumps(new, sort_keys=True).encode()).decode("ascii")
    system.save(update_fields=["credentials"])


def forget_credentials(system: CompanySystem) -> None:
    """Delete the stored credentials (a system that no longer has a connector keeps none)."""
    if system.credentials:
        system.credentials = ""
        system.save(update_fields=["credentials"])


def connector_for(system: CompanySystem) -> Connector:
    """The connector for this system, built from its settings and decrypted credentials; the caller closes it.

    A manual system (no connector), unknown settings or a bad dataset description raise ConnectorError."""
    if not system.connector:
        raise ConnectorError(
            _("“%(system)s” has no connector: its owner is sent a task instead.") % {"system": system.name}
        )
    return build(system.connector, system.connector_settings or {}, credentials_of(system))


def test_connection(system: CompanySystem) -> ConnectionCheck:
    """Connect, check the dataset description against the live database, and say whether the account can
    write. ConnectorError (with its plain message) propagates; the connector is closed either way."""
    connector = connector_for(system)
    try:
        return connector.test()
    finally:
        connector.close()


test_connection.__test__ = False  # type: ignore[attr-defined]  # a service, not a pytest test
