"""Sealing audit chains written before the chain was keyed (DESIGN §4): the step migration 0019 ran.

Events written before keyed chains stay as they are (plain SHA-256 chains) and still verify: each existing chain
is sealed under a keyed head whose `legacy_seq` is its last event, so from then on removing or rewriting any of its
events, old or new, no longer matches the head. What was changed before the upgrade by someone who recomputed the
plain hashes cannot be told apart any more than it could before; a chain already broken stays reported broken.

The migrations were squashed (issue 16): a new database has no legacy chains, and one made by the old migrations
was sealed when it ran them, so no migration calls this any more. It stays, with the migration's signature, as the
one statement of what an upgraded trail looks like; the tests build such a trail with it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import OuterRef, Subquery

from .audit import GENESIS, LEDGER_ID, head_mac, ledger_mac


def seal(apps: Any, schema_editor: Any) -> None:
    PrivacyRequest = apps.get_model("requests", "PrivacyRequest")
    RequestEvent = apps.get_model("requests", "RequestEvent")
    AuditHead = apps.get_model("requests", "AuditHead")
    AuditLedger = apps.get_model("requests", "AuditLedger")
    db = schema_editor.connection.alias
    cases = PrivacyRequest.objects.using(db)
    if not settings.AUDIT_KEYS:
        if cases.exists():
            raise ImproperlyConfigured(
                "Set AUDIT_KEYS before migrating: the existing audit chains are sealed with it."
            )
        return  # nothing to seal; the first case's event writes the ledger
    last = RequestEvent.objects.using(db).filter(privacy_request_id=OuterRef("pk")).order_by("-seq")
    rows = cases.annotate(
        last_seq=Subquery(last.values("seq")[:1]), last_hash=Subquery(last.values("hash")[:1])
    ).values_list("pk", "last_seq", "last_hash")
    batch, chains = [], 0
    for pk, last_seq, last_hash in rows.order_by("pk").iterator(chunk_size=2000):
        seq, hash_ = (last_seq, last_hash) if last_seq is not None else (0, GENESIS)
        # A case with no events gets an empty chain's head: from now on every case has one.
        mac = head_mac(pk, seq, hash_, seq)
        batch.append(AuditHead(privacy_request_id=pk, seq=seq, hash=hash_, legacy_seq=seq, mac=mac))
        if len(batch) == 2000:
            AuditHead.objects.using(db).bulk_create(batch)
            chains, batch = chains + len(batch), []
    AuditHead.objects.using(db).bulk_create(batch)
    chains += len(batch)
    AuditLedger.objects.using(db).create(pk=LEDGER_ID, chains=chains, mac=ledger_mac(chains))
