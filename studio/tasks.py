"""Celery tasks: run one job, hand the broker the jobs it lost, and sweep jobs past deadline.

The job row is both the outbox and the lock. A job is started by committing a queued row;
:func:`publish` then hands it to the broker, and a broker that is down only delays it, since
:func:`recover_jobs` hands queued jobs to the broker again until a worker claims them. A
worker claims a job by a conditional update that gives it a *lease* (a token and a time); a
heartbeat thread renews the lease while the job runs. A lease that runs out means its worker
died (SIGKILL, OOM, a lost machine): :func:`recover_jobs` gives the job a new lease and sends
it out again, and the operation resumes from what it checkpointed on the row (predictions
submitted, slots done). Only the holder of the current lease may end a job.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from billing.ledger import release, settle
from billing.models import LedgerEntry
from studio.celery import connection_tried_once
from studio.models import Job
from studio.operations import OperationError, get_operation

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side while processing this job. Nothing was lost; please try again."
WAITING = "Waiting for a worker: the job queue is not reachable right now. It starts on its own as soon as it is."
LOST = (
    "The worker running this job stopped {attempts} times before it could finish, so we stopped "
    "trying. Nothing was charged; please try again, and contact us if it happens again."
)


def publish(job: Job, *, lease: str = "", countdown: float = 0) -> bool:
    """Hand ``job`` to the broker on its operation's queue; return False if it is unreachable.

    Never raises for a broker that is down or refuses the message: the job stays queued (or
    keeps its lease, for a resume) and :func:`recover_jobs` sends it again. Without ``lease``
    this is the first run's message, and ``published_at`` records when it was sent; with
    one, a resume of a running job that only the holder of that lease may run.
    """
    options = {
        "queue": get_operation(job.operation).queue_for(job.specs),
        "retry": False,  # a broker that is down must not hold up the request starting the job
    }
    if countdown:
        options["countdown"] = countdown
    try:
        with connection_tried_once() as connection:
            kwargs = {"lease": lease} if lease else {}
            run_job.apply_async((job.pk,), kwargs, connection=connection, **options)
    except (OperationalError, OSError) as exc:
        log.warning("Job %s not handed to the broker (it will be sent again): %s", job.code, exc)
        if not lease:
            Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED, message="").update(
                message=WAITING
            )
        return False
    if not lease:
        Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(published_at=timezone.now())
    return True


@contextmanager
def heartbeat(job: Job, every: float | None = None) -> Iterator[threading.Event]:
    """Renew ``job``'s lease every ``every`` seconds (STUDIO_JOB_HEARTBEAT_SECONDS) on a
    thread of its own, for as long as the block runs.

    Yields an Event that is set if the lease was lost (another run took the job over after
    this one missed its heartbeats); the caller must then not end the job. Database errors
    are logged and the beat goes on: a short outage only shortens the lease.
    """
    interval = settings.STUDIO_JOB_HEARTBEAT_SECONDS if every is None else every
    stop, lost = threading.Event(), threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(interval):
                try:
                    if not job.renew_lease():
                        lost.set()
                        return
                except Exception:
                    log.exception("Heartbeat of job %s failed", job.code)
        finally:
            connections.close_all()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield lost
    finally:
        stop.set()
        thread.join()


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(self, job_id: int, lease: str = "") -> None:
    """Claim the job (or, with ``lease``, resume it) and run its operation.

    A job already claimed, ended, or held under another lease is left alone, so duplicate
    and redelivered messages do nothing. Every run counts as an attempt until it returns; a
    job whose worker died STUDIO_JOB_MAX_ATTEMPTS times (e.g. a file that kills the decoder)
    is failed with its credits released instead of being run again.
    """
    from studio.operations.ai import ResumeLater

    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    if lease:
        if not job.take_over(lease):
            return
    elif not job.claim():
        return
    if job.attempts > settings.STUDIO_JOB_MAX_ATTEMPTS:
        message = LOST.format(attempts=job.attempts - 1)
        with transaction.atomic():  # the job ends and its hold is released together
            if job.finish(Job.Status.FAILED, message, lease=job.lease):
                release(job, reason=message)
        return
    with heartbeat(job) as lost:
        try:
            message = get_operation(job.operation).run(job)
        except ResumeLater as exc:
            resumes = job.params.get("resumes", 0)
            if resumes < settings.STUDIO_JOB_RESUMES:
                job.save_param("resumes", value=resumes + 1)
                job.report_progress(job.progress, str(exc))
                delay = settings.STUDIO_JOB_RESUME_SECONDS * 2**resumes
                if not lost.is_set() and job.hand_back(delay):
                    publish(job, lease=job.lease, countdown=delay)
                return
            status, message = Job.Status.FAILED, str(exc)
        except OperationError as exc:
            status, message = Job.Status.FAILED, str(exc)
        except Exception:
            log.exception("Job %s failed unexpectedly", job.code)
            status, message = Job.Status.FAILED, UNEXPECTED
        else:
            status = Job.Status.SUCCEEDED
    # Only the holder ends the job; in the same transaction the hold is captured on success,
    # released otherwise, exactly once (idempotent keys): no page sees an ended job still
    # holding credits.
    with transaction.atomic():
        if job.finish(status, message, lease=job.lease):
            settle(job)


@shared_task(ignore_result=True)
def recover_jobs() -> dict[str, int]:
    """Send the broker every queued job it lost or never got, and resume every running job
    whose worker stopped renewing its lease; return the counts ({"published", "resumed"}).

    Run by beat every 30 s. A resumed job gets a new lease first, so the run that lost it
    (if it was only slow) can no longer end it, and its message, sent again, does nothing.
    """
    now = timezone.now()
    published = sum(publish(job) for job in Job.objects.unpublished(now))
    resumed = 0
    lease_for = timedelta(seconds=settings.STUDIO_JOB_LEASE_SECONDS)
    for job in Job.objects.lost(now):
        lease = uuid.uuid4().hex
        taken = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, lease=job.lease).update(
            lease=lease, lease_until=now + lease_for
        )
        if taken:
            job.lease = lease
            resumed += publish(job, lease=lease)
    return {"published": published, "resumed": resumed}


@shared_task(ignore_result=True)
def sweep_stuck_jobs() -> int:
    """Fail every job still queued or running past its deadline; return how many."""
    count = 0
    for job in Job.objects.stuck():
        message = "This job did not finish in time and was stopped. Nothing was charged; please try again."
        with transaction.atomic():
            if job.finish(Job.Status.FAILED, message):
                release(job, reason=message)
                count += 1
    return count


@shared_task(ignore_result=True)
def settle_finished_jobs(limit: int = 500) -> int:
    """Capture succeeded and release failed jobs that still hold credits; return how many.

    The periodic safety net (beat, every 5 minutes): the worker settles a job when it ends
    and the sweeper when it gives up on one; this catches a process that died between ending
    the job and settling it. Settling is idempotent, so running alongside them is safe.
    """
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
