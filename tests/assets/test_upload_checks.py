"""Uploads that cannot take the site down: bounded work in the request, the rest on a worker.

Issue 8, point 13 and the upload half of point 7: the web process probes headers and decodes
only what fits its budget; a heavy file is stored "pending" and decoded by a worker, which
makes it "ready" or refuses it (shown as "refused: <reason>" on the polled results line,
never listed, never usable, its object deleted). The asset row is the outbox of that check.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from accounts.models import personal_workspace
from assets import checks
from assets.checks import run_check
from assets.models import Asset
from assets.services import store_upload
from studio.forms import SocialForm
from tests.conftest import corpus_upload, wait_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def upload(client, *files, htmx: bool = True):
    return client.post(
        reverse("assets-upload"), {"images": list(files)}, headers=HTMX if htmx else {}
    )


@pytest.fixture(scope="session")
def big_tiff() -> bytes:
    """A 9000×9000 16-bit grey TIFF, deflate-compressed to ~250 KB (the issue's hostile file)."""
    pixels = np.zeros((9000, 9000), dtype=np.uint16)
    pixels[::64, :] = 4096
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "TIFF", compression="tiff_adobe_deflate")
    assert buffer.tell() < 300_000
    return buffer.getvalue()


def test_a_heavy_tiff_is_stored_pending_and_never_decoded_in_the_request(
    owner_client, big_tiff, monkeypatch
):
    def no_decode(*args, **kwargs):
        raise AssertionError("the web process decoded a 9000×9000 16-bit image")

    monkeypatch.setattr(checks, "decode", no_decode)
    response = upload(owner_client, SimpleUploadedFile("scan.tif", big_tiff))
    assert response.status_code == 200
    asset = Asset.objects.get()
    assert (asset.status, asset.width, asset.height, asset.format) == (
        "pending",
        9000,
        9000,
        "TIFF",
    )
    html = response.content.decode()
    assert "being checked" in html
    assert f'hx-get="{reverse("assets-check", args=[asset.code])}"' in html


def test_cheap_decodes_share_one_budget_per_request_and_the_rest_wait_for_a_worker(
    owner_client, settings
):
    # edge/hopper.png is 128×128 RGB: 4 bytes a pixel decoded, 8 more converting it.
    settings.STUDIO_UPLOAD_DECODE_BUDGET_BYTES = 128 * 128 * 12 * 2
    files = [corpus_upload("edge/hopper.png", f"h{n}.png") for n in range(3)]
    upload(owner_client, *files)
    statuses = dict(Asset.objects.values_list("filename", "status"))
    assert statuses == {"h0.png": "ready", "h1.png": "ready", "h2.png": "pending"}


def test_a_damaged_file_is_still_refused_at_once_when_its_decode_is_cheap(owner_client):
    html = upload(owner_client, corpus_upload("edge/truncated_image.png")).content.decode()
    assert "damaged" in html and not Asset.objects.exists()


@override_settings(STUDIO_UPLOAD_DECODE_BUDGET_BYTES=0)
def test_the_worker_check_refuses_a_file_whose_pixels_do_not_decode_and_deletes_it(
    owner_client, owner, django_capture_on_commit_callbacks
):
    upload(owner_client, corpus_upload("edge/truncated_image.png"))
    asset = Asset.objects.get()
    key = asset.file.name
    assert asset.status == "pending" and default_storage.exists(key)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_check(asset.pk) == "refused"
    asset.refresh_from_db()
    assert asset.status == "refused" and "damaged" in asset.refusal
    assert not default_storage.exists(key)
    assert (asset.file.name, asset.thumbnail.name) == ("", "")
    assert not Asset.objects.usable().exists() and not Asset.objects.listed().exists()
    assert run_check(asset.pk) == "skipped"  # a second delivery does nothing


@override_settings(STUDIO_UPLOAD_DECODE_BUDGET_BYTES=0, STUDIO_WORKER_DECODE_BUDGET_BYTES=10**6)
def test_the_worker_refuses_a_decode_above_its_memory_budget(
    owner_client, django_capture_on_commit_callbacks
):
    upload(owner_client, corpus_upload("camera/jolla.jpg"))
    asset = Asset.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        assert run_check(asset.pk) == "refused"
    asset.refresh_from_db()
    assert "of memory to read" in asset.refusal and "more than the 1 MB" in asset.refusal


