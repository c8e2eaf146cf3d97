"""The `identity` app's schema as its 8 migrations of 0.1's first week left it, in one step (issue 16).

`replaces` lists what this stands for: on a database where those ran, Django records this as applied and runs
nothing. 0008 also gave the DPO role the enrolment permissions: the roles are made once, after both apps'
models, by requests/0002_squashed_0020_audit_truncate_guard.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    replaces = [
        ("identity", "0001_initial"),
        ("identity", "0002_evidence"),
        ("identity", "0003_alter_emailchallenge_purpose"),
        ("identity", "0004_subject_confirmation"),
        ("identity", "0005_extracts"),
        ("identity", "0006_download_challenge"),
        ("identity", "0007_api_tokens"),
        ("identity", "0008_staff_enrolment"),
    ]

    dependencies = [
        ('requests', '0001_squashed_0002_append_only_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ApiToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(help_text='What uses it, e.g. “Zoho CRM sync”.', max_length=100, verbose_name='name')),
                ('prefix', models.CharField(max_length=12, unique=True)),
                ('digest', models.CharField(max_length=64)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField(verbose_name='expires')),
                ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='last used')),
                ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='revoked')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='owner')),
            ],
            options={
                'verbose_name': 'API token',
                'verbose_name_plural': 'API tokens',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Evidence',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('agent_permission', 'Signed permission for an agent'), ('parent_authority', 'Proof of parental responsibility'), ('id_document', 'Identity document'), ('attachment', 'Attachment'), ('extract', 'Extract from a company system')], max_length=20)),
                ('name', models.CharField(max_length=100)),
                ('content_type', models.CharField(max_length=40)),
                ('size', models.PositiveIntegerField()),
                ('sha256', models.CharField(max_length=64)),
                ('stored_name', models.CharField(max_length=50, unique=True)),
                ('uploaded_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('purged_at', models.DateTimeField(blank=True, null=True)),
                ('request', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='evidence', to='requests.privacyrequest')),
                ('system', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='extracts', to='requests.companysystem')),
            ],
            options={
                'verbose_name_plural': 'evidence',
            },
        ),
        migrations.CreateModel(
            name='StaffEnrolment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token_hash', models.CharField(editable=False, max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='sent')),
                ('expires_at', models.DateTimeField(editable=False, verbose_name='expires')),
                ('used_at', models.DateTimeField(blank=True, editable=False, null=True, verbose_name='used')),
                ('created_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='sent by')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='member of staff')),
            ],
            options={
                'verbose_name': 'two-factor enrolment link',
                'verbose_name_plural': 'two-factor enrolment links',
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='EmailChallenge',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('purpose', models.CharField(choices=[('verify_request', 'Verify Request'), ('sign_in', 'Sign In'), ('subject_confirm', 'Subject Confirm'), ('download', 'Download')], max_length=20)),
                ('code_hash', models.CharField(max_length=64)),
                ('token_hash', models.CharField(max_length=64, unique=True)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('attempts', models.PositiveSmallIntegerField(default=0)),
                ('used_at', models.DateTimeField(blank=True, null=True)),
                ('request', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='email_challenges', to='requests.privacyrequest')),
            ],
            options={
                'indexes': [models.Index(fields=['request', '-created_at'], name='challenge_latest')],
            },
        ),
    ]
