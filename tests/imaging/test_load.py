"""Safe decoding: every corpus edge case decodes correctly or is refused with a clear message."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.imaging.errors import ImageError
from studio.imaging.load import SRGB_ICC, decode, probe
from tests.corpus import CAMERA, EDGE, PHOTOS

MAX_PIXELS = 100_000_000


def decode_path(path: Path, **kwargs):
    with path.open("rb") as fp:
        return decode(fp, max_pixels=kwargs.pop("max_pixels", MAX_PIXELS), **kwargs)


def probe_path(path: Path, max_pixels: int = MAX_PIXELS):
    with path.open("rb") as fp:
        return probe(fp, max_pixels=max_pixels)


# file -> ((width, height), mode, a phrase one of the notes must contain or None)
DECODED = {
    "16bit.cropped.tif": ((64, 64), "RGB", "16-bit"),
    "decompression_bomb_extents.gif": ((100, 100), "RGB", "first of 2 frames"),
    "dispose_bgnd_rgba.gif": ((100, 100), "RGBA", "first of 5 frames"),
    "exif-samples_corrupted.jpg": ((3648, 2736), "RGB", None),
    "hopper.bmp": ((128, 128), "RGB", None),
    "hopper.gif": ((128, 128), "RGB", None),
    "hopper.jpg": ((128, 128), "RGB", None),
    "hopper.png": ((128, 128), "RGB", None),
    "hopper.tif": ((128, 128), "RGB", None),
    "hopper.webp": ((128, 128), "RGB", None),
    "hopper_16bit_qtables.jpg": ((128, 128), "RGB", None),
    "hopper_bad_exif.jpg": ((500, 500), "RGB", None),
    "hopper_gray.jpg": ((128, 128), "RGB", None),
    "hopper_orientation_3.jpg": ((128, 128), "RGB", None),
    "hopper_orientation_6.jpg": ((128, 128), "RGB", None),
    "hopper_orientation_6.webp": ((128, 128), "RGB", None),
    "hopper_orientation_8.jpg": ((128, 128), "RGB", None),
    "icc-after-SOF.jpg": ((10, 10), "RGB", "damaged colour profile"),
    "icc_profile_big.jpg": ((425, 250), "RGB", "to sRGB"),
    "iss634.apng": ((245, 245), "RGB", "first of 41 frames"),
    "iss634.gif": ((245, 245), "RGB", "first of 42 frames"),
    "iss634.webp": ((245, 245), "RGB", "first of 42 frames"),
    "l_trns.png": ((64, 64), "RGBA", None),
    "p_trns_single.png": ((64, 64), "RGBA", None),
    "photoshop-200dpi-broken.jpg": ((200, 200), "RGB", None),
    "pil123p.png": ((162, 150), "RGBA", None),
    "pil123rgba.png": ((162, 150), "RGBA", None),
    "pil_sample_cmyk.jpg": ((100, 100), "RGB", "Converted from CMYK"),
    "rgb_trns.png": ((64, 64), "RGBA", None),
}

# file -> a phrase the refusal must contain
REFUSED = {
    "broken.png": "not an image we can read",
    "broken_data_stream.png": "damaged",
    "decompression_bomb.gif": "too large",
    "truncated_end_chunk.png": "damaged or incomplete",
    "truncated_image.png": "damaged or incomplete",
    "truncated_jpeg.jpg": "damaged or incomplete",
}


def test_every_edge_file_has_an_expected_outcome():
    assert sorted(DECODED.keys() | REFUSED.keys()) == sorted(p.name for p in EDGE.iterdir())


@pytest.mark.parametrize("name", sorted(DECODED))
def test_it_decodes_the_edge_file(name):
    size, mode, note = DECODED[name]
    decoded = decode_path(EDGE / name)
    assert decoded.image.size == size
    assert decoded.image.mode == mode
    assert (decoded.info.width, decoded.info.height) == size
    assert decoded.image.info == {}
    if note is not None:
        assert any(note in n for n in decoded.notes), decoded.notes


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_it_refuses_the_edge_file_with_a_clear_message(name):
    with pytest.raises(ImageError, match=REFUSED[name]):
        decode_path(EDGE / name)


TURNED_HOPPERS = [
    "hopper_orientation_3.jpg",
    "hopper_orientation_6.jpg",
    "hopper_orientation_6.webp",
    "hopper_orientation_8.jpg",
]


@pytest.mark.parametrize("name", TURNED_HOPPERS)
def test_it_turns_hopper_upright(name):
    upright = np.asarray(decode_path(EDGE / "hopper.jpg").image, dtype=np.float32)
    turned = np.asarray(decode_path(EDGE / name).image, dtype=np.float32)
    assert np.abs(upright - turned).mean() < 8


def test_it_scales_16_bit_samples_to_8_bits():
    decoded = decode_path(EDGE / "16bit.cropped.tif")
    # The samples are 291..694 of 65535, i.e. 1..3 of 255: a very dark image, not a white one.
    assert decoded.image.getextrema() == ((1, 3), (1, 3), (1, 3))


def test_it_scales_a_generated_16_bit_png_to_the_full_8_bit_range():
    samples = np.array([[0, 32896, 65535]], dtype=np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(samples).save(buffer, "PNG")
    buffer.seek(0)
    decoded = decode(buffer, max_pixels=MAX_PIXELS)
    assert list(decoded.image.get_flattened_data()) == [(0, 0, 0), (128, 128, 128), (255, 255, 255)]


def test_it_keeps_palette_transparency():
    image = decode_path(EDGE / "p_trns_single.png").image
    assert image.getchannel("A").getextrema()[0] == 0


def test_it_converts_inverted_adobe_cmyk_to_rgb():
    # As Pillow's own test_cmyk says of this file: red top left, black bottom right.
    image = decode_path(EDGE / "pil_sample_cmyk.jpg").image
    red, green, blue = image.getpixel((0, 0))
    assert red > 200 and green < 60 and blue < 60
    assert max(image.getpixel((99, 99))) < 30


@pytest.mark.parametrize("name", [f"landscape_{n}.jpg" for n in range(1, 9)])
def test_it_applies_each_exif_orientation(name):
    reference = decode_path(CAMERA / "orientation" / "landscape_1.jpg").image
    image = decode_path(CAMERA / "orientation" / name).image
    assert image.size == reference.size == (600, 450)
    small = (60, 45)
    difference = np.abs(
        np.asarray(image.resize(small), dtype=np.float32)
        - np.asarray(reference.resize(small), dtype=np.float32)
    ).mean()
    wrong_way = np.abs(
        np.asarray(image.transpose(Image.Transpose.ROTATE_180).resize(small), dtype=np.float32)
        - np.asarray(reference.resize(small), dtype=np.float32)
    ).mean()
    assert difference < 12 < wrong_way


def test_it_resets_the_orientation_in_the_exif_it_keeps():
    decoded = decode_path(CAMERA / "canon_hdr_NO.jpg")
    assert decoded.info.orientation == 6
    assert decoded.image.size == (1536, 2048)
    exif = Image.Exif()
    exif.load(decoded.exif)
    assert exif[0x0112] == 1
    assert 0x8825 in exif  # GPS stays for outputs that keep metadata


def test_it_converts_adobe_rgb_to_srgb_and_embeds_srgb():
    decoded = decode_path(PHOTOS / "29386679.jpg")
    assert decoded.icc_profile == SRGB_ICC
    assert any("Adobe RGB" in note for note in decoded.notes)


def test_it_keeps_an_srgb_profile_as_it_is():
    path = PHOTOS / "60569462.jpg"
    decoded = decode_path(path)
    assert decoded.icc_profile == Image.open(path).info["icc_profile"]
    assert decoded.notes == []


def test_it_ignores_an_rgb_profile_on_a_grey_image():
    decoded = decode_path(PHOTOS / "64765319.jpg")
    assert decoded.image.mode == "RGB"
    assert decoded.icc_profile is None
    assert any("does not match" in note for note in decoded.notes)


def test_it_decodes_heic_from_an_iphone_into_srgb():
    decoded = decode_path(CAMERA / "iphone_13_pro_max.HEIC")
    assert decoded.info.format == "HEIF"
    assert decoded.image.size == (3024, 4032)
    assert decoded.icc_profile == SRGB_ICC
    assert any("Display P3" in note for note in decoded.notes)


def test_it_decodes_a_generated_avif():
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 10, 10)).save(buffer, "AVIF")
    buffer.seek(0)
    decoded = decode(buffer, max_pixels=MAX_PIXELS)
    assert decoded.info.format == "AVIF"
    assert decoded.image.size == (40, 30)


def test_it_shrinks_a_jpeg_on_load_but_never_below_the_minimum():
    decoded = decode_path(CAMERA / "jolla.jpg", min_size=(800, 600))
    assert decoded.info.size == (3264, 2448)
    assert decoded.image.size == (816, 612)


def test_it_accounts_for_orientation_when_shrinking_on_load():
    decoded = decode_path(CAMERA / "canon_hdr_NO.jpg", min_size=(300, 1000))
    width, height = decoded.image.size
    assert width >= 300 and height >= 1000
    assert (width, height) == (768, 1024)


def test_probe_reads_the_headers_only():
    # The pixel data of truncated_jpeg.jpg is incomplete, but its headers are fine.
    info = probe_path(EDGE / "truncated_jpeg.jpg")
    assert (info.format, info.width, info.height) == ("JPEG", 100, 100)


def test_probe_reports_gps_frames_alpha_and_profile():
    assert probe_path(CAMERA / "DSCN0010.jpg").has_gps
    assert not probe_path(CAMERA / "jolla.jpg").has_gps
    assert probe_path(EDGE / "iss634.gif").frames == 42
    assert probe_path(EDGE / "rgb_trns.png").has_alpha
    assert not probe_path(EDGE / "hopper.png").has_alpha
    assert probe_path(PHOTOS / "29386679.jpg").has_icc_profile


def test_it_refuses_an_image_above_the_pixel_limit_before_decoding():
    with pytest.raises(ImageError, match=r"3264×2448 pixels \(8 MP; the limit is 1 MP\)"):
        probe_path(CAMERA / "jolla.jpg", max_pixels=1_000_000)


def test_it_names_a_pdf_when_refusing_it():
    pdf = io.BytesIO(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n")
    with pytest.raises(ImageError, match=r"it looks like a PDF\)\. Upload a JPEG, PNG"):
        decode(pdf, max_pixels=MAX_PIXELS)


def test_it_refuses_an_empty_file():
    with pytest.raises(ImageError, match="empty"):
        decode(io.BytesIO(b""), max_pixels=MAX_PIXELS)


def test_it_refuses_a_format_pillow_reads_but_we_do_not_accept():
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "ICO")
    buffer.seek(0)
    with pytest.raises(ImageError, match="We can't use ICO files"):
        decode(buffer, max_pixels=MAX_PIXELS)


def test_it_decides_the_format_by_content_not_by_name(tmp_path):
    misnamed = tmp_path / "photo.png"
    misnamed.write_bytes((EDGE / "hopper.jpg").read_bytes())
    assert probe_path(misnamed).format == "JPEG"
