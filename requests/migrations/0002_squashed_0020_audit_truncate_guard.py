"""The rest of the `requests` app's first-week migrations (0003-0020), squashed (issue 16).

`replaces` lists what this stands for: on a database where those ran, Django records this as applied and runs
nothing. On a new database 0001_squashed_0002_append_only_events has built every table; what is left is what had
to wait for `identity`: a message's attachment, and the staff roles (DESIGN §8), whose permissions span both apps
(0010 and 0012 made them, identity's 0008 added the enrolment links).
"""

import django.db.models.deletion
from django.db import migrations, models

from requests.roles import ROLES, migrate_roles


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):

    replaces = [
        ("requests", "0003_message"),
        ("requests", "0004_identity_details"),
        ("requests", "0005_subject_confirmation"),
        ("requests", "0006_notices"),
        ("requests", "0007_staff_preferences"),
        ("requests", "0008_effective_due_at"),
        ("requests", "0009_case_permissions"),
        ("requests", "0010_roles"),
        ("requests", "0011_register_systems_fees"),
        ("requests", "0012_roles_register"),
        ("requests", "0013_answered_index"),
        ("requests", "0014_letters_packets"),
        ("requests", "0015_heartbeats"),
        ("requests", "0016_outbox_and_case_insensitive_indexes"),
        ("requests", "0017_normalised_email_key"),
        ("requests", "0018_email_key_length"),
        ("requests", "0019_audit_heads"),
        ("requests", "0020_audit_truncate_guard"),
    ]

    dependencies = [
        ('identity', '0001_squashed_0008_staff_enrolment'),
        ('requests', '0001_squashed_0002_append_only_events'),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='attachment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='identity.evidence'),
        ),
        migrations.RunPython(migrate_roles, remove_roles),
    ]
