"""Periodic safety net: settle the holds of jobs that ended without being captured or released.

The worker settles a job when it finishes and the sweeper when it gives up on one
(billing.ledger.settle / release); this catches a process that died between finishing the job
and settling it. Settling is idempotent, so running alongside them is safe.
"""

from __future__ import annotations

import logging

from celery import shared_task

from billing.ledger import settle
from billing.models import LedgerEntry

log = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def settle_finished_jobs(limit: int = 500) -> int:
    """Capture succeeded and release failed jobs that still hold credits; return how many."""
    from studio.models import Job

    codes = LedgerEntry.objects.open_holds().values_list("job_code", flat=True)[:limit]
    done = Job.objects.filter(
        code__in=list(codes), status__in=[Job.Status.SUCCEEDED, Job.Status.FAILED]
    )
    count = 0
    for job in done:
        if settle(job) is not None:
            log.info("Settled the hold of job %s (%s) after the fact", job.code, job.status)
            count += 1
    return count
