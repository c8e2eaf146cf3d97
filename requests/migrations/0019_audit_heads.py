"""Keyed audit chains (DESIGN §4): a head per case and one ledger row, under AUDIT_KEYS.

Events written before this stay as they are (plain SHA-256 chains) and still verify: each existing chain is sealed
here under a keyed head whose `legacy_seq` is its last event, so from now on removing or rewriting any of its
events, old or new, no longer matches the head. What was changed before the upgrade by someone who recomputed the
plain hashes cannot be told apart any more than it could before; a chain already broken stays reported broken.
"""

import django.db.models.deletion
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations, models
from django.db.models import OuterRef, Subquery

GENESIS = "0" * 64


def seal(apps, schema_editor):
    from requests.audit import LEDGER_ID, head_mac, ledger_mac

    PrivacyRequest = apps.get_model("requests", "PrivacyRequest")
    RequestEvent = apps.get_model("requests", "RequestEvent")
    AuditHead = apps.get_model("requests", "AuditHead")
    AuditLedger = apps.get_model("requests", "AuditLedger")
    db = schema_editor.connection.alias
    cases = PrivacyRequest.objects.using(db)
    if not settings.AUDIT_KEYS:
        if cases.exists():
            raise ImproperlyConfigured("Set AUDIT_KEYS before migrating: the existing audit chains are sealed with it.")
        return  # nothing to seal; the first case's event writes the ledger
    last = RequestEvent.objects.using(db).filter(request_id=OuterRef("pk")).order_by("-seq")
    rows = cases.annotate(
        last_seq=Subquery(last.values("seq")[:1]), last_hash=Subquery(last.values("hash")[:1])
    ).values_list("pk", "last_seq", "last_hash")
    batch, chains = [], 0
    for pk, last_seq, last_hash in rows.order_by("pk").iterator(chunk_size=2000):
        seq, hash_ = (last_seq, last_hash) if last_seq is not None else (0, GENESIS)
        # A case with no events gets an empty chain's head: from now on every case has one.
        mac = head_mac(pk, seq, hash_, seq)
        batch.append(AuditHead(request_id=pk, seq=seq, hash=hash_, legacy_seq=seq, mac=mac))
        if len(batch) == 2000:
            AuditHead.objects.using(db).bulk_create(batch)
            chains, batch = chains + len(batch), []
    AuditHead.objects.using(db).bulk_create(batch)
    chains += len(batch)
    AuditLedger.objects.using(db).create(pk=LEDGER_ID, chains=chains, mac=ledger_mac(chains))


class Migration(migrations.Migration):

    dependencies = [
        ('requests', '0018_email_key_length'),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditHead',
            fields=[
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, primary_key=True, related_name='audit_head', serialize=False, to='requests.privacyrequest')),
                ('seq', models.PositiveIntegerField()),
                ('hash', models.CharField(max_length=64)),
                ('legacy_seq', models.PositiveIntegerField(default=0)),
                ('mac', models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='AuditLedger',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('chains', models.PositiveIntegerField()),
                ('mac', models.CharField(max_length=64)),
            ],
        ),
        # Backwards: dropping the tables is all there is to undo.
        migrations.RunPython(seal, migrations.RunPython.noop, elidable=False),
    ]
