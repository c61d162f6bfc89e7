"""Storage: objects hold the uploaded bytes unchanged, under keys the server makes."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from storages.backends.s3 import S3Storage

from accounts.models import personal_workspace
from assets.services import make_thumbnail, store_upload
from tests.conftest import CORPUS

pytestmark = pytest.mark.django_db


def store(user, relative: str, name: str | None = None):
    data = (CORPUS / relative).read_bytes()
    upload = SimpleUploadedFile(name or relative.rsplit("/", 1)[-1], data)
    return store_upload(workspace=personal_workspace(user), user=user, upload=upload), data


def test_tests_store_objects_in_the_s3_bucket_as_production_does():
    assert isinstance(default_storage, S3Storage)


@pytest.mark.parametrize("relative", ["camera/iphone_13_pro_max.HEIC", "camera/canon_hdr_NO.jpg"])
def test_the_stored_object_is_byte_identical_to_the_upload(owner, relative):
    asset, data = store(owner, relative)
    with default_storage.open(asset.file.name, "rb") as fp:
        assert fp.read() == data


def test_the_key_is_made_by_the_server_and_never_contains_the_client_file_name(owner):
    asset, _ = store(owner, "photos/kitty.jpg", name="../../etc/Holiday Secret.jpg")
    workspace = personal_workspace(owner)
    assert re.fullmatch(rf"ws/{workspace.code}/[0-9a-f]{{32}}\.jpg", asset.file.name)
    assert "Holiday" not in asset.file.name and ".." not in asset.file.name
    assert asset.filename == "Holiday Secret.jpg"  # shown to the user, kept out of the key


def test_the_key_extension_and_the_file_name_follow_the_content_not_the_client(owner):
    asset, _ = store(owner, "edge/hopper.png", name="photo.jpg")
    assert asset.file.name.endswith(".png")
    assert (asset.filename, asset.format, asset.mime_type) == ("photo.png", "PNG", "image/png")


def test_two_uploads_of_one_file_get_two_keys(owner):
    first, _ = store(owner, "photos/kitty.jpg")
    second, _ = store(owner, "photos/kitty.jpg")
    assert first.file.name != second.file.name
    assert first.sha256 == second.sha256


def test_the_thumbnail_is_stored_beside_the_original_under_the_workspace_prefix(owner):
    asset, _ = store(owner, "camera/canon_hdr_NO.jpg")
    make_thumbnail(asset)
    asset.refresh_from_db()
    workspace = personal_workspace(owner)
    assert re.fullmatch(rf"ws/{workspace.code}/thumbs/[0-9a-f]{{32}}\.webp", asset.thumbnail.name)
    assert default_storage.exists(asset.thumbnail.name)
