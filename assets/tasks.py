"""Worker tasks of the asset library: check uploads (decode, thumbnail), re-send lost checks."""

from __future__ import annotations

import logging

from celery import shared_task

from assets.checks import publish_checks, run_check, unpublished_checks

log = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def make_thumbnail(asset_id: int) -> str:
    """Check one upload: decode it within STUDIO_WORKER_DECODE_BUDGET_BYTES and make its
    thumbnail; a file that does not decode is refused. Returns "ready", "refused" or
    "skipped" (already checked, refused or deleted). See assets.checks.run_check.
    """
    return run_check(asset_id)


@shared_task(ignore_result=True)
def sweep_unchecked_uploads() -> int:
    """Send the broker again the upload checks it never got or lost; return how many.

    Run by beat (CELERY_BEAT_SCHEDULE "check-uploads", every 60 s). The asset row is the
    outbox (Asset.objects.awaiting_check); a check sent twice is claimed once.
    """
    ids = unpublished_checks()
    sent = publish_checks(ids, force=True)
    if ids:
        log.info("Re-sent %d of %d unchecked upload(s) to the broker", sent, len(ids))
    return sent
