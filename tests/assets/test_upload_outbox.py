"""The asset row is the outbox of its check: a broker that is down never fails an upload.

Issue 8, point 7 (uploads): the check (decode + thumbnail) is published after commit with no
retry and broker errors logged; assets.tasks.sweep_unchecked_uploads, run by beat, sends the
checks of uploads still unchecked once the broker is back. Against the real Redis broker.
"""

from __future__ import annotations

import socket
import time

import pytest
from django.urls import reverse

from assets import checks
from assets.models import Asset
from assets.tasks import sweep_unchecked_uploads
from studio.celery import app
from tests.conftest import corpus_upload, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound once, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_upload_while_the_broker_is_down_succeeds_and_the_sweep_checks_it_later(
    owner_client, settings, monkeypatch, request
):
    monkeypatch.setattr(checks, "_broker_down_until", 0.0)
    # Publishing uses the write URL (Celery's broker_write_url, else broker_url).
    monkeypatch.setitem(app.conf, "broker_write_url", f"redis://127.0.0.1:{closed_port()}/0")
    started = time.monotonic()
    response = owner_client.post(
        reverse("assets-upload"),
        {
            "images": [
                corpus_upload("photos/kitty.jpg"),
                corpus_upload("camera/iphone_13_pro_max.HEIC"),
            ]
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert time.monotonic() - started < 10  # one failed try, then the broker is left alone
    html = response.content.decode()
    assert html.count('class="stored"') == 1 and "being checked" in html
    assert set(Asset.objects.values_list("status", flat=True)) == {"ready", "pending"}
    assert not Asset.objects.filter(check_published_at__isnull=False).exists()
    assert Asset.objects.awaiting_check().count() == 2

    plain = owner_client.post(
        reverse("assets-upload"), {"images": [corpus_upload("edge/hopper.jpg")]}
    )
    assert plain.status_code == 302  # the plain form too

    monkeypatch.delitem(app.conf, "broker_write_url")  # the broker is back
    request.getfixturevalue("celery_worker")
    settings.STUDIO_UPLOAD_CHECK_GRACE_SECONDS = 0
    assert sweep_unchecked_uploads() == 3
    wait_for(lambda: not Asset.objects.awaiting_check().exists(), timeout=60)
    assert set(Asset.objects.values_list("status", flat=True)) == {"ready"}
    assert all(asset.thumbnail for asset in Asset.objects.all())
    assert sweep_unchecked_uploads() == 0  # nothing is sent twice once checked


def test_the_sweep_leaves_recent_and_recently_sent_checks_alone(owner, make_asset, settings):
    from accounts.models import personal_workspace
    from assets.services import store_upload

    settings.STUDIO_UPLOAD_DECODE_BUDGET_BYTES = 0
    workspace = personal_workspace(owner)
    fresh = store_upload(workspace=workspace, user=owner, upload=corpus_upload("edge/hopper.jpg"))
    assert checks.unpublished_checks() == []  # inside the grace period
    settings.STUDIO_UPLOAD_CHECK_GRACE_SECONDS = 0
    Asset.objects.filter(pk=fresh.pk).update(check_published_at=None)
    assert checks.unpublished_checks() == [fresh.pk]
    from django.utils import timezone

    Asset.objects.filter(pk=fresh.pk).update(check_published_at=timezone.now())
    assert checks.unpublished_checks() == []  # sent a moment ago: a worker will take it
