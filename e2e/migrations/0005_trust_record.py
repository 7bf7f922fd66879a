from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("e2e", "0004_rotation_schedule"),
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
