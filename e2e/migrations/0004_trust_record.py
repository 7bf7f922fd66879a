from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("e2e", "0003_room_state_chain"),
    ]

    operations = [
        migrations.AddField(
            model_name="useridentity",
            name="trust_record",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="useridentity",
            name="trust_version",
            field=models.PositiveBigIntegerField(default=0),
        ),
    ]
