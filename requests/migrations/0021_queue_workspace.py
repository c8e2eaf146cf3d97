"""Saved queue views, and the staff search's trigram indexes on PostgreSQL (names and what was asked).

The indexes are on UPPER(column::text), the expression Django's `icontains` compares on PostgreSQL, so the queue's
search (requests/selectors/queue.py) reads them instead of every case. SQLite (the embedded run) has no pg_trgm
and searches without them.
"""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

SEARCHED = ("requester_name", "subject_name", "details")


def create_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in SEARCHED:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS pr_{column}_trgm ON requests_privacyrequest "
            f"USING gin (UPPER({column}::text) gin_trgm_ops)"
        )


def drop_trigram_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in SEARCHED:
        schema_editor.execute(f"DROP INDEX IF EXISTS pr_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0020_written_after_closing"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="SavedView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=80, verbose_name="name")),
                ("query", models.CharField(blank=True, max_length=500, verbose_name="filters")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "owner",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="saved_views",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "saved view",
                "verbose_name_plural": "saved views",
                "constraints": [
                    models.UniqueConstraint(fields=("owner", "name"), name="saved_view_owner_name")
                ],
            },
        ),
        migrations.RunPython(create_trigram_indexes, drop_trigram_indexes),
    ]
