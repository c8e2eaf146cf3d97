# The outbox's model now lives in privacyportal/ (issue 16); its table and rows stay where they are.

from django.db import migrations


def move_content_type(apps, schema_editor):
    # Django made this row when the model was requests'; moved, the admin's history and any permission follow it.
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="privacyportal", model="queuedtask").exists():
        ContentType.objects.filter(app_label="requests", model="queuedtask").update(app_label="privacyportal")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label="privacyportal", model="queuedtask").update(app_label="requests")


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("requests", "0002_squashed_0020_audit_truncate_guard"),
        ("privacyportal", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="QueuedTask")]),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
