"""Benchmark: parallel hostile uploads against the README's gunicorn command (issue 8, point 13).

Starts ``gunicorn studio.wsgi --workers 4`` (README "Production configuration", on a loopback
port instead of 0.0.0.0:8000) from ``--app-dir`` against PostgreSQL, Redis and the S3 server
the tests use (each in a database, Redis db and bucket of its own), logs a user in, and sends
``--requests`` parallel requests each uploading ``--files`` copies of a 9000×9000 16-bit grey
TIFF, deflate-compressed to ~250 KB. Every 50 ms it sums the RSS of the gunicorn master and
workers (psutil). Prints one JSON line: peak RSS (MiB), failed requests (status not 2xx/3xx, or
a connection error), statuses, seconds per request, and whether the site still answers.

Run from the project root (no worker runs: checks queued on the broker are dropped at the end):
    .venv/bin/python benchmarks/hostile_uploads.py                   # the working tree
    .venv/bin/python benchmarks/hostile_uploads.py --app-dir /tmp/before --database studio_bench_before
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import psutil
import requests
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "pw-Bench-2026-hostile"
EMAIL = "bench@example.com"


def hostile_tiff() -> bytes:
    """Return the issue's file: 9000×9000 16-bit grey, deflate, about 250 KB."""
    pixels = np.zeros((9000, 9000), dtype=np.uint16)
    pixels[::64, :] = 4096
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "TIFF", compression="tiff_adobe_deflate")
    return buffer.getvalue()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(args: argparse.Namespace) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(args.app_dir),
        "DJANGO_SETTINGS_MODULE": "studio.settings",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{args.database}",
        "REDIS_URL": args.redis_url,
        "STUDIO_CACHE_URL": args.cache_url,
        "STUDIO_S3_BUCKET": args.bucket,
        "STUDIO_S3_ENDPOINT_URL": "http://127.0.0.1:8333",
        "STUDIO_S3_ACCESS_KEY_ID": "studio",
        "STUDIO_S3_SECRET_ACCESS_KEY": "studio-test-secret",
        "STUDIO_VAR_DIR": str(Path("/tmp") / f"{args.database}-var"),
        "SECRET_KEY": "bench-only-secret-key-not-for-production-use-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1",
    }


SETUP = """
import boto3, os, psycopg
from botocore.config import Config
name = os.environ["DATABASE_URL"].rsplit("/", 1)[1]
with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
    if not db.execute("select 1 from pg_database where datname = %s", [name]).fetchone():
        db.execute(f'create database "{name}"')
s3 = boto3.client("s3", endpoint_url=os.environ["STUDIO_S3_ENDPOINT_URL"],
    aws_access_key_id="studio", aws_secret_access_key="studio-test-secret",
    region_name="us-east-1", config=Config(request_checksum_calculation="when_required"))
try:
    s3.create_bucket(Bucket=os.environ["STUDIO_S3_BUCKET"])
except Exception:
    pass
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
User = get_user_model()
user = User.objects.filter(email="{email}").first() or User.objects.create_user(
    username="bench", email="{email}", password="{password}")
EmailAddress.objects.get_or_create(user=user, email="{email}", defaults={{"verified": True, "primary": True}})
"""


def prepare(args: argparse.Namespace) -> None:
    """Create the database, bucket and user (idempotent) with the app's own code."""
    code = SETUP.replace("{email}", EMAIL).replace("{password}", PASSWORD)
    code = code.replace("{{", "{").replace("}}", "}")
    subprocess.run(
        [sys.executable, "-c", code], cwd=args.app_dir, env=environment(args), check=True
    )


def login(base: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/accounts/login/", timeout=30).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        {"login": EMAIL, "password": PASSWORD, "csrfmiddlewaretoken": token},
        timeout=30,
    )
    response.raise_for_status()
    if "sessionid" not in session.cookies:
        raise SystemExit("login failed")
    session.get(f"{base}/upload/", timeout=30)
    return session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app-dir", type=Path, default=ROOT)
    parser.add_argument("--database", default="studio_bench")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    parser.add_argument("--cache-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--bucket", default="studio-bench")
    parser.add_argument("--requests", type=int, default=4)
    parser.add_argument("--files", type=int, default=16)
    args = parser.parse_args()
    args.app_dir = args.app_dir.resolve()
    prepare(args)
    tiff = hostile_tiff()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "studio.wsgi", "--workers", "4", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        command,
        cwd=args.app_dir,
        env=environment(args),
        stdout=subprocess.DEVNULL,
        stderr=open(f"/tmp/{args.database}-gunicorn.log", "w"),  # noqa: SIM115
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:  # the first request of each worker imports the app: warm all four up
                for _ in range(8):
                    requests.get(f"{base}/healthz", timeout=60)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        session = login(base)
        token = session.cookies["csrftoken"]
        master = psutil.Process(server.pid)

        def rss() -> int:
            total = 0
            for process in [master, *master.children(recursive=True)]:
                try:
                    total += process.memory_info().rss
                except psutil.Error:
                    pass
            return total

        baseline, peak, done = rss(), 0, threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss())
                time.sleep(0.05)

        def post(n: int) -> tuple[str, float]:
            files = [
                ("images", (f"scan-{n}-{i}.tif", tiff, "image/tiff")) for i in range(args.files)
            ]
            started = time.monotonic()
            try:
                response = session.post(
                    f"{base}/upload/",
                    data={"csrfmiddlewaretoken": token},
                    files=files,
                    headers={"HX-Request": "true", "Referer": f"{base}/upload/"},
                    timeout=300,
                )
                outcome = str(response.status_code)
            except requests.RequestException as exc:
                outcome = type(exc).__name__
            return outcome, round(time.monotonic() - started, 2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.monotonic()
        with ThreadPoolExecutor(args.requests) as pool:
            results = list(pool.map(post, range(args.requests)))
        elapsed = time.monotonic() - started
        done.set()
        sampler.join()
        try:
            alive = requests.get(f"{base}/healthz", timeout=10).status_code
        except requests.RequestException as exc:
            alive = type(exc).__name__
        statuses = [outcome for outcome, _ in results]
        failures = sum(1 for s in statuses if not (s.isdigit() and 200 <= int(s) < 400))
        print(
            json.dumps(
                {
                    "app_dir": str(args.app_dir),
                    "requests": args.requests,
                    "files_per_request": args.files,
                    "tiff_bytes": len(tiff),
                    "baseline_rss_mib": round(baseline / 2**20),
                    "peak_rss_mib": round(peak / 2**20),
                    "failed_requests": failures,
                    "statuses": statuses,
                    "seconds": [seconds for _, seconds in results],
                    "wall_seconds": round(elapsed, 1),
                    "healthz_after": alive,
                }
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        import redis

        redis.Redis.from_url(args.redis_url).flushdb()  # the bench's own db: drop queued checks


if __name__ == "__main__":
    main()
