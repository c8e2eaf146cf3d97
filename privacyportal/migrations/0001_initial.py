# The outbox's model moved here from requests/ (issue 16): the table stays `requests_queuedtask`, so this only
# tells Django's state where the model now lives; requests 0003 takes it out of the requests app's state.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("requests", "0002_squashed_0020_audit_truncate_guard"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="QueuedTask",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("task_id", models.UUIDField(unique=True)),
                        ("name", models.CharField(max_length=200)),
                        ("args", models.JSONField(default=list)),
                        ("queue", models.CharField(blank=True, max_length=40)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("published_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("publishes", models.PositiveSmallIntegerField(default=1)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("started_by", models.CharField(blank=True, max_length=120)),
                        ("delivered_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "outbox task",
                        "verbose_name_plural": "outbox tasks",
                        "db_table": "requests_queuedtask",
                        "indexes": [
                            models.Index(condition=models.Q(("delivered_at__isnull", True)), fields=["published_at"], name="queuedtask_undelivered"),
                            models.Index(condition=models.Q(("delivered_at__isnull", False)), fields=["delivered_at"], name="queuedtask_done"),
                        ],
                    },
                ),
            ],
        ),
    ]
