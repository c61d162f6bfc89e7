"""The Celery application: configured from Django settings (CELERY_* names)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Celery
from kombu import Connection

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studio.settings")

app = Celery("studio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@contextmanager
def connection_tried_once() -> Iterator[Connection]:
    """Yield a broker connection that was tried once, for publishing with ``retry=False``.

    For the outbox relays (studio.tasks.publish, assets.checks.publish_checks): the row is
    already committed, so a broker that is down must cost the request one refused connection
    (at most broker_connection_timeout, 4 s by Celery's default), not kombu's reconnect loop
    (about 6 s per message, measured). Raises kombu.exceptions.OperationalError (or OSError)
    when the broker cannot be reached; pass the connection on as
    ``task.apply_async(..., connection=connection, retry=False)``.
    """
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=0)  # one attempt, no back-off
        yield connection
