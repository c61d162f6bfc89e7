"""A new user signs up, uploads a HEIC and a JPEG, exports three formats and downloads the ZIP."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from django.core import mail
from PIL import Image

from tests.conftest import CORPUS

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Long-passphrase-42"
FORMATS = {
    "instagram-story": (1080, 1920),
    "x-post": (1200, 675),
    "linkedin-company-cover": (1128, 191),
}


def test_a_new_user_turns_phone_photos_into_platform_files(
    page, live_server, celery_worker, tmp_path
):
    base = live_server.url

    # Sign up and verify the e-mail address with the link from the mail.
    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=email]", "journey@example.com")
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(base + re.sub(r"^https?://[^/]+", "", link))
    page.click("form button[type=submit]")
    page.goto(f"{base}/library/")
    if "/accounts/login/" in page.url:
        page.fill("input[name=login]", "journey@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(re.compile(r"/library/"))

    # Upload a HEIC from an iPhone and a JPEG with EXIF orientation 6, both at once.
    page.goto(f"{base}/upload/")
    page.set_input_files(
        "input[name=images]",
        [
            str(CORPUS / "camera" / "iphone_13_pro_max.HEIC"),
            str(CORPUS / "edge" / "hopper_orientation_6.jpg"),
        ],
    )
    page.wait_for_selector("#upload-results li.stored >> nth=1")
    assert page.locator("#upload-results li.error").count() == 0

    # Social Optimizer: both images, three formats, smart crop.
    page.goto(f"{base}/studio/social/")
    for box in page.locator("input[name=assets]").all():
        box.check()
    for name in FORMATS:
        page.check(f"input[name=formats][value={name}]")
    page.wait_for_selector("#preview .crop")
    page.click("button:has-text('Export')")
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]+/$"))
    page.wait_for_selector(".status-succeeded", timeout=120_000)
    assert page.locator("table.results tr").count() == 1 + 2 * len(FORMATS)

    # Download the ZIP and check every file.
    with page.expect_download() as download_info:
        page.click("text=as ZIP")
    archive = zipfile.ZipFile(download_info.value.path())
    names = archive.namelist()
    assert len(names) == 2 * len(FORMATS)
    for name in names:
        image = Image.open(io.BytesIO(archive.read(name)))
        fmt = next(f for f in FORMATS if f"social-{f}" in name)
        assert image.size == FORMATS[fmt], name
        assert image.format == "JPEG"
