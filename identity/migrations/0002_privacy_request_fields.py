# One name for the case in code (issue 16): foreign keys `request` become `privacy_request`. Only Django's state
# changes: each column keeps its name, request_id (db_column), which the audit triggers and raw SQL use, and every
# constraint and index keeps its name and columns, so no SQL runs.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0001_squashed_0008_staff_enrolment"),
        ("requests", "0004_privacy_request_fields"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="emailchallenge",
                    name="request",
                    field=models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="email_challenges",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(
                    model_name="emailchallenge", old_name="request", new_name="privacy_request"
                ),
                migrations.AlterField(
                    model_name="evidence",
                    name="request",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="evidence",
                        to="requests.privacyrequest",
                        db_column="request_id",
                        verbose_name="request",
                    ),
                ),
                migrations.RenameField(model_name="evidence", old_name="request", new_name="privacy_request"),
                migrations.RemoveIndex(
                    model_name="emailchallenge",
                    name="challenge_latest",
                ),
                migrations.AddIndex(
                    model_name="emailchallenge",
                    index=models.Index(fields=["privacy_request", "-created_at"], name="challenge_latest"),
                ),
            ],
        ),
    ]
