"""Uploading: files are judged by their content, stored as they came, and refusals say why."""

from __future__ import annotations

import hashlib

import pytest
from django.contrib.messages import get_messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from PIL import Image

from accounts.models import personal_workspace
from assets.models import Asset
from tests.conftest import CORPUS, corpus_upload, wait_for

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
EXIF_ORIENTATION, EXIF_GPS_IFD = 0x0112, 0x8825


def upload(client, *files, htmx: bool = True):
    """POST files to the upload view the way the page does (HTMX) or a plain form does."""
    return client.post(
        reverse("assets-upload"), {"images": list(files)}, headers=HTMX if htmx else {}
    )


def pdf_named_jpg() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "invoice.jpg", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
    )


def stored_keys(user) -> list[str]:
    """Return the names of objects stored under the user's workspace prefix."""
    _, files = default_storage.listdir(f"ws/{personal_workspace(user).code}")
    return files


def test_the_upload_page_shows_the_limits_and_a_plain_file_input_for_several_files(owner_client):
    html = owner_client.get(reverse("assets-upload")).content.decode()
    assert 'type="file" name="images" multiple' in html
    assert 'accept="' in html and "image/heic" in html
    assert 'enctype="multipart/form-data"' in html and 'hx-encoding="multipart/form-data"' in html
    assert "<progress" in html
    assert "50\xa0MB" in html and "100 MP" in html and "up to 50 files" in html


def test_it_records_the_facts_of_a_real_heic_photo(owner_client, owner):
    path = CORPUS / "camera/iphone_13_pro_max.HEIC"
    data = path.read_bytes()
    response = upload(owner_client, corpus_upload("camera/iphone_13_pro_max.HEIC"))
    assert response.status_code == 200
    asset = Asset.objects.get()
    with Image.open(path) as image:
        assert (asset.width, asset.height) == image.size == (3024, 4032)
    assert (asset.format, asset.mime_type, asset.filename) == (
        "HEIF",
        "image/heic",
        "iphone_13_pro_max.heic",
    )
    assert asset.bytes == len(data)
    assert asset.sha256 == hashlib.sha256(data).hexdigest()
    assert (asset.color_mode, asset.has_alpha, asset.orientation, asset.frames) == (
        "RGB",
        False,
        1,
        1,
    )
    assert asset.has_gps is False
    assert (asset.kind, asset.module, asset.created_by) == ("original", "upload", owner)
    assert asset.filename in response.content.decode()


