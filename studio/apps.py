from __future__ import annotations

from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Studio"

    def ready(self) -> None:
        # The Celery app, so that every @shared_task binds to it in web processes too
        # (Celery's Django guide loads it from the project package's __init__; loading it
        # here keeps `import studio.imaging` free of Django and Celery). Then tell billing
        # which studios the product has, so plans show only those (billing does not import
        # the studio).
        from billing.models.catalog import PRODUCT_OPERATIONS
        from studio import celery  # noqa: F401
        from studio.operations import registered

        PRODUCT_OPERATIONS.update({operation.name: operation.label for operation in registered()})
