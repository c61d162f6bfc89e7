"""Downloads: presigned S3 redirects or local streams, thumbnails and their polling, ZIPs."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import timedelta
from urllib.parse import urlparse

import pytest
import requests
import time_machine
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import override_settings
from django.urls import reverse

from assets.views import THUMBNAIL_PATIENCE
from tests.assets.conftest import WEBP
from tests.conftest import CORPUS

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def test_a_download_redirects_to_a_presigned_url_that_serves_the_original_bytes(
    owner_client, make_asset
):
    asset = make_asset("camera/iphone_13_pro_max.HEIC")
    response = owner_client.get(reverse("assets-download", args=[asset.code]))
    assert response.status_code == 302
    location = urlparse(response["Location"])
    assert location.hostname == "127.0.0.1" and "X-Amz-Signature=" in location.query
    fetched = requests.get(response["Location"], timeout=30)
    assert fetched.status_code == 200
    assert fetched.content == (CORPUS / "camera/iphone_13_pro_max.HEIC").read_bytes()
    assert fetched.headers["Content-Type"] == "image/heic"
    assert fetched.headers["Content-Disposition"] == 'attachment; filename="iphone_13_pro_max.heic"'


def test_inline_asks_the_object_store_to_show_the_file_in_the_browser(owner_client, make_asset):
    asset = make_asset("photos/kitty.jpg")
    response = owner_client.get(reverse("assets-download", args=[asset.code]), {"inline": "1"})
    fetched = requests.get(response["Location"], timeout=30)
    assert fetched.headers["Content-Disposition"] == 'inline; filename="kitty.jpg"'


def test_inline_zero_is_an_ordinary_download(owner_client, make_asset):
    asset = make_asset("photos/kitty.jpg")
    response = owner_client.get(reverse("assets-download", args=[asset.code]), {"inline": "0"})
    assert "response-content-disposition=attachment" in response["Location"]


def test_a_download_streams_the_file_when_storage_is_local(owner_client, make_asset, tmp_path):
    local = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": tmp_path},
    }
    with override_settings(STORAGES={**settings.STORAGES, "default": local}):
        asset = make_asset("photos/kitty.jpg")
        assert (tmp_path / asset.file.name).exists()
        response = owner_client.get(reverse("assets-download", args=[asset.code]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == (CORPUS / "photos/kitty.jpg").read_bytes()
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"] == 'attachment; filename="kitty.jpg"'


def test_the_thumbnail_redirects_to_the_stored_webp(owner_client, make_asset, add_thumbnail):
    asset = add_thumbnail(make_asset())
    response = owner_client.get(reverse("assets-thumbnail", args=[asset.code]))
    assert response.status_code == 302
    assert "private" in response["Cache-Control"]
    assert requests.get(response["Location"], timeout=30).content == WEBP


def test_there_is_no_thumbnail_before_the_worker_made_it(owner_client, make_asset):
    response = owner_client.get(reverse("assets-thumbnail", args=[make_asset().code]))
    assert response.status_code == 404


def test_a_preview_poll_waits_with_204_swaps_in_the_image_when_ready_and_gives_up_later(
    owner_client, make_asset, add_thumbnail
):
    asset = make_asset()
    url = reverse("assets-thumbnail", args=[asset.code])
    assert owner_client.get(url, headers=HTMX).status_code == 204
    with time_machine.travel(asset.created_at + THUMBNAIL_PATIENCE + timedelta(seconds=1)):
        given_up = owner_client.get(url, headers=HTMX)
    assert given_up.status_code == 286
    assert "No preview" in given_up.content.decode()
    add_thumbnail(asset)
    ready = owner_client.get(url, headers=HTMX)
    assert ready.status_code == 200
    html = ready.content.decode()  # the <img> loads the object from storage, presigned
    assert f'<img src="{os.environ["STUDIO_S3_ENDPOINT_URL"]}' in html
    assert asset.thumbnail.name in html and "X-Amz-Signature=" in html
    assert "HX-Request" in ready["Vary"]


def test_a_bulk_zip_holds_the_selected_files_as_stored(owner_client, make_asset):
    kitty = make_asset("photos/kitty.jpg")
    heic = make_asset("camera/iphone_13_pro_max.HEIC")
    make_asset("edge/hopper.png")  # not selected
    again = make_asset("photos/kitty.jpg")
    response = owner_client.post(
        reverse("assets-bulk"), {"action": "zip", "codes": [kitty.code, heic.code, again.code]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="image-studio-')
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["iphone_13_pro_max.heic", "kitty-2.jpg", "kitty.jpg"]
    assert (
        archive.read("iphone_13_pro_max.heic")
        == (CORPUS / "camera/iphone_13_pro_max.HEIC").read_bytes()
    )
    assert archive.read("kitty-2.jpg") == (CORPUS / "photos/kitty.jpg").read_bytes()


@override_settings(STUDIO_ZIP_MAX_FILES=1)
def test_a_zip_of_more_than_the_limit_is_refused_with_a_message(owner_client, make_asset):
    codes = [make_asset().code, make_asset("edge/hopper.png").code]
    response = owner_client.post(reverse("assets-bulk"), {"action": "zip", "codes": codes})
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "A ZIP holds at most 1 file; select fewer."
    ]


@pytest.mark.parametrize("name", ["assets-download", "assets-thumbnail"])
@pytest.mark.parametrize(("who", "status"), [("owner", 302), ("teammate", 302), ("outsider", 404)])
def test_files_are_handed_to_members_of_the_workspace_only(
    client_as, make_asset, add_thumbnail, name, who, status
):
    asset = add_thumbnail(make_asset())
    assert client_as(who).get(reverse(name, args=[asset.code])).status_code == status


@pytest.mark.parametrize("name", ["assets-download", "assets-thumbnail"])
def test_anonymous_visitors_are_sent_to_log_in_from_file_urls(client, make_asset, name):
    response = client.get(reverse(name, args=[make_asset().code]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("name", ["assets-download", "assets-thumbnail"])
def test_file_urls_refuse_post(owner_client, make_asset, name):
    assert owner_client.post(reverse(name, args=[make_asset().code])).status_code == 405
