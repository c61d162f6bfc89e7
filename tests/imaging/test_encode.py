"""Encoding: formats, metadata policy, alpha, and reaching a target file size in few encodes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from studio.imaging import geometry
from studio.imaging.encode import MAX_TARGET_ENCODES, encode, encode_to_target
from studio.imaging.load import SRGB_ICC, decode
from tests.corpus import CAMERA, PHOTOS

FORMAT_NAMES = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}


def decoded(path):
    with path.open("rb") as fp:
        return decode(fp, max_pixels=100_000_000)


def opened(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.fixture(scope="module")
def gps_photo():
    """A real camera photo with GPS in its EXIF, reduced to keep the tests fast."""
    source = decoded(CAMERA / "DSCN0010.jpg")
    return source, geometry.resize(source.image, (320, 240))


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_it_encodes_each_format(fmt, gps_photo):
    _, image = gps_photo
    result = opened(encode(image, format=fmt))
    assert result.format == FORMAT_NAMES[fmt]
    assert result.size == (320, 240)


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_strip_drops_exif_and_gps_but_keeps_the_colour_profile(fmt, gps_photo):
    source, image = gps_photo
    icc = SRGB_ICC
    result = opened(encode(image, format=fmt, strip=True, icc_profile=icc, exif=source.exif))
    assert not result.getexif()
    assert result.info.get("icc_profile") == icc


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "avif"])
def test_without_strip_the_exif_and_its_gps_are_kept(fmt, gps_photo):
    source, image = gps_photo
    result = opened(encode(image, format=fmt, strip=False, exif=source.exif))
    assert 0x8825 in result.getexif()


def test_jpeg_flattens_transparency_on_white():
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    result = opened(encode(image, format="jpeg", quality=95))
    assert result.mode == "RGB"
    assert all(channel > 245 for channel in result.getpixel((8, 8)))


@pytest.mark.parametrize("fmt", ["png", "webp", "avif"])
def test_formats_with_alpha_keep_transparency(fmt):
    image = Image.new("RGBA", (16, 16), (255, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 0, 8, 16))
    result = opened(encode(image, format=fmt)).convert("RGBA")
    assert result.getpixel((12, 8))[3] < 10
    assert result.getpixel((2, 8))[3] > 245


def test_progressive_makes_a_progressive_jpeg(gps_photo):
    _, image = gps_photo
    assert opened(encode(image, format="jpeg", progressive=True)).info.get("progressive")
    assert not opened(encode(image, format="jpeg")).info.get("progressive")


def test_it_refuses_a_quality_outside_1_to_100(gps_photo):
    with pytest.raises(ValueError, match="1-100"):
        encode(gps_photo[1], format="jpeg", quality=0)


TARGET_PHOTOS = ["65380541.jpg", "64786603.jpg", "65394327.jpg", "29386679.jpg", "goodtimes.jpg"]


TARGET_CASES = [
    (name, position, fmt)
    for fmt, names in (
        ("jpeg", TARGET_PHOTOS),
        ("webp", TARGET_PHOTOS),
        ("avif", TARGET_PHOTOS[:2]),
    )
    for name in names
    for position in (0.2, 0.5, 0.8)
]


@pytest.mark.parametrize(("name", "position", "fmt"), TARGET_CASES)
def test_target_size_lands_at_90_to_100_percent_in_at_most_7_encodes(name, position, fmt):
    # Budgets between the file at quality 30 and at 95 (geometrically), so quality binds.
    image = decoded(PHOTOS / name).image
    low, high = (len(encode(image, format=fmt, quality=q)) for q in (30, 95))
    budget = round(low * (high / low) ** position)
    result = encode_to_target(image, max_bytes=budget, format=fmt)
    assert result.encodes <= MAX_TARGET_ENCODES
    assert result.scale == 1.0
    assert 0.9 * budget <= len(result.data) <= budget
    # It is the largest quality that fits: one step up would not.
    assert len(encode(image, format=fmt, quality=result.quality + 1)) > budget


def test_target_size_takes_one_encode_when_the_ceiling_already_fits():
    image = decoded(PHOTOS / "kitty.jpg").image
    result = encode_to_target(image, max_bytes=5 * 1024 * 1024, format="jpeg", quality=85)
    assert (result.quality, result.encodes) == (85, 1)


def test_target_size_shrinks_the_pixels_when_the_lowest_quality_is_too_large():
    image = decoded(CAMERA / "jolla.jpg").image
    result = encode_to_target(image, max_bytes=60 * 1024, format="jpeg")
    assert len(result.data) <= 60 * 1024
    assert result.scale < 1
    assert opened(result.data).size == result.size
    assert "smaller" in result.notes[0]


def test_png_target_size_reduces_colours_then_pixels():
    image = decoded(PHOTOS / "kitty.jpg").image
    palette_only = encode_to_target(image, max_bytes=250 * 1024, format="png")
    assert len(palette_only.data) <= 250 * 1024
    assert opened(palette_only.data).mode == "P"
    assert palette_only.scale == 1.0
    smaller = encode_to_target(image, max_bytes=60 * 1024, format="png")
    assert len(smaller.data) <= 60 * 1024
    assert smaller.scale < 1
