from __future__ import annotations

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.models import personal_workspace


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_personal_workspace(sender, instance, created: bool, **kwargs) -> None:
    """Give every new user a personal workspace."""
    if created:
        personal_workspace(instance)
