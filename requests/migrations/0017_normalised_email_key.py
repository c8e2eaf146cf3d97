# Addresses matched on a normalised form, never UPPER() (issue 15: `victim@gmaıl.com` matched `victim@gmail.com`).

from django.db import migrations, models

from privacyportal.addresses import normalise_email


def fill_email_keys(apps, schema_editor):
    """Every existing case gets the normalised form of its address, in batches (the table may be large)."""
    PrivacyRequest = apps.get_model("requests", "PrivacyRequest")
    batch = []
    for case in PrivacyRequest.objects.only("pk", "requester_email").iterator(chunk_size=2000):
        case.email_key = normalise_email(case.requester_email)
        batch.append(case)
        if len(batch) == 2000:
            PrivacyRequest.objects.bulk_update(batch, ["email_key"])
            batch = []
    PrivacyRequest.objects.bulk_update(batch, ["email_key"])


class Migration(migrations.Migration):

    dependencies = [
        ('requests', '0016_outbox_and_case_insensitive_indexes'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='privacyrequest',
            name='pr_email_upper',
        ),
        migrations.AddField(
            model_name='privacyrequest',
            name='email_key',
            field=models.CharField(db_index=True, default='', editable=False, max_length=320),
        ),
        migrations.RunPython(fill_email_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='privacyrequest',
            name='requester_email',
            field=models.EmailField(max_length=254, verbose_name="requester's email"),
        ),
    ]
