"""Jobs survive what production does to them: a broker that is down when a job starts, a
worker killed mid-job, a job that kills every worker that takes it, a run killed between
storing an output and recording it. Real PostgreSQL, Redis and Celery worker processes;
only the AI provider is emulated, on loopback.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse

from accounts.models import personal_workspace
from assets.models import Asset
from billing.models import LedgerEntry, OperationPrice, Plan
from providers.models import AIModel
from studio.celery import app
from studio.models import Job
from studio.services import start_job
from studio.tasks import LOST, WAITING, recover_jobs, run_job
from tests.conftest import wait_for
from tests.studio.test_ai_jobs import on_pro_plan, png
from tests.studio.worker_process import kill, worker_process

pytestmark = pytest.mark.django_db

PREDICTION = "pred-heartbeat"


@pytest.fixture
def broker_down():
    """Point the Celery app's publishing at a loopback port nothing listens on; the fixture's
    value puts the real broker back."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    real = app.conf.broker_write_url

    def point(url):
        app.conf.broker_write_url = url  # what publishing uses (else broker_url)
        app._pool = None  # kombu keeps one pool per broker URL; the real one stays open
        app.amqp._producer_pool = None

    point(f"redis://127.0.0.1:{port}/0")
    yield lambda: point(real)
    point(real)


def priced_compress():
    """Price compression at 4 credits an image (it is free by default)."""
    Plan.objects.default()  # a transactional test may find the catalog flushed: seed it
    OperationPrice.objects.filter(operation="compress").update(credits=4)


def entries(job, kind):
    return list(LedgerEntry.objects.filter(job_code=job.code, kind=kind))


def test_a_job_started_while_the_broker_is_down_waits_and_runs_when_it_is_back(
    transactional_db, owner_client, owner, make_asset, settings, broker_down, request
):
    priced_compress()
    source = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("studio-compress"), {"assets": [source.code], "format": "webp", "quality": "80"}
    )
    job = Job.objects.get()
    assert response.status_code == 302, "no 500: the job is committed and waits"
    assert job.status == Job.Status.QUEUED and job.message == WAITING
    assert job.published_at is None
    assert [e.amount for e in entries(job, LedgerEntry.Kind.HOLD)] == [-4], "the hold is kept"
    page = owner_client.get(job.get_absolute_url())
    assert page.status_code == 200 and "Waiting for a worker" in page.content.decode()

    broker_down()  # the broker is back
    request.getfixturevalue("celery_worker")
    settings.STUDIO_JOB_REPUBLISH_SECONDS = 0
    assert recover_jobs() == {"published": 1, "resumed": 0}
    job = wait_for(lambda: Job.objects.filter(pk=job.pk, status=Job.Status.SUCCEEDED).first())
    assert job.outputs.count() == 1
    assert [e.amount for e in entries(job, LedgerEntry.Kind.CAPTURE)] == [-4]


def test_a_job_started_while_all_of_redis_is_down_is_no_error_page(
    transactional_db, owner_client, make_asset, settings, broker_down
):
    source = make_asset("photos/kitty.jpg")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": app.conf.broker_write_url,  # the same closed port: cache and broker down
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = owner_client.post(
        reverse("studio-compress"), {"assets": [source.code], "format": "webp", "quality": "80"}
    )
    assert response.status_code == 302, "the rate limit let it through, the job waits"
    assert Job.objects.get().message == WAITING


def test_a_queued_job_is_sent_again_only_when_no_worker_claimed_it(owner, settings, monkeypatch):
    job = Job.objects.create(
        workspace=personal_workspace(owner), user=owner, operation="compress", spec="format-webp"
    )
    sent = []
    monkeypatch.setattr(run_job, "apply_async", lambda *args, **options: sent.append(args))
    settings.STUDIO_JOB_REPUBLISH_SECONDS = 3600
    assert recover_jobs()["published"] == 0, "a fresh job waits for its first message"
    settings.STUDIO_JOB_REPUBLISH_SECONDS = 0
    assert recover_jobs()["published"] == 1
    job.refresh_from_db()
    assert job.published_at is not None
    assert job.claim() and job.attempts == 1
    assert recover_jobs() == {"published": 0, "resumed": 0}, "a claimed job is not sent again"
    assert sent == [((job.pk,), {})]


