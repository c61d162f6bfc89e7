"""Checks behind /healthz: can we reach the database, the broker and the object store?"""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.db import connection

log = logging.getLogger(__name__)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def _broker() -> None:
    from studio.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


def _storage() -> None:
    default_storage.exists("healthz-probe")


CHECKS = {"database": _database, "broker": _broker, "storage": _storage}


def run_checks() -> dict[str, str]:
    """Return {"database"|"broker"|"storage": "ok" or "error"}; details go to the log only."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            log.exception("Health check %s failed", name)
            results[name] = "error"
        else:
            results[name] = "ok"
    return results
