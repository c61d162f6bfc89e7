"""Worker tasks of the asset library."""

from __future__ import annotations

import logging

from celery import shared_task

from assets.models import Asset
from assets.services import make_thumbnail as render_thumbnail
from studio.imaging.errors import ImageError

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def make_thumbnail(asset_id: int) -> None:
    """Make the library thumbnail of one asset; a deleted asset or unreadable file is skipped."""
    asset = Asset.objects.filter(pk=asset_id).first()
    if asset is None:
        return
    try:
        render_thumbnail(asset)
    except ImageError as exc:
        log.warning("No thumbnail for asset %s: %s", asset.code, exc)
