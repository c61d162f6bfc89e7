"""Template tags of the asset library."""

from __future__ import annotations

from django import template

from assets.downloads import thumbnail_src as _thumbnail_src
from assets.models import Asset

register = template.Library()


@register.simple_tag
def thumbnail_src(asset: Asset) -> str:
    """The <img src> of an asset's thumbnail: served by storage, not by a Django request.

    See assets.downloads.thumbnail_src. Only call it for an asset that has a thumbnail.
    """
    return _thumbnail_src(asset)
