"""Jobs are quoted, hold exactly the quote, and are charged or released once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import personal_workspace
from billing.ledger import account_for
from billing.models import LedgerEntry, OperationPrice
from studio.models import Job
from studio.services import JobRefused, start_job
from studio.tasks import run_job, sweep_stuck_jobs

pytestmark = pytest.mark.django_db


@pytest.fixture
def priced_compress():
    """Price compression at 4 credits an image (it is free by default)."""
    OperationPrice.objects.filter(operation="compress").update(credits=4)


def _balance(user) -> int:
    return account_for(personal_workspace(user)).balance()


def test_a_priced_job_holds_its_quote_and_captures_it_on_success(
    owner, make_asset, priced_compress
):
    sources = [make_asset("photos/kitty.jpg"), make_asset("photos/img.jpg")]
    before = _balance(owner)
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="compress",
        specs=["format-webp|quality-70"],
        inputs=sources,
    )
    assert job.params["quote"]["credits"] == 8
    assert _balance(owner) == before - 8, "the hold is taken when the job is created"
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert _balance(owner) == before - 8
    # Settling releases the hold and captures the charge from the same credit lots.
    entries = dict(LedgerEntry.objects.filter(job_code=job.code).values_list("kind", "amount"))
    assert entries == {"hold": -8, "release": 8, "capture": -8}


def test_a_failed_job_gives_its_credits_back(owner, make_asset, priced_compress):
    import io

    source = make_asset("photos/kitty.jpg")
    source.file.save("broken", io.BytesIO(b"\xff\xd8\xff not a jpeg"), save=True)
    before = _balance(owner)
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="compress",
        specs=["format-webp"],
        inputs=[source],
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert _balance(owner) == before


def test_a_job_the_balance_cannot_cover_is_refused_and_not_created(owner, make_asset):
    OperationPrice.objects.filter(operation="compress").update(credits=10_000)
    with pytest.raises(JobRefused) as refused:
        start_job(
            workspace=personal_workspace(owner),
            user=owner,
            operation="compress",
            specs=["format-webp"],
            inputs=[make_asset("photos/kitty.jpg")],
        )
    assert refused.value.refusal.reason == "credits"
    assert not Job.objects.exists()


def test_the_sweeper_releases_the_hold_of_a_stuck_job(owner, make_asset, priced_compress):
    before = _balance(owner)
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="compress",
        specs=["format-webp"],
        inputs=[make_asset("photos/kitty.jpg")],
    )
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, deadline_at=timezone.now() - timedelta(seconds=1)
    )
    assert _balance(owner) == before - 4
    assert sweep_stuck_jobs() == 1
    assert sweep_stuck_jobs() == 0
    assert _balance(owner) == before


def test_submitting_the_same_form_twice_creates_one_job(owner_client, make_asset, priced_compress):
    source = make_asset("photos/kitty.jpg")
    form = {"assets": [source.code], "format": "webp", "quality": "70", "idempotency_key": "f" * 32}
    first = owner_client.post(reverse("studio-compress"), form)
    second = owner_client.post(reverse("studio-compress"), form)
    assert Job.objects.count() == 1
    assert first["Location"] == second["Location"] == Job.objects.get().get_absolute_url()
    assert LedgerEntry.objects.filter(kind="hold").count() == 1


def test_the_studio_form_shows_the_refusal_and_the_way_out(owner_client, make_asset):
    OperationPrice.objects.filter(operation="compress").update(credits=10_000)
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-compress"), {"assets": [source.code], "format": "webp", "quality": "70"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "credits" in body and reverse("billing-page") in body
    assert not Job.objects.exists()


def test_starting_jobs_is_rate_limited(owner_client, make_asset, settings):
    settings.STUDIO_JOB_RATE_LIMIT = 2
    source = make_asset("photos/kitty.jpg")
    codes = [
        owner_client.post(
            reverse("studio-compress"),
            {"assets": [source.code], "format": "webp", "quality": str(q)},
        ).status_code
        for q in (50, 60, 70)
    ]
    assert codes == [302, 302, 429]
    assert Job.objects.count() == 2
