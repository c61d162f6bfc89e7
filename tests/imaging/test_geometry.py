"""Geometry: crop boxes, aspect-keeping sizes and Lanczos resampling quality."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from studio.imaging import geometry
from studio.imaging.load import decode
from tests.corpus import CAMERA, PHOTOS


def photo(path=PHOTOS / "65380541.jpg") -> Image.Image:
    with path.open("rb") as fp:
        return decode(fp, max_pixels=100_000_000).image


def psnr(image: Image.Image, reference: np.ndarray) -> float:
    error = np.mean((np.asarray(image, dtype=np.float64) - reference) ** 2)
    return float(10 * np.log10(255**2 / error))


def float_lanczos(image: Image.Image, size, box) -> np.ndarray:
    """The reference: Pillow's Lanczos run on 32-bit float channels, unrounded."""
    channels = [
        np.asarray(band.convert("F").resize(size, Image.Resampling.LANCZOS, box=box))
        for band in image.split()
    ]
    return np.clip(np.stack(channels, axis=-1), 0, 255)


@pytest.mark.parametrize(
    ("source", "target", "focal", "expected"),
    [
        ((1000, 500), (100, 100), (50, 50), (250, 0, 750, 500)),
        ((1000, 500), (100, 100), (0, 50), (0, 0, 500, 500)),
        ((1000, 500), (100, 100), (100, 0), (500, 0, 1000, 500)),
        ((1000, 500), (200, 50), (50, 50), (0, 125, 1000, 375)),
        ((1000, 500), (2000, 1000), (10, 90), (0, 0, 1000, 500)),
    ],
)
def test_cover_box_is_the_largest_box_of_the_aspect_around_the_focal_point(
    source, target, focal, expected
):
    assert geometry.cover_box(source, target, focal=focal) == pytest.approx(expected)


def test_cover_box_keeps_the_exact_aspect_ratio_with_fractional_edges():
    left, top, right, bottom = geometry.cover_box((3264, 2448), (1200, 628))
    assert (right - left) / (bottom - top) == pytest.approx(1200 / 628)


def test_box_to_aspect_trims_a_whole_pixel_box_around_its_centre():
    box = geometry.box_to_aspect((10, 0, 1211, 628), (1200, 628))
    assert box == pytest.approx((10.5, 0, 1210.5, 628))


@pytest.mark.parametrize(
    ("source", "bound", "expected"),
    [((4000, 3000), (1000, 1000), (1000, 750)), ((300, 1200), (500, 500), (125, 500))],
)
def test_contain_size_fits_inside_the_bound(source, bound, expected):
    assert geometry.contain_size(source, bound) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"width": 800}, (800, 600)), ({"height": 300}, (400, 300)), ({"percent": 25}, (1000, 750))],
)
def test_scaled_size_keeps_the_aspect_ratio(kwargs, expected):
    assert geometry.scaled_size((4000, 3000), **kwargs) == expected


def test_scaled_size_needs_exactly_one_measure():
    with pytest.raises(ValueError, match="exactly one"):
        geometry.scaled_size((10, 10), width=5, height=5)


@pytest.mark.parametrize("size", [(1080, 1350), (1128, 191), (400, 300)])
def test_resizing_a_crop_keeps_45_db_against_a_float_lanczos_reference(size):
    image = photo(CAMERA / "jolla.jpg")
    box = geometry.cover_box(image.size, size)
    result = geometry.resize(image, size, box=box)
    assert result.size == size
    assert psnr(result, float_lanczos(image, size, box)) >= 45


def test_resizing_rgba_does_not_bleed_transparent_colour_into_the_edge():
    pixels = np.zeros((64, 64, 4), dtype=np.uint8)
    pixels[:, :32] = (0, 200, 0, 255)  # opaque green
    pixels[:, 32:] = (255, 0, 0, 0)  # fully transparent red
    result = np.asarray(geometry.resize(Image.fromarray(pixels), (16, 16)))
    visible = result[..., 3] > 0
    assert result[visible][:, 0].max() == 0  # no red anywhere a pixel can be seen


def test_fill_crops_around_the_focal_point():
    image = photo()
    left = geometry.fill(image, (100, 100), focal=(0, 50))
    right = geometry.fill(image, (100, 100), focal=(100, 50))
    assert left.size == right.size == (100, 100)
    expected_left = image.crop((0, 0, image.height, image.height)).resize((100, 100))
    assert np.abs(np.asarray(left, float) - np.asarray(expected_left, float)).mean() < 3
    assert np.abs(np.asarray(left, float) - np.asarray(right, float)).mean() > 10


def test_fit_pad_letterboxes_on_the_colour():
    result = geometry.fit_pad(photo(), (300, 300), (255, 0, 128))
    assert result.size == (300, 300)
    assert result.getpixel((150, 2)) == (255, 0, 128)  # the bar above a landscape image
    assert result.getpixel((150, 150)) != (255, 0, 128)


def test_fit_pad_keeps_the_transparency_of_the_image_but_not_of_the_bars():
    image = Image.new("RGBA", (200, 100), (0, 0, 255, 0))
    result = geometry.fit_pad(image, (100, 100), (255, 255, 255))
    assert result.mode == "RGBA"
    assert result.getpixel((50, 5)) == (255, 255, 255, 255)
    assert result.getpixel((50, 50))[3] == 0


def test_fit_blur_puts_the_whole_image_on_a_blurred_copy():
    image = photo()
    result = geometry.fit_blur(image, (600, 600))
    inner = geometry.resize(image, geometry.contain_size(image.size, (600, 600)))
    top = (600 - inner.height) // 2
    assert result.size == (600, 600)
    assert result.crop((0, top, 600, top + inner.height)).tobytes() == inner.tobytes()
    assert np.asarray(result.crop((0, 0, 600, top))).std() > 1  # a picture, not a flat bar


def test_flatten_composites_transparency_on_white():
    image = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    image.putpixel((1, 0), (10, 20, 30, 255))
    result = geometry.flatten(image)
    assert result.mode == "RGB"
    assert list(result.get_flattened_data()) == [(255, 255, 255), (10, 20, 30)]
