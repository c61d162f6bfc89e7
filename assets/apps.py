from __future__ import annotations

from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "assets"

    def ready(self) -> None:
        from django.conf import settings
        from PIL import Image

        from assets import signals  # noqa: F401

        # One pixel limit: STUDIO_MAX_PIXELS, checked by studio.imaging.load before any work.
        # Pillow's own guard (a warning at MAX_IMAGE_PIXELS, 89.5 MP by default, an error at
        # twice that) is moved to the same number, so it can never refuse an image under it.
        Image.MAX_IMAGE_PIXELS = settings.STUDIO_MAX_PIXELS
