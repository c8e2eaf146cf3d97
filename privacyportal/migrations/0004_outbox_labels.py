# Column labels of the outbox page (issue 24); no schema change.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('privacyportal', '0003_queuedtask_emails_sent'),
    ]

    operations = [
        migrations.AlterField(
            model_name='queuedtask',
            name='args',
            field=models.JSONField(default=list, verbose_name='arguments (ids)'),
        ),
        migrations.AlterField(
            model_name='queuedtask',
            name='created_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='promised'),
        ),
        migrations.AlterField(
            model_name='queuedtask',
            name='delivered_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='delivered'),
        ),
        migrations.AlterField(
            model_name='queuedtask',
            name='name',
            field=models.CharField(max_length=200, verbose_name='task'),
        ),
        migrations.AlterField(
            model_name='queuedtask',
            name='published_at',
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name='last published'),
        ),
        migrations.AlterField(
            model_name='queuedtask',
            name='publishes',
            field=models.PositiveSmallIntegerField(default=1, verbose_name='publishes'),
        ),
        migrations.AlterField(
            model_name='queuedtask',
            name='queue',
            field=models.CharField(blank=True, max_length=40, verbose_name='queue'),
        ),
    ]
