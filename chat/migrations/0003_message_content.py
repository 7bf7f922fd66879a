from django.db import migrations, models

BATCH = 1000


def backfill(apps, schema_editor):
    """Give every stored plaintext text message its content object (docs/PROTOCOL.md "Message
    content"): the text from ``body``, the mentions from its Mention rows (a row without a user:
    @here / @all). System, encrypted and deleted messages keep none."""
    Message = apps.get_model("chat", "Message")
    Mention = apps.get_model("chat", "Mention")
    rows = Message.objects.filter(
        kind="text", payload__isnull=True, deleted=False, content__isnull=True
    ).order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        mentioned: dict[int, tuple[set[int], bool]] = {m.pk: (set(), False) for m in batch}
        for message_id, user_id in Mention.objects.filter(message__in=batch).values_list(
            "message_id", "user_id"
        ):
            ids, _ = mentioned[message_id]
            if user_id is None:
                mentioned[message_id] = (ids, True)
            else:
                ids.add(user_id)
        for message in batch:
            ids, everyone = mentioned[message.pk]
            message.content = {
                "v": 1,
                "text": message.body,
                "format": "markdown",
                "mentions": [str(pk) for pk in sorted(ids)],
                "mention_all": everyone,
            }
        Message.objects.bulk_update(batch, ["content"])
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0002_notifications"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="content",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
