"""Results are held to the same pixel limit as uploads, before any work (issue 8, point 15)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from studio.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_keys(settings):
    """The embedded default: no provider key, so only the local upscaler is offered."""
    settings.PROVIDERS = {
        name: {**entry, "api_key": ""} for name, entry in settings.PROVIDERS.items()
    }
    return settings


def test_an_upscale_landing_above_studio_max_pixels_is_refused_before_the_job(
    owner_client, make_asset, no_keys
):
    source = make_asset("photos/kitty.jpg")
    no_keys.STUDIO_MAX_PIXELS = source.width * source.height * 3  # a 2× upscale makes 4×
    response = owner_client.post(
        reverse("studio-upscale"),
        {"assets": source.code, "model": "upscale-local-lanczos", "factor": 2},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{source.filename} would become {source.width * 2}×{source.height * 2}" in html
    assert "the largest image we keep is" in html and "Pick a smaller factor." in html
    assert not Job.objects.exists()


def test_an_upscale_within_the_limit_still_starts(owner_client, make_asset, no_keys):
    source = make_asset("photos/kitty.jpg")
    no_keys.STUDIO_MAX_PIXELS = source.width * source.height * 4
    response = owner_client.post(
        reverse("studio-upscale"),
        {"assets": source.code, "model": "upscale-local-lanczos", "factor": 2},
    )
    assert response.status_code == 302
    assert Job.objects.count() == 1
