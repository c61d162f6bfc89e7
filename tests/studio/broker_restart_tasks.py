"""Test-only Celery tasks for tests/studio/test_broker_restart.py (loaded with ``--include``).

They touch neither the database nor S3: each writes a marker file, so the test can tell that
the worker ran them.
"""

from __future__ import annotations

import time
from pathlib import Path

from studio.celery import app


@app.task(name="tests.broker_restart.slow", acks_late=True, reject_on_worker_lost=True)
def slow(marker: str, seconds: float) -> None:
    """Announce the start, sleep (the broker restarts meanwhile), then write ``marker``."""
    Path(marker + ".started").write_text("started")
    time.sleep(seconds)
    Path(marker).write_text("done")


@app.task(name="tests.broker_restart.touch")
def touch(marker: str) -> None:
    Path(marker).write_text("done")