def test_it_records_the_upright_size_the_orientation_and_gps_of_a_rotated_camera_jpeg(owner_client):
    path = CORPUS / "camera/canon_hdr_NO.jpg"
    with Image.open(path) as image:
        stored_size, exif = image.size, image.getexif()
    assert exif[EXIF_ORIENTATION] == 6 and exif.get_ifd(EXIF_GPS_IFD)  # the oracle, from Pillow
    upload(owner_client, corpus_upload("camera/canon_hdr_NO.jpg"))
    asset = Asset.objects.get()
    assert (asset.width, asset.height) == stored_size[::-1] == (1536, 2048)
    assert asset.orientation == 6
    assert asset.has_gps is True
    assert (asset.format, asset.color_mode, asset.has_alpha) == ("JPEG", "RGB", False)
    assert asset.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_it_stores_several_files_from_one_request_and_reports_on_each(owner_client):
    response = upload(
        owner_client,
        corpus_upload("photos/kitty.jpg"),
        corpus_upload("edge/pil123rgba.png"),
        pdf_named_jpg(),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html  # only the result list, for HTMX to prepend
    assert {a.filename for a in Asset.objects.all()} == {"kitty.jpg", "pil123rgba.png"}
    assert html.count('class="stored"') == 2
    assert html.count('class="error"') == 1 and "invoice.jpg" in html
    assert Asset.objects.get(filename="pil123rgba.png").has_alpha is True


def test_a_fresh_upload_shows_a_placeholder_that_polls_for_its_preview(owner_client):
    html = upload(owner_client, corpus_upload("photos/kitty.jpg")).content.decode()
    asset = Asset.objects.get()
    assert "Preparing preview…" in html
    assert f'hx-get="{reverse("assets-thumbnail", args=[asset.code])}"' in html
    assert 'hx-trigger="every 2s"' in html


def test_a_plain_form_post_redirects_to_the_library_with_a_message_per_file(owner_client):
    response = upload(owner_client, corpus_upload("photos/kitty.jpg"), pdf_named_jpg(), htmx=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("assets-library")
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes[0] == "Stored 1 image."
    assert notes[1].startswith("invoice.jpg: This file is not an image we can read")


@pytest.mark.parametrize(
    ("upload_file", "message"),
    [
        (pdf_named_jpg(), "it looks like a PDF"),
        (SimpleUploadedFile("notes.jpg", b"Shopping list: eggs, milk\n" * 20), "not an image"),
        (
            SimpleUploadedFile("cut.jpg", (CORPUS / "camera/canon_hdr_NO.jpg").read_bytes()[:2000]),
            "damaged",
        ),
        (corpus_upload("edge/decompression_bomb.gif"), "too large to process"),
        (SimpleUploadedFile("empty.png", b""), "empty"),
    ],
    ids=[
        "pdf-renamed-jpg",
        "text-renamed-jpg",
        "cut-inside-headers",
        "decompression-bomb",
        "empty",
    ],
)
def test_it_refuses_files_that_are_not_images_it_can_use_by_their_content(
    owner_client, owner, upload_file, message
):
    html = upload(owner_client, upload_file).content.decode()
    assert message in html
    assert upload_file.name in html
    assert not Asset.objects.exists()
    assert stored_keys(owner) == []


@pytest.mark.parametrize(
    "name",
    [
        "truncated_jpeg.jpg",
        "truncated_image.png",
        "truncated_end_chunk.png",
        "broken_data_stream.png",
    ],
)
def test_it_refuses_an_image_whose_pixel_data_is_cut_short(owner_client, name):
    html = upload(owner_client, corpus_upload(f"edge/{name}")).content.decode()
    assert name in html and ("damaged" in html or "cut short" in html or "broken" in html)
    assert not Asset.objects.exists()


@override_settings(STUDIO_MAX_UPLOAD_BYTES=1024 * 1024)
def test_it_refuses_a_file_over_the_size_limit_and_stores_the_others(owner_client, owner):
    html = upload(
        owner_client,
        corpus_upload("camera/iphone_13_pro_max.HEIC"),
        corpus_upload("photos/kitty.jpg"),
    ).content.decode()
    assert "iphone_13_pro_max.HEIC is 2.1 MB; the limit is 1 MB per file" in html
    assert [a.filename for a in Asset.objects.all()] == ["kitty.jpg"]
    assert len(stored_keys(owner)) == 1


@override_settings(STUDIO_MAX_FILES_PER_UPLOAD=2)
def test_it_refuses_more_files_than_one_upload_may_carry(owner_client, owner):
    files = [
        corpus_upload(name) for name in ("edge/hopper.jpg", "edge/hopper.png", "edge/hopper.gif")
    ]
    response = upload(owner_client, *files)
    assert response.status_code == 400
    assert "You chose 3 files; upload at most 2 at a time." in response.content.decode()
    assert not Asset.objects.exists()


@override_settings(STUDIO_MAX_UPLOAD_BYTES=100_000, STUDIO_MAX_FILES_PER_UPLOAD=1)
@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "plain"])
def test_a_body_too_large_for_any_upload_is_refused_unread_with_413_and_a_message(
    owner_client, owner, htmx
):
    response = upload(owner_client, corpus_upload("camera/canon_hdr_NO.jpg"), htmx=htmx)
    assert response.status_code == 413
    html = response.content.decode()
    assert "one upload takes at most 1 file of up to 97.7\xa0KB each" in html
    assert ("<html" in html) is not htmx
    assert "_files" not in vars(response.wsgi_request)  # the multipart body was never parsed
    assert not Asset.objects.exists()


@override_settings(DATA_UPLOAD_MAX_NUMBER_FILES=2)
def test_more_files_than_django_parses_get_a_message_instead_of_an_error_page(owner_client):
    files = [
        corpus_upload(name) for name in ("edge/hopper.jpg", "edge/hopper.png", "edge/hopper.gif")
    ]
    response = upload(owner_client, *files)
    assert response.status_code == 400
    assert "Too many files or fields in one upload; upload at most 50 at a time." in (
        response.content.decode()
    )


def test_a_post_without_files_asks_for_one(owner_client):
    response = owner_client.post(reverse("assets-upload"), {}, headers=HTMX)
    assert response.status_code == 400
    assert "Choose at least one image to upload." in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in_before_anything_is_read(client):
    for response in (
        client.get(reverse("assets-upload")),
        client.post(reverse("assets-upload"), {"images": [corpus_upload("photos/kitty.jpg")]}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert not Asset.objects.exists()


def test_the_upload_still_checks_the_csrf_token_after_the_size_check(owner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    refused = client.post(reverse("assets-upload"), {"images": [corpus_upload("edge/hopper.jpg")]})
    assert refused.status_code == 403
    client.get(reverse("assets-upload"))  # sets the CSRF cookie, as the browser's first visit does
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        reverse("assets-upload"),
        {"images": [corpus_upload("edge/hopper.jpg")], "csrfmiddlewaretoken": token},
    )
    assert accepted.status_code == 302
    assert Asset.objects.count() == 1


def test_the_upload_url_refuses_other_methods(owner_client):
    assert owner_client.put(reverse("assets-upload")).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_the_worker_makes_the_thumbnail_that_the_placeholder_then_shows(
    owner_client, celery_worker
):
    upload(owner_client, corpus_upload("camera/canon_hdr_NO.jpg"))
    asset = Asset.objects.get()
    wait_for(lambda: Asset.objects.get(pk=asset.pk).thumbnail, timeout=60)
    poll = owner_client.get(reverse("assets-thumbnail", args=[asset.code]), headers=HTMX)
    assert poll.status_code == 200
    assert "<img" in poll.content.decode()
    with default_storage.open(Asset.objects.get(pk=asset.pk).thumbnail.name) as fp:
        thumb = Image.open(fp)
        assert (thumb.format, thumb.width) == ("WEBP", 480)
        assert thumb.height > thumb.width  # drawn upright from the orientation-6 original
