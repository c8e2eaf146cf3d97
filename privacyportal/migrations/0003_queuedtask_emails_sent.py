from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('privacyportal', '0002_key_check'),
    ]

    operations = [
        migrations.AddField(
            model_name='queuedtask',
            name='emails_sent',
            field=models.PositiveSmallIntegerField(default=0),
        ),
    ]
