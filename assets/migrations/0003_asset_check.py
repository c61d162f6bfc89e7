"""Asset status (pending / ready / refused) and the upload-check outbox fields."""

from django.db import migrations, models
from django.db.models import F


def mark_existing_checked(apps, schema_editor):
    """Rows from before the check existed were decoded in the request: they are checked."""
    Asset = apps.get_model("assets", "Asset")
    Asset.objects.filter(checked_at__isnull=True).update(checked_at=F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("assets", "0002_ai_results")]

    operations = [
        migrations.AddField(
            model_name="asset",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Being checked"),
                    ("ready", "Ready"),
                    ("refused", "Refused"),
                ],
                default="ready",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="asset",
            name="refusal",
            field=models.TextField(
                blank=True, help_text="Why the file was refused, for its owner."
            ),
        ),
        migrations.AddField(
            model_name="asset",
            name="checked_at",
            field=models.DateTimeField(
                blank=True, help_text="When a worker decoded it and made its thumbnail.", null=True
            ),
        ),
        migrations.AddField(
            model_name="asset",
            name="check_published_at",
            field=models.DateTimeField(
                blank=True, help_text="When its check was last handed to the broker.", null=True
            ),
        ),
        migrations.AddField(
            model_name="asset",
            name="check_deliveries",
            field=models.PositiveSmallIntegerField(
                default=0,
                help_text="Times a worker took its check (a file that kills workers stops).",
            ),
        ),
        migrations.RunPython(mark_existing_checked, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="asset",
            index=models.Index(
                condition=models.Q(("checked_at__isnull", True), ("module", "upload")),
                fields=["created_at"],
                name="asset_awaiting_check",
            ),
        ),
    ]
