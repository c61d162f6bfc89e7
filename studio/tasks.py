"""Celery tasks: run one job, and sweep jobs stuck past their deadline. Nothing else."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings

from billing.ledger import release, settle
from studio.models import Job
from studio.operations import OperationError, get_operation

log = logging.getLogger(__name__)

UNEXPECTED = "Something went wrong on our side while processing this job. Nothing was lost; please try again."


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_job(self, job_id: int, resume: bool = False) -> None:
    """Claim the job and run its operation; a job already claimed is left alone.

    A job is run again while running (``resume``) when its operation asked to come back later
    (a submitted prediction whose result could not be fetched yet) or when the broker
    redelivers the task of a worker that died; operations keep on the job row what they must
    not do twice (studio.operations.ai).
    """
    from studio.operations.ai import ResumeLater

    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    if resume or redelivered:
        if job.status != Job.Status.RUNNING:
            return
    elif not job.claim():
        return
    try:
        message = get_operation(job.operation).run(job)
    except ResumeLater as exc:
        resumes = job.params.get("resumes", 0)
        if resumes < settings.STUDIO_JOB_RESUMES:
            job.save_param("resumes", value=resumes + 1)
            job.report_progress(job.progress, str(exc))
            delay = settings.STUDIO_JOB_RESUME_SECONDS * 2**resumes
            run_job.apply_async(
                (job.pk,),
                {"resume": True},
                countdown=delay,
                queue=get_operation(job.operation).queue_for(job.specs),
            )
            return
        job.finish(Job.Status.FAILED, str(exc))
    except OperationError as exc:
        job.finish(Job.Status.FAILED, str(exc))
    except Exception:
        log.exception("Job %s failed unexpectedly", job.code)
        job.finish(Job.Status.FAILED, UNEXPECTED)
    else:
        job.finish(Job.Status.SUCCEEDED, message)
    # Capture the hold on success, release it otherwise; exactly once (idempotent keys).
    settle(job)


@shared_task(ignore_result=True)
def sweep_stuck_jobs() -> int:
    """Fail every job still queued or running past its deadline; return how many."""
    count = 0
    for job in Job.objects.stuck():
        message = "This job did not finish in time and was stopped. Nothing was charged; please try again."
        if job.finish(Job.Status.FAILED, message):
            release(job, reason=message)
            count += 1
    return count
