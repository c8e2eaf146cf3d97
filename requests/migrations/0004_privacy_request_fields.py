# One name for the case in code (issue 16): foreign keys `request` become `privacy_request`. Only Django's state
# changes: each column keeps its name, request_id (db_column), which the audit triggers and raw SQL use, and every
# constraint and index keeps its name and columns, so no SQL runs.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("requests", "0003_queuedtask_to_privacyportal")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="requestevent",
                    name="request",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(
                    model_name="requestevent", old_name="request", new_name="privacy_request"
                ),
                migrations.AlterField(
                    model_name="audithead",
                    name="request",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.PROTECT,
                        primary_key=True,
                        related_name="audit_head",
                        serialize=False,
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(
                    model_name="audithead", old_name="request", new_name="privacy_request"
                ),
                migrations.AlterField(
                    model_name="message",
                    name="request",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(model_name="message", old_name="request", new_name="privacy_request"),
                migrations.AlterField(
                    model_name="notice",
                    name="request",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="notices",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(model_name="notice", old_name="request", new_name="privacy_request"),
                migrations.AlterField(
                    model_name="systemcheck",
                    name="request",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="system_checks",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(
                    model_name="systemcheck", old_name="request", new_name="privacy_request"
                ),
                migrations.AlterField(
                    model_name="letter",
                    name="request",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="letters",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(model_name="letter", old_name="request", new_name="privacy_request"),
                migrations.AlterField(
                    model_name="packet",
                    name="request",
                    field=models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="packet",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(model_name="packet", old_name="request", new_name="privacy_request"),
                migrations.AlterModelOptions(
                    name="letter",
                    options={"ordering": ["privacy_request_id", "created_at", "id"]},
                ),
                migrations.AlterModelOptions(
                    name="message",
                    options={"ordering": ["privacy_request_id", "created_at", "id"]},
                ),
                migrations.AlterModelOptions(
                    name="requestevent",
                    options={
                        "ordering": ["privacy_request_id", "seq"],
                        "verbose_name": "audit event",
                        "verbose_name_plural": "audit trail",
                    },
                ),
                migrations.AlterModelOptions(
                    name="systemcheck",
                    options={"ordering": ["privacy_request_id", "system__name"]},
                ),
                migrations.RemoveConstraint(
                    model_name="letter",
                    name="one_letter_per_event",
                ),
                migrations.RemoveConstraint(
                    model_name="notice",
                    name="notice_once_per_kind",
                ),
                migrations.RemoveConstraint(
                    model_name="requestevent",
                    name="event_one_per_seq",
                ),
                migrations.RemoveConstraint(
                    model_name="systemcheck",
                    name="one_check_per_system",
                ),
                migrations.AddConstraint(
                    model_name="letter",
                    constraint=models.UniqueConstraint(
                        fields=("privacy_request", "kind", "for_event"), name="one_letter_per_event"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="notice",
                    constraint=models.UniqueConstraint(
                        fields=("privacy_request", "kind"), name="notice_once_per_kind"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="requestevent",
                    constraint=models.UniqueConstraint(
                        fields=("privacy_request", "seq"), name="event_one_per_seq"
                    ),
                ),
                migrations.AddConstraint(
                    model_name="systemcheck",
                    constraint=models.UniqueConstraint(
                        fields=("privacy_request", "system"), name="one_check_per_system"
                    ),
                ),
            ],
        ),
    ]
