"""Fixtures of the asset tests: renditions, thumbnails, and a client logged in as anyone."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile

from assets.models import Asset
from assets.services import store_rendition
from tests.conftest import CORPUS

#: A real 128×128 WebP from the corpus, standing in for rendered thumbnails and renditions.
WEBP = (CORPUS / "edge/hopper.webp").read_bytes()


@pytest.fixture
def make_rendition(owner):
    """Store a WebP rendition of ``source`` as a studio module would (store_rendition)."""

    def make(source: Asset, spec: str = "width-128|format-webp", module: str = "social") -> Asset:
        rendition = SimpleNamespace(
            data=WEBP,
            width=128,
            height=128,
            format="webp",
            has_alpha=False,
            quality=80,
            encodes=1,
            notes=["Resized to 128 pixels wide"],
        )
        return store_rendition(
            source=source, spec=spec, rendition=rendition, module=module, user=owner
        )

    return make


@pytest.fixture
def add_thumbnail():
    """Give an asset a stored thumbnail, as the worker's make_thumbnail task would."""

    def add(asset: Asset) -> Asset:
        asset.thumbnail.save("thumb", ContentFile(WEBP), save=True)
        return asset

    return add


@pytest.fixture
def client_as(client, request):
    """Return the test client logged in as "owner", "teammate", "outsider", or "anonymous"."""

    def login(who: str):
        if who != "anonymous":
            client.force_login(request.getfixturevalue(who))
        return client

    return login
