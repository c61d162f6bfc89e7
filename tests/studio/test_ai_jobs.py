"""AI jobs end to end below the browser: quoted, held, run by a worker against emulated
providers on loopback, stored as assets with provider, model, seed, prompt and cost, and
charged only for what was made. A WaveSpeed prediction is submitted once even when polling
fails and the task comes back for it.
"""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image
from pytest_httpserver import HTTPServer

from accounts.models import personal_workspace
from assets.models import Asset
from billing.ledger import account_for, grant
from billing.models import LedgerEntry, Plan
from studio.models import Job
from studio.services import start_job
from studio.tasks import run_job
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db

PREDICTION = "pred-abc123"


def png(width: int = 64, height: int = 48, colour=(200, 40, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def providers(settings, httpserver: HTTPServer):
    """Point Stability and WaveSpeed at the loopback server, with keys; poll fast."""
    base = httpserver.url_for("").rstrip("/")
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {"api_key": "sk-test", "base_url": base, "env": ["STABILITY_API_KEY"]},
        "wavespeed": {
            "api_key": "ws-test",
            "base_url": f"{base}/api/v3",
            "env": ["WAVESPEED_API_KEY"],
        },
    }
    settings.STUDIO_PROVIDER_POLL_INTERVAL_MS = 10
    settings.STUDIO_PROVIDER_RETRY_INITIAL_MS = 1
    settings.STUDIO_PROVIDER_RETRY_ATTEMPTS = 2
    settings.STUDIO_JOB_RESUME_SECONDS = 0
    return httpserver


def on_pro_plan(user, credits: int = 500):
    workspace = personal_workspace(user)
    account = account_for(workspace)
    account.plan = Plan.objects.get(slug="pro")
    account.save(update_fields=["plan"])
    grant(
        workspace=workspace,
        credits=credits,
        source=LedgerEntry.Source.STAFF,
        reason="test",
        key=f"test-grant-{user.pk}",
    )
    return workspace


def balance(user) -> int:
    return account_for(personal_workspace(user)).balance()


def generated(seed: int):
    return {"status": 200, "headers": {"seed": str(seed), "finish-reason": "SUCCESS"}}


def test_a_generation_with_two_variations_stores_both_with_provider_facts_and_charges_the_quote(
    owner, providers
):
    for seed in (11, 12):
        providers.expect_ordered_request(
            "/v2beta/stable-image/generate/core", method="POST"
        ).respond_with_data(png(), content_type="image/png", **generated(seed))
    before = balance(owner)
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="generate",
        specs=[
            "generate-stability-core|aspect-16:9|seed-11",
            "generate-stability-core|aspect-16:9|seed-12",
        ],
        inputs=[],
        params={"prompt": "A red fox at dawn", "negative_prompt": "blurry"},
    )
    assert job.params["quote"]["credits"] == 6  # Stability Core: 3 credits an image
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    outputs = list(job.outputs.order_by("seed"))
    assert [o.seed for o in outputs] == [11, 12]
    first = outputs[0]
    assert (first.provider, first.ai_model, first.prompt) == (
        "stability",
        "generate/core",
        "A red fox at dawn",
    )
    assert first.cost_credits == 3 and first.module == Asset.Module.CREATE
    assert first.derived_from is None and first.format == "PNG" and first.thumbnail
    assert first.details["finish_reason"] == "SUCCESS"
    assert first.filename.startswith("a-red-fox-at-dawn.")
    assert balance(owner) == before - 6
    sent = providers.log[0][0]
    assert b"A red fox at dawn" in sent.get_data() and b"16:9" in sent.get_data()


