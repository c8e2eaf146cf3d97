"""The `requests` app's schema as the 20 migrations of 0.1's first week left it, in one step (issue 16).

`replaces` lists what this stands for: on a database where those ran, Django records this as applied and runs
nothing. With `identity/0001_squashed_0008_staff_enrolment` and `0002_squashed_0020_audit_truncate_guard` it
builds the same database the old ones did. The two apps point at each other (a message's attachment is an
identity.Evidence, evidence points at a case), so the one foreign key into `identity` waits for 0002.

What the old migrations did to rows that existed (0008, 0017 filled new columns; 0019 sealed the legacy audit
chains, now `requests.audit_upgrade.seal`) has nothing to do on a new database and is left out. What a new
database needs is here: the audit ledger's first row, and on PostgreSQL the triggers that keep the audit trail
append-only (as 0002 created them and 0020 added to them; DESIGN §4). SQLite has no such triggers.
"""

import django.db.models.deletion
import django.db.models.functions.text
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

AUDIT_TABLES = ("requests_requestevent", "requests_audithead", "requests_auditledger")

# Events are never changed or deleted (was 0002).
# TRUNCATE fires no row trigger, so each audit table refuses it with a statement trigger of its own, unless the
# session sets `privacyportal.audit_truncate = 'allow'` (pytest-django empties tables with TRUNCATE; the test
# settings set it). A head must still move on every append, so its UPDATE is allowed when it keeps its case and
# does not go back (its MAC covers the rest); a head or the ledger is never deleted (was 0020).
CREATE_TRIGGERS = """
CREATE OR REPLACE FUNCTION requests_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'requests_requestevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER requests_event_append_only
    BEFORE UPDATE OR DELETE ON requests_requestevent
    FOR EACH ROW EXECUTE FUNCTION requests_event_append_only();

CREATE OR REPLACE FUNCTION requests_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('privacyportal.audit_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is part of the audit trail: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION requests_audit_forward_only() RETURNS trigger AS $$
-- TG_ARGV[0]: the column naming the row, which never changes; TG_ARGV[1]: the counter, which never goes down.
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% is part of the audit trail: DELETE refused', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF to_jsonb(NEW) -> TG_ARGV[0] IS DISTINCT FROM to_jsonb(OLD) -> TG_ARGV[0]
       OR (to_jsonb(NEW) ->> TG_ARGV[1])::bigint < (to_jsonb(OLD) ->> TG_ARGV[1])::bigint THEN
        RAISE EXCEPTION '% is part of the audit trail: an UPDATE may only move it forward', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER requests_audithead_forward_only
    BEFORE UPDATE OR DELETE ON requests_audithead
    FOR EACH ROW EXECUTE FUNCTION requests_audit_forward_only('request_id', 'seq');
CREATE TRIGGER requests_auditledger_forward_only
    BEFORE UPDATE OR DELETE ON requests_auditledger
    FOR EACH ROW EXECUTE FUNCTION requests_audit_forward_only('id', 'chains');
""" + "".join(
    f"""
CREATE TRIGGER {table}_no_truncate
    BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION requests_audit_no_truncate();
"""
    for table in AUDIT_TABLES
)

DROP_TRIGGERS = "".join(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};\n" for table in AUDIT_TABLES) + """
DROP TRIGGER IF EXISTS requests_audithead_forward_only ON requests_audithead;
DROP TRIGGER IF EXISTS requests_auditledger_forward_only ON requests_auditledger;
DROP TRIGGER IF EXISTS requests_event_append_only ON requests_requestevent;
DROP FUNCTION IF EXISTS requests_audit_forward_only();
DROP FUNCTION IF EXISTS requests_audit_no_truncate();
DROP FUNCTION IF EXISTS requests_event_append_only();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_TRIGGERS, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_TRIGGERS, params=None)


