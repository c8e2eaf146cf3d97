"""The staff roles (DESIGN §8): DPO, Handler and Auditor groups with their permissions."""

from django.db import migrations

from requests.roles import ROLES, migrate_roles


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("requests", "0009_case_permissions"),
        ("identity", "0004_subject_confirmation"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(migrate_roles, remove_roles)]
