"""Refusals decided from headers: truncated HEIC/AVIF, the one pixel limit, the memory estimate.

Issue 8, points 13-15. libheif decodes a cut HEIC with its missing tiles filled green, so
completeness is checked from the item extents (studio.imaging.isobmff); the pixel limit is
the caller's max_pixels (settings.STUDIO_MAX_PIXELS), never Pillow's MAX_IMAGE_PIXELS.
"""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from studio.imaging.budget import decode_cost, draft_scale
from studio.imaging.errors import ImageError
from studio.imaging.load import decode, probe
from tests.conftest import CORPUS

MAX = 100_000_000
HEICS = ["camera/iphone_13_pro_max.HEIC", "camera/IMG_5195.HEIC"]


@pytest.mark.parametrize("percent", [5, 50, 90])
@pytest.mark.parametrize("name", HEICS)
def test_it_refuses_a_heic_cut_short(name, percent):
    data = (CORPUS / name).read_bytes()
    cut = data[: len(data) * percent // 100]
    for read in (probe, decode):
        with pytest.raises(ImageError, match="incomplete"):
            read(io.BytesIO(cut), max_pixels=MAX)


def test_it_refuses_a_cut_heic_even_when_its_boxes_were_made_to_fit(tmp_path):
    """A copy tool that rewrites the mdat size still leaves the tiles' extents past the end."""
    data = bytearray((CORPUS / HEICS[0]).read_bytes())
    mdat = data.index(b"mdat") - 4
    cut = data[: len(data) // 2]
    struct.pack_into(">I", cut, mdat, len(cut) - mdat)
    with pytest.raises(ImageError, match="incomplete"):
        probe(io.BytesIO(bytes(cut)), max_pixels=MAX)


@pytest.mark.parametrize("name", HEICS)
def test_it_still_reads_a_whole_heic(name):
    info = probe(io.BytesIO((CORPUS / name).read_bytes()), max_pixels=MAX)
    assert (info.format, info.bits_per_sample) == ("HEIF", 8)


def test_it_refuses_a_truncated_avif():
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (200, 30, 30)).save(buffer, "AVIF")
    data = buffer.getvalue()
    probe(io.BytesIO(data), max_pixels=MAX)
    with pytest.raises(ImageError, match="incomplete"):
        probe(io.BytesIO(data[: len(data) * 9 // 10]), max_pixels=MAX)


@pytest.fixture(scope="module")
def png_95_mp() -> bytes:
    """A 9747×9747 (95.0 MP) grey PNG: above Pillow's 89.5 MP, below STUDIO_MAX_PIXELS."""
    buffer = io.BytesIO()
    Image.fromarray(np.zeros((9747, 9747), dtype=np.uint8)).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


def test_the_pixel_limit_is_the_callers_not_pillows(png_95_mp):
    info = probe(io.BytesIO(png_95_mp), max_pixels=MAX)
    assert info.size == (9747, 9747)
    with pytest.raises(ImageError, match=r"95 MP; the limit is 90 MP"):
        probe(io.BytesIO(png_95_mp), max_pixels=90_000_000)


def test_it_decodes_above_pillows_own_limit_when_the_callers_allows_it(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)  # hopper has 16 384 pixels
    decoded = decode(io.BytesIO((CORPUS / "edge/hopper.png").read_bytes()), max_pixels=MAX)
    assert decoded.image.size == (128, 128)


def test_django_moves_pillows_limit_to_the_studio_limit(settings):
    from django.apps import apps

    apps.get_app_config("assets").ready()
    assert Image.MAX_IMAGE_PIXELS == settings.STUDIO_MAX_PIXELS


def test_the_probe_reports_bit_depth_and_progressive_jpegs():
    tiff = probe(io.BytesIO((CORPUS / "edge/16bit.cropped.tif").read_bytes()), max_pixels=MAX)
    assert tiff.bits_per_sample == 16
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64)).save(buffer, "JPEG", progressive=True)
    assert probe(io.BytesIO(buffer.getvalue()), max_pixels=MAX).progressive


def test_the_memory_estimate_covers_a_real_decode_of_a_16_bit_image():
    info = probe(io.BytesIO((CORPUS / "edge/16bit.cropped.tif").read_bytes()), max_pixels=MAX)
    # I;16 holds 2 bytes a pixel; 8 more for the 8-bit RGB copies made converting it.
    assert decode_cost(info) == info.width * info.height * 10


def test_a_jpeg_draft_costs_an_eighth_of_each_side_unless_it_is_progressive():
    info = probe(io.BytesIO((CORPUS / "camera/jolla.jpg").read_bytes()), max_pixels=MAX)
    assert draft_scale(info, (1, 1)) == 8
    assert decode_cost(info, min_size=(1, 1)) < decode_cost(info) / 40
    progressive = type(info)(**{**vars(info), "progressive": True})
    assert decode_cost(progressive, min_size=(1, 1)) > info.width * info.height * 6


def test_decode_refuses_work_over_its_memory_budget_before_reading_pixels():
    data = (CORPUS / "camera/jolla.jpg").read_bytes()
    with pytest.raises(ImageError, match="of memory to read"):
        decode(io.BytesIO(data), max_pixels=MAX, max_bytes=2_000_000)
    decode(io.BytesIO(data), max_pixels=MAX, min_size=(1, 1), max_bytes=2_000_000)
