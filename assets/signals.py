from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from assets.models import Asset


@receiver(post_delete, sender=Asset)
def delete_stored_objects(sender, instance: Asset, **kwargs) -> None:
    """Delete the asset's file and thumbnail from storage once the row is gone for good."""
    storage = instance.file.storage
    names = [name for name in (instance.file.name, instance.thumbnail.name) if name]

    def delete() -> None:
        for name in names:
            storage.delete(name)

    transaction.on_commit(delete)
