"""Starting jobs: the one way work is handed to a worker."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from accounts.models import Workspace
from assets.models import Asset
from studio.models import Job
from studio.specs import parse


def start_job(
    *,
    workspace: Workspace,
    user,
    operation: str,
    specs: Sequence[str],
    inputs: Sequence[Asset],
    params: dict | None = None,
) -> Job:
    """Create a queued job and enqueue it once the transaction commits.

    Every spec is parsed first, so a bad spec raises studio.specs.SpecError before anything is
    stored. Inputs must belong to ``workspace`` (checked again here, in the same transaction
    that creates the job); raises ValueError otherwise.
    """
    canonical = [str(parse(text)) for text in specs]
    from studio.tasks import run_job

    with transaction.atomic():
        codes = [asset.code for asset in inputs]
        found = list(Asset.objects.select_for_update().filter(workspace=workspace, code__in=codes))
        if len(found) != len(set(codes)) or not found:
            raise ValueError("Some of the chosen images are no longer in this workspace.")
        job = Job.objects.create(
            workspace=workspace,
            user=user,
            operation=operation,
            spec=",".join(canonical),
            params=params or {},
        )
        job.inputs.set(found)
        transaction.on_commit(lambda: run_job.delay(job.pk))
    return job
