"""Is ENCRYPTION_KEYS the list the private files were encrypted with? Checked at web and worker start and by /healthz.

A wrong list (a typo, another deployment's, a rotation that dropped the key in use) used to start happily: staff
downloads failed, packet builds failed, and new uploads were encrypted under a key nobody kept (issue 24). So the
first start writes a known constant encrypted under the first key (a `KeyCheck` row); every later start must read
it back with some key in the list. When it was written under an older key than the first, it is re-encrypted
under the first (MultiFernet.rotate): from then on a list without the new key fails the check too, since files
may already be encrypted under it.

The key it moved away from is retired (its fingerprint kept with the check), and the check never moves back
under a retired key: a node still on the first roll's `old,new` that restarts during the second roll would
otherwise move it back under `old`, and a later list of `old` alone would pass again although files are
encrypted under `new`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from enum import Enum

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.utils import timezone

from .files import fernet
from .models import KeyCheck

logger = logging.getLogger(__name__)

SENTINEL = b"privacy-portal encryption key check"
REFUSAL = (
    "ENCRYPTION_KEYS is wrong: no key in it can decrypt the key check written when the portal first started, so "
    "it is not the list the private files were encrypted with. Restore the right ENCRYPTION_KEYS (the newest key "
    "first, the older ones after it); see docs/operator-guide.md, Rotating keys."
)


class Keys(Enum):
    READABLE = "readable"
    WRITTEN = "written"  # first start: the check did not exist and now does
    UNREADABLE = "unreadable"


def _readable(token: str) -> bool:
    try:
        return fernet().decrypt(token.encode()) == SENTINEL
    except InvalidToken:
        return False


def read_keys() -> Keys:
    """Read the check only (for /healthz): WRITTEN when there is none yet."""
    row = KeyCheck.objects.filter(pk=1).first()
    if row is None:
        return Keys.WRITTEN
    return Keys.READABLE if _readable(row.token) else Keys.UNREADABLE


def fingerprint(key: str) -> str:
    """What names a key in the check's `retired` list: an HMAC keyed by the key itself, which says nothing of it."""
    return hmac.new(key.encode(), b"privacy-portal retired encryption key", hashlib.sha256).hexdigest()[:32]


def _key_of(token: str) -> str | None:
    """The key of the list the token was encrypted under."""
    for key in settings.ENCRYPTION_KEYS:
        try:
            Fernet(key).decrypt(token.encode())
        except InvalidToken:
            continue
        return str(key)
    return None


def first_key_retired() -> bool:
    """Whether this process encrypts under a key the check was rotated away from (for /healthz: a node left on
    the first roll's `old,new`, whose new files a later drop of `old` would make unreadable)."""
    row = KeyCheck.objects.filter(pk=1).first()
    return row is not None and fingerprint(str(settings.ENCRYPTION_KEYS[0])) in row.retired


def check_keys() -> Keys:
    """At start: write the check if there is none, read it, and move it under the first key if that key is newer
    (not one it was moved away from before)."""
    row, created = KeyCheck.objects.get_or_create(
        pk=1, defaults={"token": fernet().encrypt(SENTINEL).decode()}
    )
    if created:
        logger.info("encryption key check written under the first key of ENCRYPTION_KEYS")
        return Keys.WRITTEN
    if not _readable(row.token):
        return Keys.UNREADABLE
    first = str(settings.ENCRYPTION_KEYS[0])
    current = _key_of(row.token)
    if current is None or current == first:
        return Keys.READABLE
    if fingerprint(first) in row.retired:
        # Mid-roll (a node still on `old,new` after others moved to `new,old`): it may start, since it reads every
        # file, but the check stays under the newer key.
        logger.warning(
            "the first key of ENCRYPTION_KEYS was rotated out: this process encrypts new files under a retired "
            "key; put the newest key first on every node (docs/operator-guide.md, Rotating keys)"
        )
        return Keys.READABLE
    # Conditional: of two processes starting at once, one re-encrypts and the other leaves what it wrote. Not
    # tried again: with two keys the check never saw, which is newer is nobody's to tell, and the loser moving
    # it on would undo the winner.
    rotated = fernet().rotate(row.token.encode()).decode()
    retired = sorted({*row.retired, fingerprint(current)})
    if KeyCheck.objects.filter(pk=1, token=row.token).update(
        token=rotated, rotated_at=timezone.now(), retired=retired
    ):
        logger.info("encryption key check re-encrypted under the new first key of ENCRYPTION_KEYS")
    return Keys.READABLE
