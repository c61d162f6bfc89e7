"""Checking uploads: cheap decodes in the request, everything heavier on a worker.

The web process does bounded work per file (issue 8, point 13): it reads the headers
(studio.imaging.load.probe) and decodes only what fits the request's memory budget
(STUDIO_UPLOAD_DECODE_BUDGET_BYTES, counted with studio.imaging.budget.decode_cost) — JPEGs
at 1/8 scale (DCT draft), small images whole. Such an upload is "ready" at once. A file
too heavy for that is stored "pending" and a worker decodes it (assets.tasks.make_thumbnail,
under STUDIO_WORKER_DECODE_BUDGET_BYTES) while making its thumbnail: it becomes "ready", or
"refused" with the reason and its stored object deleted, so it costs nothing.

The asset row is the outbox of that check: it is committed first, then published with no
retry and broker errors only logged (`publish_checks`), and the beat task
assets.tasks.sweep_unchecked_uploads publishes again what no worker has finished.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import IO

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from assets.models import Asset
from studio.celery import connection_tried_once
from studio.imaging.budget import decode_cost
from studio.imaging.errors import ImageError
from studio.imaging.load import ImageInfo, decode

log = logging.getLogger(__name__)

#: Seconds a web process stops trying the broker after it failed: the sweep sends the checks
#: later, and each try against a broker that is down costs the request about a second.
BROKER_PAUSE_SECONDS = 10.0
_broker_down_until = 0.0

KILLED_WORKERS = (
    "We could not read this image: reading it stopped our image worker {n} times. "
    "Open it in another app, save it again (smaller, or at 8 bits per channel), and upload "
    "the new copy."
)


@dataclass
class DecodeBudget:
    """Bytes of decoding the web process may still spend on one request's uploads.

    Starts at STUDIO_UPLOAD_DECODE_BUDGET_BYTES (settings) and shrinks by each decode's
    studio.imaging.budget.decode_cost; a file whose cost does not fit is left to a worker.
    """

    remaining: int

    @classmethod
    def for_request(cls) -> DecodeBudget:
        """Return a full budget (STUDIO_UPLOAD_DECODE_BUDGET_BYTES)."""
        return cls(settings.STUDIO_UPLOAD_DECODE_BUDGET_BYTES)

    def take(self, cost: int) -> bool:
        """Spend ``cost`` bytes and return True if they fit; otherwise spend nothing."""
        if cost > self.remaining:
            return False
        self.remaining -= cost
        return True


def check_in_request(upload: IO[bytes], info: ImageInfo, budget: DecodeBudget) -> str:
    """Decode an upload now if the budget allows; return the asset status it starts with.

    upload: the file, positioned anywhere (rewound here). info: its probe. Returns
    Asset.Status.READY when it was decoded (at 1/8 scale for JPEGs, whole for the rest),
    Asset.Status.PENDING when the decode would not fit the budget and a worker must do it.
    Raises ImageError for damaged or truncated pixel data.
    """
    min_size = (1, 1)  # JPEG: the 1/8 DCT draft; it still reads every entropy-coded byte
    if not budget.take(decode_cost(info, min_size=min_size)):
        return Asset.Status.PENDING
    upload.seek(0)
    decode(upload, max_pixels=settings.STUDIO_MAX_PIXELS, min_size=min_size)
    return Asset.Status.READY


def publish_checks(asset_ids: Sequence[int], *, force: bool = False) -> int:
    """Hand the checks of these uploads to the broker; return how many were sent.

    Never raises for a broker that is down: the error is logged, the assets stay in the
    outbox (Asset.objects.awaiting_check) and the sweep sends them later. One connection
    for all, tried once (no retries), so a request is held at most about a second; after a
    failure the process skips the broker for BROKER_PAUSE_SECONDS unless ``force``.
    """
    global _broker_down_until
    from assets.tasks import make_thumbnail

    if not asset_ids or (not force and time.monotonic() < _broker_down_until):
        return 0
    sent: list[int] = []
    try:
        with connection_tried_once() as connection:
            for asset_id in asset_ids:
                make_thumbnail.apply_async((asset_id,), connection=connection, retry=False)
                sent.append(asset_id)
    except Exception as exc:  # kombu wraps transport errors unevenly; none may fail the upload
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        log.warning(
            "%d upload check(s) not handed to the broker (the sweep sends them): %s",
            len(asset_ids) - len(sent),
            exc,
        )
    if sent:
        Asset.objects.filter(pk__in=sent).update(check_published_at=timezone.now())
    return len(sent)


def publish_after_commit(asset_ids: Sequence[int]) -> None:
    """Publish the checks of these uploads once the transaction storing them commits."""
    ids = list(asset_ids)
    if ids:
        transaction.on_commit(lambda: publish_checks(ids))


def unpublished_checks(now=None) -> list[int]:
    """Return the ids of uploads whose check must be sent (again), oldest first.

    Those still unchecked STUDIO_UPLOAD_CHECK_GRACE_SECONDS after upload that were never
    handed to the broker (it was down) or were handed over more than
    STUDIO_UPLOAD_CHECK_REPUBLISH_SECONDS ago (the message was lost, or its worker died).
    At most 500 per call.
    """
    now = now or timezone.now()
    grace = timedelta(seconds=settings.STUDIO_UPLOAD_CHECK_GRACE_SECONDS)
    again = timedelta(seconds=settings.STUDIO_UPLOAD_CHECK_REPUBLISH_SECONDS)
    due = Q(check_published_at__isnull=True) | Q(check_published_at__lt=now - again)
    return list(
        Asset.objects.awaiting_check()
        .filter(due, created_at__lt=now - grace)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )


def run_check(asset_id: int) -> str:
    """Check one upload on a worker: decode it, make its thumbnail; return the outcome.

    Claims the check by a conditional update (nothing happens for an asset already checked,
    refused or deleted: returns "skipped"), counting deliveries; after
    STUDIO_UPLOAD_CHECK_MAX_DELIVERIES the file is refused, since it stopped every worker
    that took it. The decode is refused above STUDIO_WORKER_DECODE_BUDGET_BYTES. Returns
    "ready" or "refused"; storage errors propagate (the sweep sends the check again).
    """
    from assets.services import make_thumbnail

    claimed = (
        Asset.objects.awaiting_check()
        .filter(pk=asset_id)
        .update(check_deliveries=F("check_deliveries") + 1)
    )
    if not claimed:
        return "skipped"
    asset = Asset.objects.get(pk=asset_id)
    if asset.check_deliveries > settings.STUDIO_UPLOAD_CHECK_MAX_DELIVERIES:
        return refuse(asset, KILLED_WORKERS.format(n=asset.check_deliveries - 1))
    try:
        make_thumbnail(asset, max_decode_bytes=settings.STUDIO_WORKER_DECODE_BUDGET_BYTES)
    except ImageError as exc:
        if asset.status == Asset.Status.PENDING:
            return refuse(asset, str(exc))
        # Decoded in the request already (and perhaps used by a job since): keep it.
        log.warning("No thumbnail for asset %s: %s", asset.code, exc)
    Asset.objects.filter(pk=asset.pk).exclude(status=Asset.Status.REFUSED).update(
        status=Asset.Status.READY, checked_at=timezone.now()
    )
    return "ready"


def refuse(asset: Asset, reason: str) -> str:
    """Mark an upload refused with ``reason`` and delete its stored objects; return "refused".

    The row stays, so the upload page can show "refused: <reason>"; it is never usable
    (Asset.objects.usable) nor listed (Asset.objects.listed), and holds no storage.
    """
    names = [name for name in (asset.file.name, asset.thumbnail.name) if name]
    storage = asset.file.storage
    with transaction.atomic():
        Asset.objects.filter(pk=asset.pk).update(
            status=Asset.Status.REFUSED,
            refusal=reason,
            checked_at=timezone.now(),
            file="",
            thumbnail="",
        )
        transaction.on_commit(lambda: [storage.delete(name) for name in names])
    log.info("Refused upload %s: %s", asset.code, reason)
    return "refused"