class WaveSpeed(ThreadingHTTPServer):
    """WaveSpeed's submit/result/output endpoints; the first result poll hangs until told."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.submits, self.polls = [], []
        self.hang = threading.Event()
        self.hang.set()
        self.base = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: WaveSpeed

    def log_message(self, *args):
        pass

    def _json(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        self.server.submits.append(self.rfile.read(int(self.headers["Content-Length"])))
        self._json({"code": 200, "data": {"id": PREDICTION, "status": "created", "outputs": []}})

    def do_GET(self):
        if self.path.endswith("/result"):
            self.server.polls.append(time.monotonic())
            while self.server.hang.is_set() and len(self.server.polls) == 1:
                time.sleep(0.05)  # the worker is killed while it waits here
            output = f"{self.server.base}/outputs/1.png"
            self._json(
                {
                    "code": 200,
                    "data": {"id": PREDICTION, "status": "completed", "outputs": [output]},
                }
            )
            return
        data = png(96, 64)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def wavespeed(settings):
    server = WaveSpeed()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PROVIDERS = {
        **settings.PROVIDERS,
        "wavespeed": {
            "api_key": "ws-test",
            "base_url": f"{server.base}/api/v3",
            "env": ["WAVESPEED_API_KEY"],
        },
    }
    yield server
    server.hang.clear()
    server.shutdown()
    server.server_close()


FAST = {
    "STUDIO_JOB_HEARTBEAT_SECONDS": "1",
    "STUDIO_JOB_LEASE_SECONDS": "3",
    "STUDIO_PROVIDER_POLL_INTERVAL_MS": "50",
    "STUDIO_PROVIDER_RETRY_INITIAL_MS": "10",
}


def test_a_job_whose_worker_is_killed_resumes_on_another_from_its_prediction(
    transactional_db, owner, make_asset, settings, wavespeed
):
    settings.STUDIO_JOB_LEASE_SECONDS = 3
    app.control.purge()
    Plan.objects.default()  # a transactional test may find the catalog flushed: seed it
    AIModel.objects.ensure_seeded()
    workspace = on_pro_plan(owner)
    source = make_asset("photos/kitty.jpg")
    env = {
        **FAST,
        "WAVESPEED_API_KEY": "ws-test",
        "WAVESPEED_API_BASE": f"{wavespeed.base}/api/v3",
    }
    with worker_process(**env) as first:
        job = start_job(
            workspace=workspace,
            user=owner,
            operation="edit",
            specs=["edit-wavespeed-qwen-image-edit|seed-3"],
            inputs=[source],
            params={"prompt": "make it night"},
        )
        assert [e.amount for e in entries(job, LedgerEntry.Kind.HOLD)] == [-2]
        wait_for(lambda: wavespeed.polls, timeout=90)  # submitted, stored, now polling
        job.refresh_from_db()
        assert job.params["predictions"] == {"0.0": PREDICTION}
        beat = job.lease_until
        wait_for(lambda: Job.objects.get(pk=job.pk).lease_until > beat, timeout=10)
        kill(first)  # the whole worker, mid-poll: no task result, no ack, no cleanup
    wavespeed.hang.clear()
    with worker_process(**env):
        assert recover_jobs()["resumed"] == 0, "the dead worker's lease still runs"
        wait_for(lambda: recover_jobs()["resumed"] == 1, timeout=15, interval=0.5)
        job = wait_for(
            lambda: Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first()
        )
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert len(wavespeed.submits) == 1, "the paid prediction was resumed, never submitted again"
    assert job.attempts == 2 and job.outputs.count() == 1
    assert [e.amount for e in entries(job, LedgerEntry.Kind.CAPTURE)] == [-2], "charged once"


def test_a_job_that_kills_every_worker_is_failed_after_the_cap_with_its_credits_released(
    transactional_db, owner, make_asset, settings
):
    settings.STUDIO_JOB_LEASE_SECONDS = 2
    app.control.purge()
    priced_compress()
    source = make_asset("photos/kitty.jpg")
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="compress",
        specs=["format-webp"],
        inputs=[source],
    )
    with worker_process(include="tests.studio.poison_operation", **FAST) as worker:

        def ended():
            recover_jobs()
            return Job.objects.filter(pk=job.pk, status__in=["succeeded", "failed"]).first()

        job = wait_for(ended, timeout=120, interval=0.5)
        assert worker.poll() is None, "the worker lives on; only its pool children died"
    assert job.status == Job.Status.FAILED
    assert job.message == LOST.format(attempts=3)
    assert job.attempts == 4, "three runs died; the fourth was refused before it ran"
    assert not job.outputs.exists()
    assert not entries(job, LedgerEntry.Kind.CAPTURE)
    assert [e.amount for e in entries(job, LedgerEntry.Kind.RELEASE)] == [4]


def test_a_run_killed_between_storing_an_output_and_recording_it_leaves_no_duplicate(
    owner, make_asset, monkeypatch
):
    from django.core.files.storage import default_storage

    from studio.operations import ai

    source = make_asset("photos/kitty.jpg")
    job = start_job(
        workspace=personal_workspace(owner),
        user=owner,
        operation="upscale",
        specs=["upscale-local-lanczos|factor-2"],
        inputs=[source],
    )
    monkeypatch.setattr("studio.tasks.publish", lambda *args, **kwargs: True)
    original = ai.make_thumbnail

    class Killed(BaseException):
        """Stands for SIGKILL: nothing after it runs, no except clause catches it."""

    def die(asset):
        raise Killed

    monkeypatch.setattr(ai, "make_thumbnail", die)
    with pytest.raises(Killed):
        run_job(job.pk)
    (stored,) = Asset.objects.filter(details__job=str(job.code))
    monkeypatch.setattr(ai, "make_thumbnail", original)
    job.refresh_from_db()
    run_job(job.pk, lease=job.lease)  # what recover_jobs sends after the lease runs out
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert list(job.outputs.all()) == [stored], "the resumed slot took its own stored output"
    assert Asset.objects.filter(details__job=str(job.code)).count() == 1
    prefix = f"ws/{job.workspace.code}/jobs/{job.code.hex}"
    assert stored.file.name.startswith(prefix)
    assert default_storage.exists(stored.file.name)


def test_concurrent_identical_renditions_store_one_and_none_fails(
    transactional_db, owner, make_asset
):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from assets.services import store_rendition
    from studio.specs import parse, render_all

    source = make_asset("photos/kitty.jpg")
    with source.file.open("rb") as fp:
        import io

        (rendition,) = render_all(io.BytesIO(fp.read()), [parse("format-webp")], max_pixels=10**8)
    barrier = threading.Barrier(4)

    def store(_):
        try:
            barrier.wait()
            return store_rendition(
                source=source,
                spec="format-webp",
                rendition=rendition,
                module="compress",
                user=owner,
            ).pk
        finally:
            connections.close_all()

    with ThreadPoolExecutor(4) as pool:
        pks = list(pool.map(store, range(4)))
    assert len(set(pks)) == 1, "every racer got the one rendition, none an IntegrityError"
    assert Asset.objects.filter(derived_from=source, spec="format-webp").count() == 1
