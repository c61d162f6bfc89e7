"""Record the Stripe webhook endpoint dj-stripe verifies signatures with, without calling Stripe.

Create the endpoint in the Stripe dashboard with the URL this command prints (or pass the UUID
already in that URL), then run it with the endpoint's id and signing secret, e.g.
``manage.py billing_webhook_endpoint --id we_123 --secret whsec_abc --site https://app.example``.
Defaults come from STRIPE_WEBHOOK_ENDPOINT_ID, STRIPE_WEBHOOK_SECRET and STRIPE_WEBHOOK_UUID.
"""

from __future__ import annotations

import uuid

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import NoReverseMatch, reverse

from billing.webhooks import HANDLERS
from studio.env import env_secret, env_str


class Command(BaseCommand):
    help = "Create or update dj-stripe's WebhookEndpoint row (id, signing secret, URL UUID)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--id", default=env_str("STRIPE_WEBHOOK_ENDPOINT_ID"))
        parser.add_argument("--secret", default=env_secret("STRIPE_WEBHOOK_SECRET"))
        parser.add_argument("--uuid", default=env_str("STRIPE_WEBHOOK_UUID"))
        parser.add_argument("--site", default=getattr(settings, "SITE_ROOT", ""))
        parser.add_argument("--live", action="store_true", help="A live-mode endpoint.")

    def handle(self, *args, **options) -> None:
        if not apps.is_installed("djstripe"):
            raise CommandError('Add "djstripe" to INSTALLED_APPS first.')
        if not options["id"] or not options["secret"]:
            raise CommandError("Give the endpoint's id (we_...) and signing secret (whsec_...).")
        from djstripe.models import WebhookEndpoint

        existing = WebhookEndpoint.objects.filter(id=options["id"]).first()
        if options["uuid"]:
            endpoint_uuid = uuid.UUID(options["uuid"])
        else:  # keep the URL Stripe already posts to
            endpoint_uuid = existing.djstripe_uuid if existing else uuid.uuid4()
        try:
            path = reverse("djstripe:djstripe_webhook_by_uuid", args=[endpoint_uuid])
        except NoReverseMatch:
            raise CommandError(
                'Mount dj-stripe: path("stripe/", include("djstripe.urls", namespace="djstripe")).'
            ) from None
        url = options["site"].rstrip("/") + path
        endpoint, created = WebhookEndpoint.objects.update_or_create(
            id=options["id"],
            defaults={
                "secret": options["secret"],
                "djstripe_uuid": endpoint_uuid,
                "url": url,
                "enabled_events": sorted(HANDLERS),
                "status": "enabled",
                "livemode": options["live"],
                "api_version": getattr(settings, "STRIPE_API_VERSION", ""),
            },
        )
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} webhook endpoint {endpoint.id}: {url}")
        self.stdout.write("Events to send: " + ", ".join(sorted(HANDLERS)))
