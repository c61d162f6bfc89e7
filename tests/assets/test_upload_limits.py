"""Upload size limits are enforced while reading, not after (issue 8, point 16).

A body over the per-request limit is refused from Content-Length, unread; a file is read only
up to the per-file limit (assets.uploads.LimitedUploadHandler) and refused with the message
the form gives any file over the limit, while the other files of the upload are stored.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.test import override_settings
from django.urls import reverse

from assets.models import Asset
from tests.conftest import corpus_upload

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def kept_bytes(monkeypatch):
    """Count the bytes of each file that Django's own handlers keep (memory or disk)."""
    kept: dict[str, int] = {}
    for handler in (MemoryFileUploadHandler, TemporaryFileUploadHandler):
        real = handler.receive_data_chunk

        def count(self, raw_data, start, real=real):
            kept[self.file_name] = kept.get(self.file_name, 0) + len(raw_data)
            return real(self, raw_data, start)

        monkeypatch.setattr(handler, "receive_data_chunk", count)
    return kept


@override_settings(STUDIO_MAX_UPLOAD_BYTES=1024 * 1024)
def test_a_file_over_the_limit_is_read_only_up_to_the_limit_and_refused_with_its_size(
    owner_client, kept_bytes
):
    response = owner_client.post(
        reverse("assets-upload"),
        {
            "images": [
                corpus_upload("camera/iphone_13_pro_max.HEIC"),  # 2.1 MB
                corpus_upload("photos/kitty.jpg"),
            ]
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "iphone_13_pro_max.HEIC is 2.1 MB; the limit is 1 MB per file" in html
    chunk = TemporaryFileUploadHandler.chunk_size  # 64 KiB: handlers see whole chunks
    assert kept_bytes["iphone_13_pro_max.HEIC"] <= 1024 * 1024
    assert kept_bytes["iphone_13_pro_max.HEIC"] > 1024 * 1024 - chunk
    assert [a.filename for a in Asset.objects.all()] == ["kitty.jpg"]


@override_settings(STUDIO_MAX_UPLOAD_BYTES=1024 * 1024)
def test_a_plain_form_gets_the_same_message_for_a_file_cut_at_the_limit(owner_client):
    from django.contrib.messages import get_messages

    response = owner_client.post(
        reverse("assets-upload"), {"images": [corpus_upload("camera/iphone_13_pro_max.HEIC")]}
    )
    assert response.status_code == 302
    notes = [str(m) for m in get_messages(response.wsgi_request)]
    assert notes == [
        "iphone_13_pro_max.HEIC is 2.1 MB; the limit is 1 MB per file. "
        "Export it smaller and try again."
    ]


@override_settings(STUDIO_MAX_UPLOAD_REQUEST_BYTES=1024 * 1024)
def test_a_body_over_the_per_request_limit_is_refused_unread_from_its_content_length(
    owner_client,
):
    response = owner_client.post(
        reverse("assets-upload"),
        {"images": [corpus_upload("camera/iphone_13_pro_max.HEIC")]},
        headers=HTMX,
    )
    assert response.status_code == 413
    html = response.content.decode()
    assert "This upload is 2.1\xa0MB" in html and "1\xa0MB in all" in html
    assert "_files" not in vars(response.wsgi_request)  # the multipart body was never parsed
    assert not Asset.objects.exists()


def test_the_default_per_request_limit_is_far_below_fifty_files_of_fifty_megabytes(settings):
    assert settings.STUDIO_MAX_UPLOAD_REQUEST_BYTES <= 256 * 1024 * 1024
    assert settings.STUDIO_MAX_UPLOAD_REQUEST_BYTES >= settings.STUDIO_MAX_UPLOAD_BYTES
