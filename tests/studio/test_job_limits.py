"""Plan limits hold under concurrent job starts: they are checked under the account row lock."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from accounts.models import personal_workspace
from billing.models import Plan
from studio.models import Job
from studio.services import JobRefused, start_job

pytestmark = pytest.mark.django_db(transaction=True)

STARTS = 8


def _start_at_once(owner, source, n: int = STARTS) -> list[str]:
    """Start ``n`` social jobs from ``n`` threads released together; return their outcomes."""
    workspace = personal_workspace(owner)
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def start() -> None:
        try:
            barrier.wait(timeout=30)
            try:
                start_job(
                    workspace=workspace,
                    user=owner,
                    operation="social",
                    specs=["social-instagram-feed-square"],
                    inputs=[source],
                    idempotency_key=uuid.uuid4().hex,
                )
                outcome = "started"
            except JobRefused as exc:
                outcome = str(exc.refusal.reason)
            except Exception as exc:  # a deadlock or a serialisation failure would land here
                outcome = f"error: {exc!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def test_eight_simultaneous_starts_on_free_leave_only_two_jobs_queued(owner, make_asset):
    source = make_asset()
    assert Plan.objects.default().max_concurrent_jobs == 2
    outcomes = _start_at_once(owner, source)
    assert sorted(outcomes) == ["running_jobs"] * 6 + ["started"] * 2, outcomes
    assert Job.objects.filter(status=Job.Status.QUEUED).count() == 2


def test_simultaneous_starts_cannot_pass_the_monthly_limit_together(owner, make_asset):
    from billing.models import OperationPrice

    Plan.objects.default()  # seeds the catalog a transactional test's flush emptied
    Plan.objects.filter(slug="free").update(max_concurrent_jobs=20, monthly_credit_limit=3)
    OperationPrice.objects.filter(key="social").update(credits=1)
    source = make_asset()
    outcomes = _start_at_once(owner, source)
    assert sorted(outcomes) == ["monthly_limit"] * 5 + ["started"] * 3, outcomes
    assert sum(job.params["quote"]["credits"] for job in Job.objects.all()) == 3