def test_a_moderated_second_variation_is_not_charged(owner, providers):
    providers.expect_ordered_request("/v2beta/stable-image/generate/core").respond_with_data(
        png(), content_type="image/png", **generated(5)
    )
    providers.expect_ordered_request("/v2beta/stable-image/generate/core").respond_with_json(
        {"name": "content_moderation", "errors": ["Your request was flagged"]}, status=403
    )
    before = balance(owner)
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="generate",
        specs=["generate-stability-core|seed-5", "generate-stability-core|seed-6"],
        inputs=[],
        params={"prompt": "something"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.outputs.count() == 1
    assert "1 failed and were not charged" in job.message and "moderation" in job.message
    assert balance(owner) == before - 3
    entries = dict(LedgerEntry.objects.filter(job_code=job.code).values_list("kind", "amount"))
    assert entries == {"hold": -6, "release": 6, "capture": -3}


def test_a_provider_without_a_key_fails_the_job_and_gives_the_credits_back(owner, settings):
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "stability": {
            "api_key": "",
            "base_url": "http://127.0.0.1:9",
            "env": ["STABILITY_API_KEY"],
        },
    }
    before = balance(owner)
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="generate",
        specs=["generate-stability-core"] * 3,
        inputs=[],
        params={"prompt": "a cat"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "STABILITY_API_KEY" in job.message and "nothing was charged" in job.message
    assert balance(owner) == before


def test_a_wavespeed_prediction_is_submitted_once_when_polling_fails_and_the_task_resumes(
    owner, providers, make_asset, monkeypatch
):
    workspace = on_pro_plan(owner)
    source = make_asset("photos/kitty.jpg")
    submits = []

    def submit(request):
        from werkzeug import Response

        submits.append(json.loads(request.get_data()))
        body = {"code": 200, "data": {"id": PREDICTION, "status": "created", "outputs": []}}
        return Response(json.dumps(body), content_type="application/json")

    providers.expect_request(
        "/api/v3/wavespeed-ai/qwen-image/edit", method="POST"
    ).respond_with_handler(submit)
    output_url = providers.url_for("/outputs/1.png")
    polls = []

    def result(request):
        from werkzeug import Response

        polls.append(request.path)
        if len(polls) <= 2:  # first attempt: both tries fail, so the job must come back later
            return Response("down", status=502)
        body = {
            "code": 200,
            "data": {"id": PREDICTION, "status": "completed", "outputs": [output_url]},
        }
        return Response(json.dumps(body), content_type="application/json")

    providers.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_handler(
        result
    )
    providers.expect_request("/outputs/1.png").respond_with_data(
        png(128, 96), content_type="image/png"
    )
    resumed = []
    monkeypatch.setattr(
        run_job, "apply_async", lambda args, kwargs, **options: resumed.append((args, kwargs))
    )
    job = start_job(
        workspace=workspace,
        user=owner,
        operation="edit",
        specs=["edit-wavespeed-qwen-image-edit|seed-3"],
        inputs=[source],
        params={"prompt": "make it night"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.RUNNING, "the job waits to be resumed, it is not failed"
    assert job.params["predictions"] == {"0.0": PREDICTION}, "the id was stored before polling"
    assert resumed == [((job.pk,), {"lease": job.lease})], "its resume holds the job's lease"
    assert job.attempts == 0, "a run that handed the job back is no attempt lost"
    run_job(job.pk, lease=job.lease)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert len(submits) == 1, "the paid submission was never repeated"
    assert submits[0]["prompt"] == "make it night" and submits[0]["image"].startswith(
        "data:image/jpeg;base64,"
    )
    (output,) = job.outputs.all()
    assert output.derived_from == source and output.provider == "wavespeed"
    assert output.details["prediction_id"] == PREDICTION and output.cost_credits == 2


def test_a_resumed_task_for_a_finished_job_does_nothing(owner, providers):
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="generate",
        specs=["generate-stability-core"],
        inputs=[],
        params={"prompt": "x"},
    )
    Job.objects.filter(pk=job.pk).update(status=Job.Status.FAILED, lease="abc")
    run_job(job.pk, lease="abc")
    assert providers.log == []


def test_a_worker_runs_a_local_upscale_and_the_result_keeps_its_lineage(
    owner, make_asset, celery_worker
):
    source = make_asset("photos/kitty.jpg")
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="upscale",
        specs=["upscale-local-lanczos|factor-2"],
        inputs=[source],
    )
    job = wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first()
    )
    assert job.status == Job.Status.SUCCEEDED, job.message
    (output,) = job.outputs.all()
    assert (output.width, output.height) == (source.width * 2, source.height * 2)
    assert output.derived_from == source and output.provider == "local"
    assert output.spec == "upscale-local-lanczos|factor-2" and output.cost_credits == 0


