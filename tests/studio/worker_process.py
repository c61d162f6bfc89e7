"""Real Celery worker processes for tests that kill them: started as the Procfile starts one,
against the test database, the test broker and the shared S3 server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def worker_process(*, include: str = "", pool: str = "prefork", **env: str):
    """Run ``celery -A studio worker`` in its own process group; yield the Popen.

    ``env`` adds settings read from the environment (e.g. STUDIO_JOB_LEASE_SECONDS="3");
    ``include`` names a test module the worker imports (celery --include). The group is
    killed with SIGKILL on exit, whatever the test did to it.
    """
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER'] or 'postgres'}@{database['HOST'] or '127.0.0.1'}:{database['PORT'] or 5432}/{database['NAME']}",
        "PYTHONPATH": str(ROOT),
        **env,
    }
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "studio",
        "worker",
        "--queues",
        "cpu,io",
        "--pool",
        pool,
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--hostname",
        f"test-{os.getpid()}-{id(env)}@localhost",
    ]
    if include:
        command += ["--include", include]
    process = subprocess.Popen(command, cwd=ROOT, env=environment, start_new_session=True)
    try:
        yield process
    finally:
        kill(process)


def kill(process: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool children at once, as an OOM killer or a lost machine."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=30)
