# The signed room-state chain (docs/PROTOCOL.md §15) replaces membership attestations and the
# server's record of who started a room's encryption: both are now entries of the chain.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('chat', '0001_initial'),
        ('e2e', '0002_remove_key_change_policy'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.DeleteModel(name='MembershipAttestation'),
        migrations.RemoveField(model_name='encryptedroom', name='encrypted_by'),
        migrations.CreateModel(
            name='RoomStateEntry',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('index', models.PositiveIntegerField()),
                ('entry', models.JSONField()),
                ('hash', models.CharField(max_length=43)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('room', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='e2e_state', to='chat.room')),
            ],
            options={
                'verbose_name_plural': 'room state entries',
                'constraints': [models.UniqueConstraint(fields=('room', 'index'), name='roomstate_unique_index')],
            },
        ),
    ]
