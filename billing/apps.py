from __future__ import annotations

from django.apps import AppConfig, apps


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        """Connect the Stripe webhook receivers when dj-stripe is installed."""
        if apps.is_installed("djstripe"):
            from billing import webhooks

            webhooks.connect()