@override_settings(STUDIO_UPLOAD_DECODE_BUDGET_BYTES=0, STUDIO_UPLOAD_CHECK_MAX_DELIVERIES=3)
def test_a_file_whose_check_stopped_every_worker_is_refused_after_the_cap(
    owner_client, django_capture_on_commit_callbacks
):
    upload(owner_client, corpus_upload("photos/kitty.jpg"))
    asset = Asset.objects.get()
    Asset.objects.filter(pk=asset.pk).update(check_deliveries=3)  # three workers died on it
    with django_capture_on_commit_callbacks(execute=True):
        assert run_check(asset.pk) == "refused"
    asset.refresh_from_db()
    assert "stopped our image worker 3 times" in asset.refusal


@override_settings(STUDIO_UPLOAD_DECODE_BUDGET_BYTES=0)
def test_pending_and_refused_uploads_cannot_be_picked_for_a_job(owner, make_asset):
    ready = make_asset("photos/kitty.jpg")  # the fixture checks it as the worker would
    workspace = personal_workspace(owner)
    pending = store_upload(workspace=workspace, user=owner, upload=corpus_upload("edge/hopper.jpg"))
    assert pending.status == "pending"
    refused = store_upload(
        workspace=workspace, user=owner, upload=corpus_upload("edge/truncated_image.png")
    )
    assert run_check(refused.pk) == "refused"
    assert list(Asset.objects.usable()) == [ready]
    picker = SocialForm(workspace=workspace).fields["assets"].queryset
    assert list(picker) == [ready]


@override_settings(STUDIO_UPLOAD_DECODE_BUDGET_BYTES=0)
@pytest.mark.django_db(transaction=True)
def test_the_results_line_says_refused_with_the_reason_within_seconds(owner_client, celery_worker):
    html = upload(owner_client, corpus_upload("edge/truncated_image.png")).content.decode()
    asset = Asset.objects.get()
    assert "being checked" in html
    poll = reverse("assets-check", args=[asset.code])
    response = wait_for(
        lambda: (r := owner_client.get(poll, headers=HTMX)).status_code != 204 and r,
        timeout=10,
        interval=0.5,
    )
    assert response.status_code == 286  # htmx stops polling
    text = response.content.decode()
    assert "truncated_image.png — refused: This image is damaged or incomplete" in text
    library = owner_client.get(reverse("assets-library")).content.decode()
    assert "truncated_image.png" not in library
    assert owner_client.get(reverse("assets-download", args=[asset.code])).status_code == 404


@override_settings(STUDIO_UPLOAD_DECODE_BUDGET_BYTES=0)
@pytest.mark.django_db(transaction=True)
def test_a_heavy_upload_becomes_ready_with_a_thumbnail_on_the_worker(owner_client, celery_worker):
    upload(owner_client, corpus_upload("camera/iphone_13_pro_max.HEIC"))
    asset = Asset.objects.get()
    poll = reverse("assets-check", args=[asset.code])
    response = wait_for(
        lambda: (r := owner_client.get(poll, headers=HTMX)).status_code != 204 and r, timeout=30
    )
    assert response.status_code == 200 and 'class="stored"' in response.content.decode()
    asset.refresh_from_db()
    assert asset.status == "ready" and asset.thumbnail and asset.checked_at


@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_the_check_poll_is_only_for_the_owner(client_as, make_asset, who):
    asset = make_asset("photos/kitty.jpg")
    response = client_as(who).get(reverse("assets-check", args=[asset.code]), headers=HTMX)
    assert response.status_code == (302 if who == "anonymous" else 404)


def test_the_check_poll_refuses_other_methods(owner_client, make_asset):
    asset = make_asset("photos/kitty.jpg")
    assert owner_client.post(reverse("assets-check", args=[asset.code])).status_code == 405


@pytest.mark.parametrize("percent", [5, 50, 90])
def test_a_truncated_heic_is_refused_at_upload_and_nothing_is_stored(owner_client, percent):
    data = corpus_upload("camera/iphone_13_pro_max.HEIC").read()
    cut = SimpleUploadedFile("cut.HEIC", data[: len(data) * percent // 100])
    html = upload(owner_client, cut).content.decode()
    assert "cut.HEIC: This image is incomplete" in html
    assert not Asset.objects.exists()


def test_a_95_megapixel_png_is_taken_under_the_100_megapixel_limit(owner_client):
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((9747, 9747), dtype=np.uint8)).save(buffer, "PNG", compress_level=1)
    response = upload(owner_client, SimpleUploadedFile("wide.png", buffer.getvalue()))
    assert "too large" not in response.content.decode()
    asset = Asset.objects.get()
    assert (asset.width, asset.height, asset.status) == (9747, 9747, "pending")
