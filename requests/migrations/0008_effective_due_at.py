"""Denormalise the date in force so the queue and the sweeps sort and select on one indexed column."""

from django.db import migrations, models
from django.db.models import Case, F, Q, When


def backfill(apps, schema_editor):
    PrivacyRequest = apps.get_model("requests", "PrivacyRequest")
    PrivacyRequest.objects.update(
        effective_due_at=Case(When(extended=True, then=F("extended_due_at")), default=F("due_at"))
    )


OPEN = Q(status__in=["awaiting_requester", "fee_pending", "in_progress", "new", "open", "verifying"])


class Migration(migrations.Migration):
    dependencies = [("requests", "0007_staff_preferences")]

    operations = [
        migrations.AddField(
            model_name="privacyrequest", name="effective_due_at", field=models.DateField(null=True, verbose_name="due")
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="privacyrequest", name="effective_due_at", field=models.DateField(verbose_name="due")
        ),
        migrations.AlterModelOptions(
            name="privacyrequest",
            options={
                "ordering": ["effective_due_at", "id"],
                "verbose_name": "privacy request",
                "verbose_name_plural": "privacy requests",
            },
        ),
        migrations.RemoveIndex(model_name="privacyrequest", name="pr_open_due"),
        migrations.RemoveIndex(model_name="privacyrequest", name="pr_open_status_due"),
        migrations.RemoveIndex(model_name="privacyrequest", name="pr_open_assignee_due"),
        migrations.RemoveIndex(model_name="privacyrequest", name="pr_open_kind_due"),
        migrations.RemoveIndex(model_name="privacyrequest", name="pr_open_regime_due"),
        migrations.RemoveIndex(model_name="privacyrequest", name="pr_open_ext_due"),
        migrations.AddIndex(
            model_name="privacyrequest",
            index=models.Index(condition=OPEN, fields=["effective_due_at", "id"], name="pr_open_due"),
        ),
        migrations.AddIndex(
            model_name="privacyrequest",
            index=models.Index(condition=OPEN, fields=["status", "effective_due_at"], name="pr_open_status_due"),
        ),
        migrations.AddIndex(
            model_name="privacyrequest",
            index=models.Index(condition=OPEN, fields=["assignee", "effective_due_at"], name="pr_open_assignee_due"),
        ),
        migrations.AddIndex(
            model_name="privacyrequest",
            index=models.Index(condition=OPEN, fields=["kind", "effective_due_at"], name="pr_open_kind_due"),
        ),
        migrations.AddIndex(
            model_name="privacyrequest",
            index=models.Index(
                condition=OPEN, fields=["governing_regime", "effective_due_at"], name="pr_open_regime_due"
            ),
        ),
        migrations.AddIndex(
            model_name="privacyrequest",
            index=models.Index(condition=OPEN & Q(extended=False), fields=["due_at"], name="pr_open_unext_due"),
        ),
    ]
