"""The roles gain the register, the systems checklist and logging letters and calls (issue 5)."""

from django.db import migrations

from requests.roles import migrate_roles


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0011_register_systems_fees"),
        ("identity", "0005_extracts"),
    ]

    operations = [migrations.RunPython(migrate_roles, migrations.RunPython.noop)]
