"""Jobs: one unit of work run by a Celery worker, watched by the page that started it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Workspace
from assets.models import Asset


class JobQuerySet(models.QuerySet["Job"]):
    def for_user(self, user) -> JobQuerySet:
        return self.filter(workspace__memberships__user=user)

    def unfinished(self) -> JobQuerySet:
        """Return queued and running jobs: what the plan's concurrent-job limit counts."""
        return self.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING])

    def stuck(self, now=None) -> JobQuerySet:
        """Return unfinished jobs whose deadline has passed."""
        return self.filter(
            status__in=[Job.Status.QUEUED, Job.Status.RUNNING],
            deadline_at__lt=now or timezone.now(),
        )

    def unpublished(self, now=None) -> JobQuerySet:
        """Return queued jobs no worker has claimed STUDIO_JOB_REPUBLISH_SECONDS after they
        were last handed to the broker (or never were: the broker was down at the start)."""
        before = (now or timezone.now()) - timedelta(seconds=settings.STUDIO_JOB_REPUBLISH_SECONDS)
        return self.filter(status=Job.Status.QUEUED).filter(
            models.Q(published_at__isnull=True, created_at__lt=before)
            | models.Q(published_at__lt=before)
        )

    def lost(self, now=None) -> JobQuerySet:
        """Return running jobs whose lease ran out: no heartbeat from the worker holding them."""
        return self.filter(status=Job.Status.RUNNING, lease_until__lt=now or timezone.now())


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, models.CASCADE, related_name="jobs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.SET_NULL, null=True, related_name="+")
    operation = models.CharField(max_length=30)
    spec = models.TextField(help_text="One spec, or several separated by commas.")
    params = models.JSONField(default=dict, blank=True)
    inputs = models.ManyToManyField(Asset, related_name="input_of_jobs", blank=True)
    outputs = models.ManyToManyField(Asset, related_name="output_of_jobs", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent, 0-100.")
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField()
    idempotency_key = models.CharField(
        max_length=64,
        blank=True,
        help_text="From the form that started it; a resubmit reuses the job.",
    )
    # The job row is the outbox and the lock: see studio.tasks for how these move.
    published_at = models.DateTimeField(
        null=True, blank=True, help_text="Last handed to the broker; empty: not yet."
    )
    lease = models.CharField(
        max_length=32, blank=True, help_text="Token of the one worker run that holds the job."
    )
    lease_until = models.DateTimeField(
        null=True, blank=True, help_text="Renewed by the holder's heartbeat; past: holder lost."
    )
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Worker runs started: the first claim, then one per lost worker."
    )

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "deadline_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="one_job_per_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.code}"

    def save(self, *args, **kwargs) -> None:
        if self.deadline_at is None:
            self.deadline_at = timezone.now() + timedelta(
                seconds=settings.STUDIO_JOB_DEADLINE_SECONDS
            )
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("studio-job", args=[self.code])

    @property
    def label(self) -> str:
        """Return the studio module's name ("Create Studio"), from the operations registry."""
        from studio.operations import get_operation

        try:
            return get_operation(self.operation).label
        except KeyError:
            return self.operation

    @property
    def done(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def specs(self) -> list[str]:
        return [s for s in self.spec.split(",") if s]

    def claim(self) -> bool:
        """Move the job from queued to running under a new lease; return False if another
        worker got there first."""
        now = timezone.now()
        values = {
            "status": self.Status.RUNNING,
            "started_at": now,
            "lease": uuid.uuid4().hex,
            "lease_until": now + timedelta(seconds=settings.STUDIO_JOB_LEASE_SECONDS),
            "attempts": models.F("attempts") + 1,
            "message": "",  # e.g. "waiting for a worker" while the broker was down
        }
        claimed = Job.objects.filter(pk=self.pk, status=self.Status.QUEUED).update(**values)
        if claimed:
            self.refresh_from_db(
                fields=["status", "started_at", "lease", "lease_until", "attempts", "message"]
            )
        return bool(claimed)

    def take_over(self, lease: str) -> bool:
        """Start a new run of the running job with ``lease``, the token its resume was sent
        with; return False when the job ended or another run holds it (a newer lease)."""
        until = timezone.now() + timedelta(seconds=settings.STUDIO_JOB_LEASE_SECONDS)
        taken = Job.objects.filter(pk=self.pk, status=self.Status.RUNNING, lease=lease).update(
            lease_until=until, attempts=models.F("attempts") + 1
        )
        if taken:
            self.refresh_from_db(fields=["status", "lease", "lease_until", "attempts"])
        return bool(taken)

    def renew_lease(self) -> bool:
        """The heartbeat: extend this run's lease to STUDIO_JOB_LEASE_SECONDS from now;
        return False if the lease was lost (the job ended, or another run took it over)."""
        until = timezone.now() + timedelta(seconds=settings.STUDIO_JOB_LEASE_SECONDS)
        renewed = Job.objects.filter(
            pk=self.pk, status=self.Status.RUNNING, lease=self.lease
        ).update(lease_until=until)
        if renewed:
            self.lease_until = until
        return bool(renewed)

    def hand_back(self, seconds: float) -> bool:
        """End this run without ending the job: its resume is due in ``seconds``. The run
        returned, so it is no attempt lost, and the lease lasts until the resume is due plus
        STUDIO_JOB_LEASE_SECONDS. Return False if the lease was lost meanwhile."""
        until = timezone.now() + timedelta(seconds=settings.STUDIO_JOB_LEASE_SECONDS + seconds)
        handed = Job.objects.filter(
            pk=self.pk, status=self.Status.RUNNING, lease=self.lease
        ).update(lease_until=until, attempts=models.F("attempts") - 1)
        if handed:
            self.refresh_from_db(fields=["lease_until", "attempts"])
        return bool(handed)

    def report_progress(self, percent: int, message: str = "") -> None:
        """Store progress (0-100) on the row, without touching other fields."""
        self.progress = max(0, min(100, percent))
        self.message = message
        Job.objects.filter(pk=self.pk, status=self.Status.RUNNING).update(
            progress=self.progress, message=message
        )

    def save_param(self, *path: str, value) -> None:
        """Set ``params[path[0]][path[1]]... = value`` on the row, merging under a row lock.

        Used for what must survive a retried task: prediction ids before polling, outputs
        already made, the credits actually used.
        """
        with transaction.atomic():
            params = (
                Job.objects.select_for_update().values_list("params", flat=True).get(pk=self.pk)
            )
            node = params
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = value
            Job.objects.filter(pk=self.pk).update(params=params)
        self.params = params

    def finish(self, status: str, message: str = "", *, lease: str = "") -> bool:
        """Mark an unfinished job succeeded or failed; return False if it had already ended.

        With ``lease``, only while that run still holds the job: a worker that lost its
        lease (taken over after a missed heartbeat) cannot end the job under the new holder.
        """
        now = timezone.now()
        values = {"status": status, "message": message, "finished_at": now}
        if status == self.Status.SUCCEEDED:
            values["progress"] = 100
        unfinished = Job.objects.filter(
            pk=self.pk, status__in=[self.Status.QUEUED, self.Status.RUNNING]
        )
        if lease:
            unfinished = unfinished.filter(lease=lease)
        updated = unfinished.update(**values)
        if updated:
            for key, value in values.items():
                setattr(self, key, value)
        return bool(updated)
