"""The seeded catalog (from shared/PROVIDERS.md), plan features, and the webhook command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from billing.models import CreditPack, OperationPrice, Plan
from billing.models.catalog import seed_catalog

pytestmark = [pytest.mark.django_db]


def test_the_plans_are_seeded_with_credits_mapped_from_images():
    plans = {p.slug: p for p in Plan.objects.all()}
    assert [p.slug for p in Plan.objects.public()] == ["free", "basic", "pro", "enterprise"]
    assert Plan.objects.default() == plans["free"]
    # 10 Core images (3), 50 and 150 Ultra images (8), Enterprise's fair-use grant.
    assert [plans[s].monthly_credits for s in plans] == [30, 400, 1200, 5000]
    assert [str(plans[s].monthly_price) for s in plans] == ["0.00", "19.00", "49.00", "149.00"]
    assert [plans[s].max_video_resolution for s in plans] == [480, 720, 1080, 1080]
    assert plans["pro"].batch and not plans["basic"].batch and plans["enterprise"].api


def test_the_packs_are_seeded():
    packs = [(p.slug, p.credits, str(p.price)) for p in CreditPack.objects.on_sale()]
    assert packs == [
        ("images-25", 200, "9.00"),
        ("images-100", 800, "29.00"),
        ("images-500", 4000, "99.00"),
        ("video-10", 500, "19.00"),
        ("video-50", 2500, "79.00"),
    ]


@pytest.mark.parametrize(
    ("key", "credits", "unit"),
    [
        ("social", 0, "per_image"),
        ("compress", 0, "per_image"),
        ("resize", 0, "per_image"),
        ("convert", 0, "per_image"),
        ("generate-stability-ultra", 8, "per_image"),
        ("generate-stability-sd3.5-large", 7, "per_image"),  # 6.5 rounded up
        ("upscale-stability-creative", 60, "per_image"),
        ("edit-wavespeed-hidream-e1", 3, "per_image"),  # $0.024
        ("caption-wavespeed-image-captioner", 1, "per_image"),  # $0.001
        ("video-wavespeed-wan-2.5-720p", 10, "per_second"),
        ("avatar-wavespeed-infinitetalk-480p", 3, "per_second"),
    ],
)
def test_operation_prices_are_whole_credits_rounded_up(key, credits, unit):
    price = OperationPrice.objects.get(key=key)
    assert (price.credits, price.unit) == (credits, unit)
    if price.provider_cost:
        assert price.credits >= price.provider_cost * 100


def test_plans_match_models_by_pattern():
    free, basic, pro = (Plan.objects.get(slug=s) for s in ("free", "basic", "pro"))
    assert free.allows_model("stability/generate/core")
    assert not free.allows_model("stability/generate/ultra")
    assert basic.allows_model("stability/generate/ultra")
    assert not basic.allows_model("stability/upscale/creative")
    assert pro.allows_model("anything/at-all") and pro.allows_operation("batch")
    assert not basic.allows_operation("batch")


def test_an_emptied_catalog_is_seeded_again_and_edits_are_kept():
    Plan.objects.filter(slug="pro").update(monthly_credits=999)
    seed_catalog()
    assert Plan.objects.get(slug="pro").monthly_credits == 999
    from billing.models import CreditAccount

    CreditAccount.objects.all().delete()
    Plan.objects.all().delete()
    assert Plan.objects.default().slug == "free"
    assert OperationPrice.objects.filter(key="social").exists()


def test_the_webhook_endpoint_command_records_the_signing_secret(stripe_on):
    from djstripe.models import WebhookEndpoint

    out = StringIO()
    call_command(
        "billing_webhook_endpoint",
        id="we_cmd",
        secret="whsec_cmd",
        site="https://studio.example",
        stdout=out,
    )
    endpoint = WebhookEndpoint.objects.get(id="we_cmd")
    assert endpoint.secret == "whsec_cmd"
    assert f"https://studio.example/stripe/webhook/{endpoint.djstripe_uuid}/" in out.getvalue()
    call_command("billing_webhook_endpoint", id="we_cmd", secret="whsec_new", stdout=out)
    endpoint.refresh_from_db()
    assert endpoint.secret == "whsec_new"
    assert WebhookEndpoint.objects.count() == 1
