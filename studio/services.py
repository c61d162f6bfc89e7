"""Starting jobs: the one way work is handed to a worker, quoted and paid for by billing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import Workspace
from assets.models import Asset
from billing.ledger import InsufficientCredits, hold_for_job, locked_account, refresh
from billing.quotes import Quote, Reason, Refusal, check_limits, quote
from studio.models import Job
from studio.specs import parse


class JobRefused(Exception):
    """Billing refused the job; ``refusal`` says why and what would fix it."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.message)
        self.refusal = refusal


def start_job(
    *,
    workspace: Workspace,
    user,
    operation: str,
    specs: Sequence[str],
    inputs: Sequence[Asset],
    params: dict | None = None,
    idempotency_key: str = "",
) -> Job:
    """Quote, then create a queued job holding exactly the quoted credits; publish on commit.

    Every spec is parsed first, so a bad spec raises studio.specs.SpecError before anything is
    stored. Inputs must belong to ``workspace`` and be checked good (Asset status "ready", not
    an upload still being checked or refused), checked again in the transaction that creates
    the job; raises ValueError otherwise. Raises JobRefused when billing refuses (plan, credits,
    limits). A repeated ``idempotency_key`` (a double-submitted form) returns the first job.
    The committed row is the outbox: a broker that is down when the job starts leaves it
    queued, with a message saying so, until studio.tasks.recover_jobs sends it.
    """
    canonical = [str(parse(text)) for text in specs]
    if idempotency_key:
        existing = Job.objects.filter(workspace=workspace, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    running = Job.objects.filter(workspace=workspace).unfinished().count()
    result = quote(
        workspace=workspace,
        operation=operation,
        specs=canonical,
        inputs=inputs,
        running_jobs=running,
    )
    if not result.ok:
        raise JobRefused(result)
    from studio.tasks import publish

    try:
        with transaction.atomic():
            job = _create(
                workspace, user, operation, canonical, inputs, params, idempotency_key, result
            )
    except IntegrityError:
        if not idempotency_key:
            raise
        # The same form was submitted twice at once: the other request created the job.
        return Job.objects.get(workspace=workspace, idempotency_key=idempotency_key)
    except InsufficientCredits as exc:
        raise JobRefused(
            Refusal(
                reason=Reason.CREDITS,
                message=str(exc),
                fix="Buy a credit pack or wait for your monthly grant.",
            )
        ) from None
    transaction.on_commit(lambda: publish(job))
    return job


def _create(
    workspace, user, operation, specs, inputs, params, idempotency_key, result: Quote
) -> Job:
    # The plan's limits are checked again under the account row lock, which every start takes
    # first: concurrent starts run this one at a time, so none can pass a limit another filled.
    account = locked_account(workspace)
    refresh(account, now=timezone.now())
    running = Job.objects.filter(workspace=workspace).unfinished().count()
    locked_quote = replace(result, balance=account.balance())
    if (refusal := check_limits(account, locked_quote, running_jobs=running)) is not None:
        raise JobRefused(refusal)
    codes = [asset.code for asset in inputs]
    found = list(Asset.objects.select_for_update().filter(workspace=workspace, code__in=codes))
    if len(found) != len(set(codes)):
        raise ValueError("Some of the chosen images are no longer in this workspace.")
    if unusable := [asset for asset in found if asset.status != Asset.Status.READY]:
        raise ValueError(_unusable_message(unusable))
    job = Job.objects.create(
        workspace=workspace,
        user=user,
        operation=operation,
        spec=",".join(specs),
        params={**(params or {}), "quote": result.as_dict()},
        idempotency_key=idempotency_key,
    )
    job.inputs.set(found)
    hold_for_job(job, result)
    return job


def _unusable_message(assets: Sequence[Asset]) -> str:
    """Say why uploads that are still being checked, or were refused, cannot be used."""
    names = ", ".join(asset.filename for asset in assets[:3]) + ("…" if len(assets) > 3 else "")
    if all(asset.status == Asset.Status.PENDING for asset in assets):
        return f"{names}: still being checked; try again in a few seconds."
    return f"{names}: not usable (the upload was refused). Remove it from the selection."