def open_ledger(apps, schema_editor):
    """The ledger of audit chains starts at none (was 0019); the first case's event counts the first one.

    Without AUDIT_KEYS it cannot be signed: the first event writes it then, as after a flush (requests.audit).
    """
    from requests.audit import LEDGER_ID, ledger_mac

    if settings.AUDIT_KEYS:
        AuditLedger = apps.get_model("requests", "AuditLedger")
        AuditLedger.objects.using(schema_editor.connection.alias).create(pk=LEDGER_ID, chains=0, mac=ledger_mac(0))


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ("requests", "0001_initial"),
        ("requests", "0002_append_only_events"),
    ]

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='PrivacyRequest',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reference', models.CharField(editable=False, max_length=20, unique=True, verbose_name='reference')),
                ('kind', models.CharField(choices=[('access', 'Access my data'), ('rectification', 'Correct my data'), ('erasure', 'Delete my data'), ('restriction', 'Restrict how my data is used'), ('portability', 'Get my data in a portable format'), ('objection', 'Object to how my data is used'), ('opt_out', 'Opt out of sale, sharing or marketing'), ('limit_sensitive', 'Limit the use of my sensitive data')], max_length=20, verbose_name='right')),
                ('channel', models.CharField(choices=[('web', 'Web form'), ('email', 'Email'), ('post', 'Post'), ('phone', 'Phone'), ('api', 'API')], default='web', max_length=10, verbose_name='channel')),
                ('received_at', models.DateTimeField(verbose_name='received at')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='logged at')),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('requester_name', models.CharField(max_length=200, verbose_name="requester's name")),
                ('requester_email', models.EmailField(max_length=254, verbose_name="requester's email")),
                ('email_key', models.CharField(db_default='', db_index=True, default='', editable=False, max_length=2000)),
                ('relationship', models.CharField(choices=[('self', 'The person the data is about'), ('agent', 'An authorised agent'), ('parent', 'A parent or guardian of a child under 16')], default='self', max_length=10, verbose_name='requester is')),
                ('subject_name', models.CharField(blank=True, max_length=200, verbose_name="data subject's name")),
                ('subject_email', models.EmailField(blank=True, max_length=254, verbose_name="data subject's email")),
                ('subject_answer', models.CharField(blank=True, choices=[('confirmed', 'Confirmed the agent'), ('refused', 'Said they did not authorise the agent')], max_length=10, verbose_name="subject's answer")),
                ('subject_answered_at', models.DateTimeField(blank=True, null=True)),
                ('country', models.CharField(max_length=2, verbose_name='country')),
                ('subdivision', models.CharField(blank=True, max_length=3, verbose_name='state or province')),
                ('language', models.CharField(default='en', max_length=8, verbose_name='language')),
                ('details', models.TextField(blank=True, verbose_name='details')),
                ('rectification_current', models.TextField(blank=True, verbose_name='what is wrong')),
                ('rectification_wanted', models.TextField(blank=True, verbose_name='what it should say')),
                ('objection_grounds', models.TextField(blank=True, verbose_name='grounds')),
                ('marketing_only', models.BooleanField(default=False, verbose_name='objection to direct marketing only')),
                ('period_since', models.DateField(blank=True, null=True, verbose_name='data since')),
                ('customer_name', models.CharField(blank=True, max_length=200, verbose_name='our customer (controller)')),
                ('data_points', models.JSONField(blank=True, default=dict, verbose_name='details to match')),
                ('declaration_name', models.CharField(blank=True, max_length=200, verbose_name='declaration signed as')),
                ('declared_at', models.DateTimeField(blank=True, null=True, verbose_name='declaration signed at')),
                ('regimes', models.JSONField(default=list, verbose_name='regimes')),
                ('governing_regime', models.CharField(db_index=True, max_length=20, verbose_name='governing regime')),
                ('due_at', models.DateField(verbose_name='due')),
                ('extended_due_at', models.DateField(verbose_name='due if extended')),
                ('effective_due_at', models.DateField(verbose_name='due')),
                ('acknowledge_by', models.DateField(blank=True, null=True, verbose_name='acknowledge by')),
                ('extended', models.BooleanField(default=False, verbose_name='extended')),
                ('extension_reason', models.TextField(blank=True, verbose_name='reason for the extension')),
                ('paused_days', models.PositiveIntegerField(default=0, verbose_name='days paused')),
                ('paused_at', models.DateTimeField(blank=True, null=True)),
                ('resume_status', models.CharField(blank=True, choices=[('new', 'Waiting for email confirmation'), ('verifying', 'Checking identity'), ('open', 'Open'), ('in_progress', 'In progress'), ('awaiting_requester', 'Waiting for the requester'), ('fee_pending', 'Waiting for a fee decision'), ('completed', 'Completed'), ('denied', 'Refused'), ('withdrawn', 'Withdrawn'), ('forwarded', 'Forwarded to the controller'), ('expired', 'Expired (email never confirmed)')], max_length=20)),
                ('status', models.CharField(choices=[('new', 'Waiting for email confirmation'), ('verifying', 'Checking identity'), ('open', 'Open'), ('in_progress', 'In progress'), ('awaiting_requester', 'Waiting for the requester'), ('fee_pending', 'Waiting for a fee decision'), ('completed', 'Completed'), ('denied', 'Refused'), ('withdrawn', 'Withdrawn'), ('forwarded', 'Forwarded to the controller'), ('expired', 'Expired (email never confirmed)')], default='new', max_length=20, verbose_name='status')),
                ('status_changed_at', models.DateTimeField(blank=True, null=True)),
                ('email_verified_at', models.DateTimeField(blank=True, null=True)),
                ('identity_verified_at', models.DateTimeField(blank=True, null=True)),
                ('repetitive', models.BooleanField(default=False, verbose_name='repetitive')),
                ('processor_request', models.BooleanField(default=False, verbose_name="about a customer's data (we are processor)")),
                ('fee_amount', models.DecimalField(blank=True, decimal_places=2, max_digits=10, null=True)),
                ('fee_currency', models.CharField(blank=True, max_length=3)),
                ('fee_reason', models.CharField(blank=True, choices=[('excessive', 'Excessive'), ('repetitive', 'Repetitive'), ('manifestly_unfounded', 'Manifestly unfounded')], max_length=24)),
                ('fee_quoted_at', models.DateTimeField(blank=True, null=True)),
                ('fee_accepted', models.BooleanField(blank=True, null=True)),
                ('fee_breakdown', models.JSONField(blank=True, default=list)),
                ('outcome', models.CharField(blank=True, choices=[('fulfilled', 'Done in full'), ('partially_fulfilled', 'Done in part'), ('no_data', 'We hold no data about this person')], max_length=24, verbose_name='outcome')),
                ('denial_reason', models.CharField(blank=True, choices=[('identity_not_verified', "We could not verify the requester's identity"), ('manifestly_unfounded', 'The request is manifestly unfounded'), ('excessive', 'The request is excessive or repetitive'), ('legal_exemption', 'A legal exemption applies'), ('rights_of_others', 'Answering would harm the rights of others'), ('fee_declined', 'The requester declined the fee')], max_length=24, verbose_name='reason refused')),
                ('outcome_note', models.TextField(blank=True, verbose_name='note')),
                ('forwarded_to', models.CharField(blank=True, max_length=200, verbose_name='forwarded to')),
                ('closed_at', models.DateTimeField(blank=True, null=True, verbose_name='closed at')),
                ('anonymised_at', models.DateTimeField(blank=True, null=True, verbose_name='anonymised at')),
                ('assignee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='assigned_requests', to=settings.AUTH_USER_MODEL, verbose_name='assignee')),
            ],
            options={
                'verbose_name': 'privacy request',
                'verbose_name_plural': 'privacy requests',
                'ordering': ['effective_due_at', 'id'],
                'permissions': [('view_all_cases', 'Can see every case, not only the unassigned ones and their own'), ('extend_case', "Can extend a case's deadline"), ('deny_case', 'Can refuse a request'), ('quote_fee', 'Can quote a fee'), ('forward_case', 'Can forward a request to the controller'), ('release_packet', 'Can release a fulfilment packet')],
            },
        ),
        migrations.CreateModel(
            name='AuditLedger',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('chains', models.PositiveIntegerField()),
                ('mac', models.CharField(max_length=64)),
            ],
        ),
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('name', models.CharField(max_length=60, primary_key=True, serialize=False)),
                ('at', models.DateTimeField()),
            ],
        ),
        migrations.CreateModel(
            name='ProcessingActivity',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=200, unique=True, verbose_name='name')),
                ('purposes', models.TextField(verbose_name='purposes')),
                ('data_categories', models.TextField(verbose_name='categories of personal data')),
                ('legal_basis', models.CharField(choices=[('consent', 'Consent (Art. 6(1)(a))'), ('contract', 'Contract (Art. 6(1)(b))'), ('legal_obligation', 'Legal obligation (Art. 6(1)(c))'), ('vital_interests', 'Vital interests (Art. 6(1)(d))'), ('public_task', 'Public task (Art. 6(1)(e))'), ('legitimate_interests', 'Legitimate interests (Art. 6(1)(f))')], max_length=24, verbose_name='legal basis')),
                ('sources', models.TextField(verbose_name='where the data comes from')),
                ('recipients', models.TextField(blank=True, verbose_name='recipients, by name (one per line)')),
                ('retention', models.CharField(max_length=300, verbose_name='how long it is kept')),
                ('transfers', models.TextField(blank=True, verbose_name='transfers outside the UK/EEA, and safeguards')),
                ('automated_decisions', models.TextField(blank=True, help_text='Leave empty if there are none.', verbose_name='automated decisions or profiling')),
            ],
            options={
                'verbose_name': 'processing register entry',
                'verbose_name_plural': 'processing register',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='SweepClaim',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
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
            name='Letter',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('access', 'Access: cover letter (Art. 15)'), ('ccpa_know', 'CCPA request to know: response'), ('confirmation', 'Confirmation of erasure, rectification, restriction or objection'), ('completion', 'Answer to the request'), ('extension', 'Extension notice'), ('fee', 'Fee estimate'), ('refusal', 'Refusal'), ('forward', 'Forward notice')], max_length=20, verbose_name='letter')),
                ('language', models.CharField(max_length=8)),
                ('for_event', models.PositiveIntegerField()),
                ('stored_name', models.CharField(max_length=50, unique=True)),
                ('sha256', models.CharField(max_length=64)),
                ('size', models.PositiveIntegerField()),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('purged_at', models.DateTimeField(blank=True, null=True)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='letters', to='requests.privacyrequest')),
            ],
            options={
                'ordering': ['request_id', 'created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Message',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('author_kind', models.CharField(choices=[('staff', 'Staff'), ('requester', 'Requester'), ('system', 'System')], max_length=10)),
                ('body', models.TextField(verbose_name='message')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('author', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='messages', to='requests.privacyrequest')),
            ],
            options={
                'ordering': ['request_id', 'created_at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='Notice',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(max_length=40)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('sent', models.BooleanField(default=True)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notices', to='requests.privacyrequest')),
            ],
        ),
        migrations.CreateModel(
            name='Packet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('building', 'Building'), ('ready', 'Ready for release'), ('failed', 'Failed'), ('released', 'Released to the requester'), ('expired', 'Expired and deleted')], default='queued', max_length=10)),
                ('build', models.PositiveIntegerField(default=1)),
                ('step', models.CharField(blank=True, max_length=40)),
                ('percent', models.PositiveSmallIntegerField(default=0)),
                ('error', models.CharField(blank=True, max_length=200)),
                ('stored_name', models.CharField(blank=True, max_length=50)),
                ('sha256', models.CharField(blank=True, max_length=64)),
                ('size', models.PositiveBigIntegerField(default=0)),
                ('files', models.JSONField(blank=True, default=list)),
                ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('built_at', models.DateTimeField(blank=True, null=True)),
                ('released_at', models.DateTimeField(blank=True, null=True)),
                ('expires_at', models.DateTimeField(blank=True, null=True)),
                ('purged_at', models.DateTimeField(blank=True, null=True)),
                ('downloads', models.PositiveIntegerField(default=0)),
                ('released_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='packet', to='requests.privacyrequest')),
            ],
        ),
        migrations.CreateModel(
            name='CompanySystem',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='name')),
                ('description', models.CharField(blank=True, max_length=300, verbose_name='what it holds')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('owner', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='owned_systems', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
                ('activities', models.ManyToManyField(blank=True, related_name='systems', to='requests.processingactivity', verbose_name='register entries it serves')),
            ],
            options={
                'verbose_name': 'company system',
                'verbose_name_plural': 'company systems',
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='QueuedTask',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('task_id', models.UUIDField(unique=True)),
                ('name', models.CharField(max_length=200)),
                ('args', models.JSONField(default=list)),
                ('queue', models.CharField(blank=True, max_length=40)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('published_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('publishes', models.PositiveSmallIntegerField(default=1)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('started_by', models.CharField(blank=True, max_length=120)),
                ('delivered_at', models.DateTimeField(blank=True, null=True)),
            ],
            options={
                'verbose_name': 'outbox task',
                'verbose_name_plural': 'outbox tasks',
                'indexes': [models.Index(condition=models.Q(('delivered_at__isnull', True)), fields=['published_at'], name='queuedtask_undelivered'), models.Index(condition=models.Q(('delivered_at__isnull', False)), fields=['delivered_at'], name='queuedtask_done')],
            },
        ),
        migrations.CreateModel(
            name='RequestEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('seq', models.PositiveIntegerField()),
                ('at', models.DateTimeField()),
                ('actor_kind', models.CharField(choices=[('staff', 'Staff'), ('requester', 'Requester'), ('system', 'System')], max_length=10)),
                ('verb', models.CharField(max_length=40)),
                ('old_status', models.CharField(blank=True, max_length=20)),
                ('new_status', models.CharField(blank=True, max_length=20)),
                ('data', models.JSONField(blank=True, default=dict)),
                ('prev_hash', models.CharField(max_length=64)),
                ('hash', models.CharField(max_length=64, unique=True)),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='requests.privacyrequest')),
            ],
            options={
                'verbose_name': 'audit event',
                'verbose_name_plural': 'audit trail',
                'ordering': ['request_id', 'seq'],
            },
        ),
        migrations.CreateModel(
            name='StaffPreference',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('language', models.CharField(choices=[('en', 'English'), ('ru', 'Russian')], default='en', max_length=8, verbose_name='language')),
                ('daily_digest', models.BooleanField(default=False, help_text='One email a day listing reminders, instead of one email each.', verbose_name='daily digest')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='privacy_preference', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'my notification settings',
                'verbose_name_plural': 'my notification settings',
            },
        ),
        migrations.CreateModel(
            name='SystemCheck',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('state', models.CharField(choices=[('not_checked', 'Not checked'), ('no_data', 'No data'), ('data_found', 'Data found'), ('exported', 'Exported'), ('erased', 'Erased'), ('rectified', 'Rectified'), ('restricted', 'Restricted')], default='not_checked', max_length=12, verbose_name='state')),
                ('notes', models.TextField(blank=True, verbose_name='notes')),
                ('checked_at', models.DateTimeField(blank=True, null=True)),
                ('checked_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='system_checks', to='requests.privacyrequest')),
                ('system', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='checks', to='requests.companysystem')),
            ],
            options={
                'ordering': ['request_id', 'system__name'],
            },
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying'])), fields=['effective_due_at', 'id'], name='pr_open_due'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying'])), fields=['status', 'effective_due_at'], name='pr_open_status_due'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying'])), fields=['assignee', 'effective_due_at'], name='pr_open_assignee_due'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying'])), fields=['kind', 'effective_due_at'], name='pr_open_kind_due'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying'])), fields=['governing_regime', 'effective_due_at'], name='pr_open_regime_due'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying']), ('extended', False)), fields=['due_at'], name='pr_open_unext_due'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['awaiting_requester', 'fee_pending', 'in_progress', 'new', 'open', 'verifying']), ('acknowledge_by__isnull', False), models.Q(('channel', 'web'), _negated=True)), fields=['id'], name='pr_open_to_acknowledge'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(django.db.models.functions.text.Upper('reference'), name='pr_reference_upper'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(fields=['received_at'], name='pr_received'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(fields=['kind', 'closed_at'], name='pr_kind_closed'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status__in', ['completed', 'denied'])), fields=['closed_at'], name='pr_answered_closed'),
        ),
        migrations.AddIndex(
            model_name='privacyrequest',
            index=models.Index(condition=models.Q(('status', 'new')), fields=['received_at'], name='pr_new_received'),
        ),
        migrations.AddConstraint(
            model_name='letter',
            constraint=models.UniqueConstraint(fields=('request', 'kind', 'for_event'), name='one_letter_per_event'),
        ),
        migrations.AddConstraint(
            model_name='notice',
            constraint=models.UniqueConstraint(fields=('request', 'kind'), name='notice_once_per_kind'),
        ),
        migrations.AddIndex(
            model_name='packet',
            index=models.Index(condition=models.Q(('status', 'released')), fields=['expires_at'], name='packet_released_expiry'),
        ),
        migrations.AddConstraint(
            model_name='requestevent',
            constraint=models.UniqueConstraint(fields=('request', 'seq'), name='event_one_per_seq'),
        ),
        migrations.AddConstraint(
            model_name='systemcheck',
            constraint=models.UniqueConstraint(fields=('request', 'system'), name='one_check_per_system'),
        ),
        # Backwards: dropping the table is all there is to undo.
        migrations.RunPython(open_ledger, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
