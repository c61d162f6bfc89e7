"""Jobs end to end: created with their inputs, run by a real Celery worker over Redis."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from accounts.models import personal_workspace
from studio.models import Job
from studio.services import start_job
from studio.specs import SpecError
from studio.tasks import run_job, sweep_stuck_jobs
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def _finished(job: Job) -> Job | None:
    job.refresh_from_db()
    return job if job.done else None


def test_a_social_job_turns_a_heic_into_exact_platform_files(owner, make_asset, celery_worker):
    source = make_asset("camera/iphone_13_pro_max.HEIC")
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="social",
        specs=["social-instagram-story", "social-x-post", "social-linkedin-company-cover"],
        inputs=[source],
    )
    wait_for(lambda: _finished(job), timeout=120)
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert job.progress == 100
    outputs = {o.spec.split("|")[0]: o for o in job.outputs.all()}
    assert set(outputs) == {
        "social-instagram-story",
        "social-x-post",
        "social-linkedin-company-cover",
    }
    expected = {
        "social-instagram-story": (1080, 1920),
        "social-x-post": (1200, 675),
        "social-linkedin-company-cover": (1128, 191),
    }
    for spec, output in outputs.items():
        assert (output.width, output.height) == expected[spec]
        assert output.derived_from == source
        assert output.thumbnail, "the worker makes each output's thumbnail"
        with output.file.open("rb") as fp:
            image = Image.open(io.BytesIO(fp.read()))
            assert image.size == expected[spec]
            assert image.format == "JPEG"


def test_a_compress_job_makes_a_smaller_webp_of_each_input(owner, make_asset, celery_worker):
    sources = [make_asset("camera/jolla.jpg"), make_asset("photos/kitty.jpg")]
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="compress",
        specs=["format-webp|quality-60|strip"],
        inputs=sources,
    )
    wait_for(lambda: _finished(job), timeout=120)
    assert job.status == Job.Status.SUCCEEDED, job.message
    outputs = list(job.outputs.select_related("derived_from"))
    assert len(outputs) == 2
    for output in outputs:
        assert output.format == "WEBP"
        assert output.bytes < output.derived_from.bytes
        assert (output.width, output.height) == (
            output.derived_from.width,
            output.derived_from.height,
        )


def test_a_bad_spec_is_refused_before_a_job_exists(owner, make_asset):
    source = make_asset("photos/kitty.jpg")
    with pytest.raises(SpecError):
        start_job(
            workspace=personal_workspace(owner),
            user=owner,
            operation="social",
            specs=["fill-0x10-smart"],
            inputs=[source],
        )
    assert not Job.objects.exists()


def test_a_job_cannot_take_another_workspaces_asset(owner, outsider, make_asset):
    foreign = make_asset("photos/kitty.jpg", user=outsider)
    with pytest.raises(ValueError):
        start_job(
            workspace=personal_workspace(owner),
            user=owner,
            operation="compress",
            specs=["format-webp"],
            inputs=[foreign],
        )
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("status", "reason"), [("pending", "still being checked"), ("refused", "was refused")]
)
def test_a_job_cannot_take_an_upload_still_being_checked_or_refused(
    owner, make_asset, status, reason
):
    from assets.models import Asset

    source = make_asset("photos/kitty.jpg")
    Asset.objects.filter(pk=source.pk).update(status=status)
    with pytest.raises(ValueError, match=reason):
        start_job(
            workspace=personal_workspace(owner),
            user=owner,
            operation="compress",
            specs=["format-webp"],
            inputs=[source],
        )
    assert not Job.objects.exists()


def test_a_job_claimed_once_is_not_run_again(owner, make_asset):
    source = make_asset("photos/kitty.jpg")
    job = Job.objects.create(
        workspace=personal_workspace(owner), user=owner, operation="compress", spec="format-webp"
    )
    job.inputs.set([source])
    assert job.claim() is True
    assert Job.objects.get(pk=job.pk).claim() is False
    run_job(job.pk)  # a redelivered task finds the job running and does nothing
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING
    assert not job.outputs.exists()


def test_a_job_whose_input_cannot_be_decoded_fails_with_a_message(owner, make_asset, settings):
    source = make_asset("photos/kitty.jpg")
    source.file.save("broken", io.BytesIO(b"\xff\xd8\xff\xe0 not really a jpeg"), save=True)
    job = Job.objects.create(
        workspace=personal_workspace(owner), user=owner, operation="compress", spec="format-webp"
    )
    job.inputs.set([source])
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "kitty.jpg" in job.message


def test_the_sweeper_fails_jobs_stuck_past_their_deadline(owner):
    workspace = personal_workspace(owner)
    stuck = Job.objects.create(
        workspace=workspace,
        user=owner,
        operation="compress",
        spec="format-webp",
        status=Job.Status.RUNNING,
        deadline_at=timezone.now() - timedelta(seconds=1),
    )
    fresh = Job.objects.create(
        workspace=workspace,
        user=owner,
        operation="compress",
        spec="format-webp",
        status=Job.Status.RUNNING,
    )
    assert sweep_stuck_jobs() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == Job.Status.FAILED and "did not finish in time" in stuck.message
    assert fresh.status == Job.Status.RUNNING