def test_a_local_erase_uses_the_stored_mask(owner, make_asset):
    source = make_asset("photos/kitty.jpg")
    mask = Image.new("L", (source.width, source.height), 0)
    mask.paste(255, (10, 10, 60, 60))
    buffer = io.BytesIO()
    mask.save(buffer, "PNG")
    key = default_storage.save(f"masks/test/{source.code}.png", ContentFile(buffer.getvalue()))
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="edit",
        specs=["edit-local-erase"],
        inputs=[source],
        params={"mask": key},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    (output,) = job.outputs.all()
    assert (output.width, output.height) == (source.width, source.height)
    assert output.module == Asset.Module.EDIT and output.derived_from == source


def test_an_erase_whose_mask_was_deleted_fails_with_a_message(owner, make_asset):
    source = make_asset("photos/kitty.jpg")
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="edit",
        specs=["edit-local-erase"],
        inputs=[source],
        params={"mask": "masks/test/missing.png"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "mask" in job.message and "draw it again" in job.message


def test_a_resumed_job_does_not_submit_a_failed_call_again(
    owner, providers, make_asset, monkeypatch
):
    from werkzeug import Response

    workspace = on_pro_plan(owner)
    source = make_asset("photos/kitty.jpg")
    submits, polls = [], []

    def submit(request):
        submits.append(json.loads(request.get_data())["seed"])
        if len(submits) == 1:
            return Response("upstream fault", status=500)
        body = {"code": 200, "data": {"id": PREDICTION, "status": "created", "outputs": []}}
        return Response(json.dumps(body), content_type="application/json")

    def result(request):
        polls.append(1)
        if len(polls) <= 2:
            return Response("down", status=503)
        output = providers.url_for("/outputs/2.png")
        body = {"code": 200, "data": {"id": PREDICTION, "status": "completed", "outputs": [output]}}
        return Response(json.dumps(body), content_type="application/json")

    providers.expect_request("/api/v3/wavespeed-ai/qwen-image/edit").respond_with_handler(submit)
    providers.expect_request(f"/api/v3/predictions/{PREDICTION}/result").respond_with_handler(
        result
    )
    providers.expect_request("/outputs/2.png").respond_with_data(png(), content_type="image/png")
    monkeypatch.setattr(run_job, "apply_async", lambda *args, **kwargs: None)
    before = balance(owner)
    job = start_job(
        workspace=workspace,
        user=owner,
        operation="edit",
        specs=["edit-wavespeed-qwen-image-edit|seed-1", "edit-wavespeed-qwen-image-edit|seed-2"],
        inputs=[source],
        params={"prompt": "make it night"},
    )
    run_job(job.pk)
    job.refresh_from_db()
    run_job(job.pk, lease=job.lease)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert submits == [1, 2], "the failed submission was not sent again on resume"
    assert job.outputs.count() == 1 and "1 failed and were not charged" in job.message
    assert balance(owner) == before - 2


@pytest.mark.parametrize(
    ("spec", "queue"),
    [("upscale-local-lanczos|factor-2", "cpu"), ("upscale-stability-fast", "io")],
)
def test_local_models_run_on_the_cpu_queue_and_provider_calls_on_the_io_queue(
    owner, make_asset, monkeypatch, django_capture_on_commit_callbacks, spec, queue
):
    on_pro_plan(owner)
    sent = []
    monkeypatch.setattr(run_job, "apply_async", lambda *args, **options: sent.append(options))
    with django_capture_on_commit_callbacks(execute=True):
        start_job(
            workspace=personal_workspace(owner),
            user=owner,
            operation="upscale",
            specs=[spec],
            inputs=[make_asset("photos/kitty.jpg")],
            params={"prompt": "x"},
        )
    assert [(options["queue"], options["retry"]) for options in sent] == [(queue, False)]
